#pragma once

// outbox: the durable local queue of a resilient_publisher, one RocksDB database in one
// directory. Every accepted event is appended here before publish() returns and deleted
// only after Kafka acknowledged it (or its dead-letter copy), so the outbox holds exactly
// the events not yet known to be delivered.
//
// Layout (default column family, keys ordered bytewise):
//
//   'e' + u64 big-endian sequence  -> encoded outbox_record (the pending events)
//   'q' + u64 big-endian sequence  -> bytes that did not decode (quarantined, kept)
//   'm' + "seq-reserved"           -> u64 big-endian: sequences below it may have been used
//   'm' + "appended"               -> u64 big-endian: events ever appended (same write)
//   'm' + "removed"                -> u64 big-endian: events ever removed or quarantined
//
// and, beside RocksDB's files, `brook-outbox.mark`: both totals as of the last sync()
// (written after the log reached the disk, and at a clean close).
//
// Sequences grow by one per append and are never reused while the directory lives: the
// next sequence on open is the larger of (highest pending + 1) and the reservation, which
// is raised in blocks of 65,536 in the same atomic write as the append that crosses it.
// Reading in key order is therefore reading in acceptance order, across restarts.
//
// Durability. The write-ahead log is always on. Appends are written to the WAL before
// append() returns; a SIGKILL cannot lose them, since the data is in the kernel's page
// cache, which outlives the process. A power cut or kernel crash can lose what was not
// yet fsynced: with sync_every_write each append fsyncs (durable against power loss, but
// each publish() then costs a disk flush, milliseconds on real disks); otherwise the
// owner calls sync() periodically (resilient_publisher: every options.sync_interval), so
// at most that interval of accepted events is exposed to a power cut. Deletions are never
// fsynced on their own: losing one re-sends an event (a duplicate), never loses one.
//
// Appends never wait for RocksDB's write throttling (WriteOptions::no_slowdown): when
// RocksDB would stall the writer, append() fails at once with outbox_error instead of
// blocking the publishing thread.
//
// Damage. An outbox that cannot be read whole is refused, never opened in part: RocksDB
// recovers its write-ahead log in a mode that tolerates only a torn last record (a crash
// mid-write) and reports any other corruption, the table files' checksums are verified,
// and the totals must agree: fewer pending entries than appended - removed, or totals
// below the mark of the last sync (writes that had reached the disk are gone), mean lost
// events. The constructor then throws outbox_damaged, counting what it can (see there)
// from a read-only look that skips what does not read; nothing in the directory changes.
// Silently recovering the readable prefix would deliver it and report success while the
// rest is lost for good.
//
// Lifecycle: the constructor opens (creating the directory); the destructor syncs the WAL
// and closes. Only one outbox (one process) may have a directory open at a time; RocksDB's
// LOCK file enforces it.
// Threading: every member function is thread-safe; append() is serialised by a mutex so
// that sequence order is write order (a reader never sees sequence n+1 before n).
// Readers must not outlive the outbox.
// Ownership: owns the DB; readers own their iterators.

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

#include <rocksdb/db.h>
#include <rocksdb/iterator.h>
#include <rocksdb/options.h>

namespace brook::publisher {

// The outbox could not be opened, read or written. The message names the directory,
// RocksDB's status and what to do.
class outbox_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// The outbox's files are damaged (see "Damage" above): some events that were accepted
// and not yet delivered cannot be read. The message names the directory, what is wrong,
// the counts and what to do.
class outbox_damaged : public outbox_error {
public:
    outbox_damaged(std::filesystem::path path, std::string problem, uint64_t readable,
                   std::optional<uint64_t> unreadable);

    const std::filesystem::path& path() const { return _path; }
    // What RocksDB or the consistency check found.
    const std::string& problem() const { return _problem; }
    // Pending events that can still be read and decode.
    uint64_t readable() const { return _readable; }
    // Accepted, undelivered events that cannot be read (missing, in damaged blocks, or not
    // decoding), when that is knowable: the newest of the outbox's own totals and its mark
    // says how many events should be pending. It errs low when the damage also swallowed
    // deletions (their delivered events are readable again and sent twice) and high by the
    // events delivered between the last sync and a crash whose deletions were lost with
    // them. nullopt when neither the totals nor the mark survived (or an older outbox
    // without them).
    const std::optional<uint64_t>& unreadable() const { return _unreadable; }

private:
    std::filesystem::path _path;
    std::string _problem;
    uint64_t _readable = 0;
    std::optional<uint64_t> _unreadable;
};

struct outbox_options {
    std::filesystem::path path;
    // fsync the WAL on every append (power-cut durability per event, at a disk flush each).
    bool sync_every_write = false;
};

class outbox {
public:
    // Opens or creates the outbox. Throws outbox_damaged when it cannot be read whole (see
    // "Damage" above), outbox_error otherwise (another process holds the directory, no
    // permission).
    explicit outbox(outbox_options options);
    ~outbox();
    outbox(const outbox&) = delete;
    outbox& operator=(const outbox&) = delete;

