#include "publisher/outbox.h"

#include <array>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <unistd.h>
#include <utility>

#include <fmt/format.h>
#include <rocksdb/write_batch.h>

#include "base/log.h"
#include "publisher/outbox_record.h"

namespace brook::publisher {

namespace {

constexpr char event_prefix = 'e';
constexpr char quarantine_prefix = 'q';
constexpr std::string_view reserved_key = "mseq-reserved";
constexpr std::string_view appended_key = "mappended";
constexpr std::string_view removed_key = "mremoved";
constexpr std::string_view mark_file = "brook-outbox.mark";
constexpr std::string_view mark_header = "brook-outbox-mark 1";
// Sequences reserved per meta write: one extra key per 65,536 appends.
constexpr uint64_t reservation_block = uint64_t{1} << 16;

std::string be64(uint64_t v) {
    std::string out(8, '\0');
    for (int i = 7; i >= 0; --i) {
        out[static_cast<size_t>(i)] = static_cast<char>(v & 0xff);
        v >>= 8;
    }
    return out;
}

uint64_t read_be64(std::string_view in) {
    uint64_t v = 0;
    for (size_t i = 0; i < 8 && i < in.size(); ++i) {
        v = (v << 8) | static_cast<uint8_t>(in[i]);
    }
    return v;
}

std::string entry_key(char prefix, uint64_t sequence) {
    std::string key(1, prefix);
    key += be64(sequence);
    return key;
}

rocksdb::Slice slice(std::string_view s) {
    return {s.data() == nullptr ? "" : s.data(), s.size()};
}

// What to tell the operator for a failed RocksDB call.
std::string hint(const rocksdb::Status& status) {
    if (status.IsIOError() && status.ToString().find("lock") != std::string::npos) {
        return "another process has this outbox open: only one publisher may use an outbox "
               "directory at a time; stop the other one or choose another directory";
    }
    if (status.IsCorruption()) {
        return "the outbox files are damaged: move the directory aside (it still holds the "
               "undelivered events) and start with an empty one";
    }
    if (status.IsIncomplete()) {
        return "RocksDB is throttling writes (compaction is behind); retry shortly";
    }
    if (status.IsIOError()) {
        return "check free disk space and the directory's permissions";
    }
    return "see RocksDB's LOG file in the directory";
}

// The options every open shares. Recovery is strict: RocksDB's default (point-in-time)
// stops replaying the log at the first damaged record and opens without a word, which
// silently drops every later event; kTolerateCorruptedTailRecords forgives only a torn
// last record (a crash in the middle of a write, which loses nothing acknowledged) and
// fails the open on any other damage.
rocksdb::Options db_options() {
    rocksdb::Options o;
    o.paranoid_checks = true;
    o.wal_recovery_mode = rocksdb::WALRecoveryMode::kTolerateCorruptedTailRecords;
    // A queue: small memtables flushed often keep recovery after a crash short, and the
    // tombstones of delivered events are compacted away soon.
    o.write_buffer_size = size_t{8} << 20;
    o.max_write_buffer_number = 4;
    o.max_total_wal_size = uint64_t{64} << 20;
    o.keep_log_file_num = 3;
    o.max_log_file_size = size_t{4} << 20;
    // Appends fail rather than stall (no_slowdown below); make stalls rarer than default.
    o.level0_slowdown_writes_trigger = 40;
    o.level0_stop_writes_trigger = 60;
    return o;
}

struct totals {
    uint64_t appended = 0;
    uint64_t removed = 0;
};

// The mark file's totals, or nullopt when it is missing or unreadable.
std::optional<totals> read_mark(const std::filesystem::path& dir) {
    std::ifstream in(dir / mark_file);
    if (!in) {
        return std::nullopt;
    }
    std::string header;
    std::string appended_word;
    std::string removed_word;
    totals t;
    if (!std::getline(in, header) || header != mark_header ||
        !(in >> appended_word >> t.appended >> removed_word >> t.removed) ||
        appended_word != "appended" || removed_word != "removed") {
        return std::nullopt;
    }
    return t;
}

// A total stored under `key`, or nullopt when it is absent or cannot be read (then
// `error` says why).
std::optional<uint64_t> read_total(rocksdb::DB& db, std::string_view key, rocksdb::Status& error) {
    std::string value;
    const rocksdb::Status status = db.Get(rocksdb::ReadOptions(), slice(key), &value);
    if (status.ok() && value.size() == 8) {
        return read_be64(value);
    }
    if (!status.ok() && !status.IsNotFound()) {
        error = status;
    }
    return std::nullopt;
}

// Both stored totals, or nullopt when either is missing (an outbox older than them).
std::optional<totals> read_totals(rocksdb::DB& db, rocksdb::Status& error) {
    const auto appended = read_total(db, appended_key, error);
    const auto removed = read_total(db, removed_key, error);
    if (!appended || !removed) {
        return std::nullopt;
    }
    return totals{*appended, *removed};
}

// What a look at a damaged outbox can read.
struct survey {
    uint64_t readable = 0;    // entries that decode
    uint64_t undecodable = 0; // entries that read but do not decode
    std::optional<totals> stored;
};

// True when Seek(entry_key(e, sequence)) meets no damage (it lands on an entry or the end).
bool seek_reads(rocksdb::DB& db, uint64_t sequence) {
    const std::string upper(1, static_cast<char>(event_prefix + 1));
    const rocksdb::Slice bound(upper);
    rocksdb::ReadOptions read_options;
    read_options.iterate_upper_bound = &bound;
    std::unique_ptr<rocksdb::Iterator> it(db.NewIterator(read_options));
    it->Seek(slice(entry_key(event_prefix, sequence)));
    return it->status().ok();
}

// Counts the event entries a read-only DB still yields, in order, stepping over damaged
// table blocks: after an error at `from`, the smallest later sequence whose seek reads
// is found by doubling then bisecting (at most ~128 seeks per damaged stretch), which is
// the first key after the damaged block.
survey survey_events(rocksdb::DB& db) {
    survey out;
    const std::string upper(1, static_cast<char>(event_prefix + 1));
    const rocksdb::Slice bound(upper);
    rocksdb::ReadOptions read_options;
    read_options.iterate_upper_bound = &bound;
    uint64_t from = 0;
    for (;;) {
        std::unique_ptr<rocksdb::Iterator> it(db.NewIterator(read_options));
        for (it->Seek(slice(entry_key(event_prefix, from))); it->Valid(); it->Next()) {
            const rocksdb::Slice key = it->key();
            const uint64_t sequence = read_be64(std::string_view(key.data() + 1, key.size() - 1));
            const rocksdb::Slice value = it->value();
            if (decode(std::string_view(value.data(), value.size()))) {
                ++out.readable;
            } else {
                ++out.undecodable;
            }
            if (sequence == UINT64_MAX) {
                return out;
            }
            from = sequence + 1;
        }
        if (it->status().ok()) {
            return out;
        }
        uint64_t bad = from;
        uint64_t step = 1;
        uint64_t good = 0;
        for (;;) {
            const uint64_t probe = UINT64_MAX - bad < step ? UINT64_MAX : bad + step;
            if (seek_reads(db, probe)) {
                good = probe;
                break;
            }
            if (probe == UINT64_MAX) {
                return out; // nothing after the damage reads
            }
            bad = probe;
            step = step > UINT64_MAX / 2 ? UINT64_MAX : step * 2;
        }
        while (good - bad > 1) {
            const uint64_t mid = bad + (good - bad) / 2;
            (seek_reads(db, mid) ? good : bad) = mid;
        }
        from = good;
    }
}

// A read-only look at a damaged outbox that changes nothing on disk: the log is replayed
// up to its first damaged record, and the entries are counted around damaged blocks.
// Not kSkipAnyCorruptedRecords, which would also read what follows a damaged stretch of
// the log: RocksDB 7.8's log reader can loop forever on random bytes in that mode (seen
// with half a log overwritten), and a damage report must never hang.
std::optional<survey> survey_damaged(const std::filesystem::path& path) {
    rocksdb::Options o = db_options();
    o.paranoid_checks = false;
    o.wal_recovery_mode = rocksdb::WALRecoveryMode::kPointInTimeRecovery;
    rocksdb::DB* raw = nullptr;
    if (!rocksdb::DB::OpenForReadOnly(o, path.string(), &raw).ok()) {
        return std::nullopt;
    }
    std::unique_ptr<rocksdb::DB> db(raw);
    survey out = survey_events(*db);
    rocksdb::Status ignored;
    out.stored = read_totals(*db, ignored);
    return out;
}

std::string damaged_message(const std::filesystem::path& path, const std::string& problem,
                            uint64_t readable, const std::optional<uint64_t>& unreadable) {
    const std::string count =
        unreadable ? fmt::format("{} accepted, undelivered events cannot be read ({} still can)",
                                 *unreadable, readable)
                   : fmt::format("how many accepted events cannot be read is unknown (neither "
                                 "the outbox's totals nor its mark survived; {} events still "
                                 "can be read)",
                                 readable);
    return fmt::format("outbox {} is damaged: {}. {}. Nothing was sent from it and its files "
                       "were left as they are: move the directory aside for inspection (RocksDB's "
                       "LOG file in it names the damaged file), start on an empty outbox "
                       "directory, and publish the lost events again from their source",
                       path.string(), problem, count);
}

} // namespace

outbox_damaged::outbox_damaged(std::filesystem::path path, std::string problem, uint64_t readable,
                               std::optional<uint64_t> unreadable)
    : outbox_error(damaged_message(path, problem, readable, unreadable)), _path(std::move(path)),
      _problem(std::move(problem)), _readable(readable), _unreadable(unreadable) {}

outbox::outbox(outbox_options options) : _options(std::move(options)) {
    if (_options.path.empty()) {
        throw outbox_error("outbox: no directory given; set the outbox directory");
    }
    std::error_code ec;
    std::filesystem::create_directories(_options.path, ec);
    if (ec) {
        throw outbox_error(fmt::format("outbox {}: cannot create the directory: {}",
                                       _options.path.string(), ec.message()));
    }
    rocksdb::Options open_options = db_options();
    open_options.create_if_missing = true;
    rocksdb::DB* raw = nullptr;
    const rocksdb::Status status = rocksdb::DB::Open(open_options, _options.path.string(), &raw);
    if (status.IsCorruption()) {
        refuse_damaged(fmt::format("RocksDB cannot recover it ({})", status.ToString()));
    }
    if (!status.ok()) {
        fail("open", status);
    }
    _db.reset(raw);

    _append_options.sync = _options.sync_every_write;
    _append_options.no_slowdown = true;
    _write_options.sync = false;

    // Every table block, not only the ones holding events: a damaged block anywhere means
    // the files can no longer be trusted. Reads the whole outbox, as the count below does.
    if (const rocksdb::Status verified = _db->VerifyChecksum(); verified.IsCorruption()) {
        refuse_damaged(fmt::format("a table file fails its checksum ({})", verified.ToString()));
    } else if (!verified.ok()) {
        fail("verify the checksums", verified);
    }

    std::string reserved;
    const rocksdb::Status meta = _db->Get(rocksdb::ReadOptions(), slice(reserved_key), &reserved);
    if (!meta.ok() && !meta.IsNotFound()) {
        fail("read the sequence reservation", meta);
    }
    _reserved = meta.ok() ? read_be64(reserved) : 0;
    // Count the pending entries and find the highest sequence.
    uint64_t count = 0;
    uint64_t highest = 0;
    {
        reader r = read_from(0);
        for (; r.valid(); r.next()) {
            ++count;
            highest = r.sequence();
        }
        const rocksdb::Status read = r.status();
        if (read.IsCorruption()) {
            refuse_damaged(fmt::format("reading its events failed ({})", read.ToString()));
        }
        r.check();
    }
    _size = count;
    _next = std::max(count > 0 ? highest + 1 : 0, _reserved);

    // The totals must account for every pending entry, and must not be behind the mark of
    // the last sync: RocksDB forgives a torn last log record, and a log cut short at a
    // record boundary looks like one, so a loss at the end of the log shows only here.
    rocksdb::Status totals_error;
    const std::optional<totals> stored = read_totals(*_db, totals_error);
    if (!totals_error.ok()) {
        fail("read the outbox's totals", totals_error);
    }
    const std::optional<totals> mark = read_mark(_options.path);
    if (stored &&
        (stored->removed > stored->appended || stored->appended - stored->removed > count)) {
        refuse_damaged(fmt::format("it should hold {} pending events ({} appended, {} removed) "
                                   "but {} are left",
                                   stored->appended - std::min(stored->removed, stored->appended),
                                   stored->appended, stored->removed, count));
    }
    if (mark && (!stored || stored->appended < mark->appended || stored->removed < mark->removed)) {
        refuse_damaged(fmt::format(
            "writes that had reached the disk are gone (its last sync recorded {} events "
            "appended and {} removed; the files hold {} and {})",
            mark->appended, mark->removed, stored ? stored->appended : 0,
            stored ? stored->removed : 0));
    }
    if (stored) {
        _appended = stored->appended;
        _removed = stored->removed;
    } else {
        // A new outbox, or one written before the totals existed: start them from what it
        // holds, durably, so that a crash right after cannot leave a mark ahead of them.
        rocksdb::WriteBatch batch;
        batch.Put(slice(appended_key), slice(be64(count)));
        batch.Put(slice(removed_key), slice(be64(0)));
        rocksdb::WriteOptions synced;
        synced.sync = true;
        if (const rocksdb::Status s = _db->Write(synced, &batch); !s.ok()) {
            fail("record the outbox's totals", s);
        }
        _appended = count;
        _removed = 0;
    }

    uint64_t quarantined = 0;
    {
        std::unique_ptr<rocksdb::Iterator> it(_db->NewIterator(rocksdb::ReadOptions()));
        for (it->Seek(slice(std::string(1, quarantine_prefix)));
             it->Valid() && !it->key().empty() && it->key()[0] == quarantine_prefix; it->Next()) {
            ++quarantined;
        }
    }
    _quarantined = quarantined;
}

outbox::~outbox() {
    if (_db) {
        // A clean close: whatever the WAL holds reaches the disk.
        const uint64_t appended = _appended.load();
        const uint64_t removed = _removed.load();
        const rocksdb::Status status = _db->SyncWAL();
        if (!status.ok()) {
            log_warn(fmt::format("outbox {}: syncing the log at close failed: {}",
                                 _options.path.string(), status.ToString()));
        } else if (appended + removed != _marked_changes) {
            write_mark(appended, removed);
        }
        (void)_db->Close();
    }
}

void outbox::fail(std::string_view action, const rocksdb::Status& status) const {
    throw outbox_error(fmt::format("outbox {}: cannot {}: {}; {}", _options.path.string(), action,
                                   status.ToString(), hint(status)));
}

void outbox::refuse_damaged(std::string problem) {
    // Closed without a sync or a mark: nothing here may change what is on disk.
    _db.reset();
    const std::optional<survey> seen = survey_damaged(_options.path);
    const std::optional<totals> mark = read_mark(_options.path);
    // The newest knowledge of each total: each only grows, and the mark and the stored
    // totals each saw a prefix of the writes.
    std::optional<totals> known = mark;
    if (seen && seen->stored) {
        known = known ? totals{std::max(known->appended, seen->stored->appended),
                               std::max(known->removed, seen->stored->removed)}
                      : *seen->stored;
    }
    const uint64_t readable = seen ? seen->readable : 0;
    std::optional<uint64_t> unreadable;
    if (known) {
        const uint64_t expected =
            known->appended > known->removed ? known->appended - known->removed : 0;
        unreadable = expected > readable ? expected - readable : 0;
        if (seen && *unreadable < seen->undecodable) {
            unreadable = seen->undecodable;
        }
    }
    throw outbox_damaged(_options.path, std::move(problem), readable, unreadable);
}

void outbox::write_mark(uint64_t appended, uint64_t removed) const {
    // Written whole to a temporary file, fsynced, then renamed over the old one: a crash
    // leaves either mark, never half of one.
    const std::filesystem::path target = _options.path / mark_file;
    const std::filesystem::path tmp = _options.path / (std::string(mark_file) + ".tmp");
    const std::string text =
        fmt::format("{}\nappended {}\nremoved {}\n", mark_header, appended, removed);
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    bool ok = fd >= 0;
    if (ok) {
        ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
             ::fsync(fd) == 0;
        ok = ::close(fd) == 0 && ok;
    }
    if (ok) {
        std::error_code ec;
        std::filesystem::rename(tmp, target, ec);
        ok = !ec;
    }
    if (!ok) {
        log_warn(fmt::format("outbox {}: cannot write {} ({}); the events are safe, but "
                             "damage found later can be counted only roughly",
                             _options.path.string(), target.string(), std::strerror(errno)));
    }
}

uint64_t outbox::append(std::string_view record,
                        const std::function<void(uint64_t)>& before_write) {
    std::lock_guard lock(_append_mutex);
    const uint64_t sequence = _next;
    rocksdb::WriteBatch batch;
    batch.Put(slice(entry_key(event_prefix, sequence)), slice(record));
    const uint64_t appended = _appended.load() + 1;
    batch.Put(slice(appended_key), slice(be64(appended)));
    uint64_t reserved = _reserved;
    if (sequence >= _reserved) {
        reserved = sequence + reservation_block;
        batch.Put(slice(reserved_key), slice(be64(reserved)));
    }
    if (before_write) {
        before_write(sequence);
    }
    const rocksdb::Status status = _db->Write(_append_options, &batch);
    if (!status.ok()) {
        fail("append an event", status);
    }
    _next = sequence + 1;
    _reserved = reserved;
    _appended.store(appended);
    _size.fetch_add(1, std::memory_order_relaxed);
    return sequence;
}

std::optional<std::string> outbox::get(uint64_t sequence) const {
    std::string value;
    const rocksdb::Status status =
        _db->Get(rocksdb::ReadOptions(), slice(entry_key(event_prefix, sequence)), &value);
    if (status.IsNotFound()) {
        return std::nullopt;
    }
    if (!status.ok()) {
        fail("read an event", status);
    }
    return value;
}

void outbox::update(uint64_t sequence, std::string_view record) {
    const rocksdb::Status status =
        _db->Put(_write_options, slice(entry_key(event_prefix, sequence)), slice(record));
    if (!status.ok()) {
        fail("update an event", status);
    }
}

void outbox::remove(std::span<const uint64_t> sequences) {
    if (sequences.empty()) {
        return;
    }
    std::lock_guard lock(_remove_mutex);
    rocksdb::WriteBatch batch;
    for (const uint64_t sequence : sequences) {
        batch.Delete(slice(entry_key(event_prefix, sequence)));
    }
    const uint64_t removed = _removed.load() + sequences.size();
    batch.Put(slice(removed_key), slice(be64(removed)));
    const rocksdb::Status status = _db->Write(_write_options, &batch);
    if (!status.ok()) {
        fail("delete delivered events", status);
    }
    _removed.store(removed);
    _size.fetch_sub(sequences.size(), std::memory_order_relaxed);
}

void outbox::quarantine(uint64_t sequence, std::string_view bytes) {
    std::lock_guard lock(_remove_mutex);
    rocksdb::WriteBatch batch;
    batch.Delete(slice(entry_key(event_prefix, sequence)));
    batch.Put(slice(entry_key(quarantine_prefix, sequence)), slice(bytes));
    const uint64_t removed = _removed.load() + 1;
    batch.Put(slice(removed_key), slice(be64(removed)));
    const rocksdb::Status status = _db->Write(_write_options, &batch);
    if (!status.ok()) {
        fail("quarantine an unreadable event", status);
    }
    _removed.store(removed);
    _size.fetch_sub(1, std::memory_order_relaxed);
    _quarantined.fetch_add(1, std::memory_order_relaxed);
}

outbox::reader outbox::read_from(uint64_t from) const {
    auto upper = std::make_unique<std::string>(1, static_cast<char>(event_prefix + 1));
    auto bound = std::make_unique<rocksdb::Slice>(*upper);
    rocksdb::ReadOptions read_options;
    read_options.iterate_upper_bound = bound.get();
    std::unique_ptr<rocksdb::Iterator> it(_db->NewIterator(read_options));
    it->Seek(slice(entry_key(event_prefix, from)));
    return reader(std::move(upper), std::move(bound), std::move(it), *this);
}

uint64_t outbox::first_sequence() const {
    // The next sequence before the snapshot: an append racing with this call either is in
    // the snapshot or gets a sequence >= `next`, so the answer never passes over it.
    const uint64_t next = next_sequence();
    reader r = read_from(0);
    if (r.valid()) {
        return r.sequence();
    }
    r.check();
    return next;
}

uint64_t outbox::next_sequence() const {
    std::lock_guard lock(_append_mutex);
    return _next;
}

void outbox::sync() {
    std::lock_guard sync_lock(_sync_mutex);
    // The totals before the log sync: every write they count is in the log by then, so
    // the mark never claims a write the disk may not have.
    uint64_t appended = 0;
    uint64_t removed = 0;
    {
        std::scoped_lock lock(_append_mutex, _remove_mutex);
        appended = _appended.load();
        removed = _removed.load();
    }
    const rocksdb::Status status = _db->SyncWAL();
    if (!status.ok()) {
        fail("fsync the write-ahead log", status);
    }
    if (appended + removed != _marked_changes) {
        write_mark(appended, removed);
        _marked_changes = appended + removed;
    }
}

outbox::reader::reader(std::unique_ptr<std::string> upper_bound,
                       std::unique_ptr<rocksdb::Slice> bound_slice,
                       std::unique_ptr<rocksdb::Iterator> iterator, const outbox& owner)
    : _upper_bound(std::move(upper_bound)), _bound_slice(std::move(bound_slice)),
      _iterator(std::move(iterator)), _owner(&owner) {}

uint64_t outbox::reader::sequence() const {
    const rocksdb::Slice key = _iterator->key();
    return read_be64(std::string_view(key.data() + 1, key.size() - 1));
}

std::string_view outbox::reader::record() const {
    const rocksdb::Slice value = _iterator->value();
    return {value.data(), value.size()};
}

rocksdb::Status outbox::reader::status() const {
    return _iterator->status();
}

void outbox::reader::check() const {
    const rocksdb::Status status = _iterator->status();
    if (!status.ok()) {
        _owner->fail("read the pending events", status);
    }
}

} // namespace brook::publisher