    // Appends one encoded record under the next sequence and returns it. `before_write`,
    // if given, runs under the append lock with that sequence before the write (so a
    // caller can register interest before any reader can see the entry). Throws
    // outbox_error when the write fails or would stall; the sequence is then not used.
    uint64_t append(std::string_view record,
                    const std::function<void(uint64_t sequence)>& before_write = {});

    // The stored record, or nullopt when no entry has that sequence. Throws outbox_error.
    std::optional<std::string> get(uint64_t sequence) const;
    // Rewrites an existing entry (its delivery history changed). Throws outbox_error.
    void update(uint64_t sequence, std::string_view record);
    // Deletes the entries, which must exist, in one write. Throws outbox_error.
    void remove(std::span<const uint64_t> sequences);
    // Moves an entry that does not decode out of the queue, keeping its bytes under 'q'
    // for a human to inspect. Throws outbox_error.
    void quarantine(uint64_t sequence, std::string_view bytes);

    // In-order reading of pending entries; see reader below.
    class reader;
    // A reader positioned at the first pending entry with sequence >= `from`. Sees the
    // entries written before this call (a consistent snapshot).
    reader read_from(uint64_t from) const;

    // Lowest pending sequence, or next_sequence() when nothing is pending. Never above the
    // sequence of an append that runs concurrently with it.
    uint64_t first_sequence() const;
    // The sequence the next append gets.
    uint64_t next_sequence() const;
    // Pending entries (exact: counted on open, then kept up to date).
    uint64_t size() const { return _size.load(std::memory_order_relaxed); }
    uint64_t quarantined() const { return _quarantined.load(std::memory_order_relaxed); }

    // Appends and removals so far (this run and earlier ones); changes() moves with every
    // write that sync() would record in the mark.
    uint64_t changes() const {
        return _appended.load(std::memory_order_relaxed) + _removed.load(std::memory_order_relaxed);
    }

    // fsyncs the write-ahead log, then records the totals it covers in the mark file.
    // Throws outbox_error when the log cannot be synced; a mark that cannot be written is
    // logged as a warning (the log is safe; only the damage count loses precision).
    void sync();
    const std::filesystem::path& path() const { return _options.path; }

private:
    [[noreturn]] void fail(std::string_view action, const rocksdb::Status& status) const;
    // Closes the DB, counts what a read-only look can read, throws outbox_damaged.
    [[noreturn]] void refuse_damaged(std::string problem);
    // Writes the mark with the totals as they are now (all already in the log).
    void write_mark(uint64_t appended, uint64_t removed) const;

    outbox_options _options;
    std::unique_ptr<rocksdb::DB> _db;
    rocksdb::WriteOptions _append_options;
    rocksdb::WriteOptions _write_options;
    mutable std::mutex _append_mutex; // serialises append(): sequence order = write order
    uint64_t _next = 0;               // guarded by _append_mutex
    uint64_t _reserved = 0;           // guarded by _append_mutex
    // Serialises remove() and quarantine(), so the stored "removed" total only grows.
    std::mutex _remove_mutex;
    // The stored totals; written under their mutex, after the write that includes them.
    std::atomic<uint64_t> _appended{0};
    std::atomic<uint64_t> _removed{0};
    std::atomic<uint64_t> _size{0};
    std::atomic<uint64_t> _quarantined{0};
    // The totals of the last mark written, so an idle sync() writes none.
    uint64_t _marked_changes = UINT64_MAX; // guarded by _sync_mutex
    std::mutex _sync_mutex;
};

// An iterator over pending entries in sequence order. Move-only; must be destroyed
// before its outbox. The record view is valid until next() or destruction.
class outbox::reader {
public:
    reader(std::unique_ptr<std::string> upper_bound, std::unique_ptr<rocksdb::Slice> bound_slice,
           std::unique_ptr<rocksdb::Iterator> iterator, const outbox& owner);
    reader(reader&&) noexcept = default;
    reader& operator=(reader&&) noexcept = default;

    bool valid() const { return _iterator->Valid(); }
    uint64_t sequence() const;
    std::string_view record() const;
    void next() { _iterator->Next(); }
    // Throws outbox_error when iteration stopped on an error rather than at the end.
    void check() const;
    // Why iteration stopped: OK at the end, otherwise the error check() would throw.
    rocksdb::Status status() const;

private:
    // Bound storage first: the iterator, declared last, is destroyed before it.
    std::unique_ptr<std::string> _upper_bound;
    std::unique_ptr<rocksdb::Slice> _bound_slice;
    std::unique_ptr<rocksdb::Iterator> _iterator;
    const outbox* _owner;
};

} // namespace brook::publisher
