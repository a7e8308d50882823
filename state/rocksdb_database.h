#pragma once

// rocksdb_database: one open RocksDB instance of one store (the RocksDB bottoms use one
// each), with the settings that make Brook's durability argument hold:
//
//   - writes skip the write-ahead log: the changelog topic is the source of truth;
//   - atomic_flush: every column family is flushed together, so after a crash the DB
//     recovers to one consistent prefix of the writes, data and metadata alike;
//   - metadata (the changelog checkpoint, a segmented store's stream time) lives in the
//     "brook-meta" column family of the same DB, never in a side file, so it cannot
//     disagree with the data it describes;
//   - under exactly-once, stage_writes() keeps every write (put, remove, write) in an
//     indexed batch in memory that reads and iterators see, until commit_staged() applies
//     it with the new checkpoint in one atomic write. An abort or a crash therefore leaves
//     the DB at its last commit, and a restart replays only the changelog after it.
//     Restores bypass the staging (write_direct): they apply committed changelog data.
//   - a transaction may be sealed (seal_staged()) while it commits on the broker: its
//     writes move to a second batch, later writes are staged apart for the next
//     transaction, reads see both over the DB, and commit_sealed() applies only the
//     sealed ones once the broker has committed them.
//
// It also tracks every column family the DB has (the stores' segments) and turns RocksDB
// statuses into state_errors that name the store, the path and what to do.
//
// Lifecycle: constructed closed -> open(path) -> used -> close() (flushes memtables;
// idempotent; also run by the destructor) or destroy() (drops every file). May be opened
// again after close()/destroy().
// Threading: one task's thread only (RocksDB itself is thread-safe; this bookkeeping is not).
// Ownership: owns the DB and every column family handle; handles are destroyed before the
// DB. Callers get raw handle pointers, valid until the family is dropped or the DB closed.

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rocksdb/db.h>
#include <rocksdb/iterator.h>
#include <rocksdb/utilities/write_batch_with_index.h>
#include <rocksdb/write_batch.h>

namespace brook::state {

class rocksdb_environment;

// A view as a RocksDB slice. Never a null data pointer: RocksDB asserts on comparing
// those (an empty std::string_view{} has one), for example in a staged batch's iterator.
inline rocksdb::Slice to_slice(std::string_view s) {
    return {s.data() == nullptr ? "" : s.data(), s.size()};
}
// A RocksDB slice as a view (valid as long as the slice's memory is).
inline std::string_view to_view(const rocksdb::Slice& s) {
    return {s.data(), s.size()};
}

class rocksdb_database {
public:
    // Name of the column family that holds metadata.
    static constexpr std::string_view meta_family_name = "brook-meta";

    rocksdb_database(std::string store_name, rocksdb_environment& environment);
    ~rocksdb_database();
    rocksdb_database(const rocksdb_database&) = delete;
    rocksdb_database& operator=(const rocksdb_database&) = delete;

    // Opens the DB at `path` (created if missing) with every column family it already
    // has, adding "brook-meta" if absent. Throws state_error when it cannot: a lock held
    // by another instance, corrupt files, I/O errors.
    void open(const std::filesystem::path& path);
    bool is_open() const { return _db != nullptr; }
    // Flushes every memtable, then closes. Idempotent; never throws (a failed flush loses
    // only what the changelog restores again; it is logged as an error).
    void close() noexcept;
    // Closes without flushing and deletes the DB's files and directory. Throws state_error.
    void destroy();

    const std::string& store_name() const { return _store_name; }
    const std::filesystem::path& path() const { return _path; }
    rocksdb::DB& db() { return *_db; }
    rocksdb::ColumnFamilyHandle* default_family() const { return _default.get(); }
    rocksdb::ColumnFamilyHandle* meta_family() const { return _meta.get(); }

    // Column families other than the default and meta ones, by name.
    std::vector<std::string> family_names() const;
    rocksdb::ColumnFamilyHandle* find_family(const std::string& name) const;
    // Creates the family (with the environment's options). Throws state_error.
    rocksdb::ColumnFamilyHandle* create_family(const std::string& name);
    // Drops the family and its files. Throws state_error.
    void drop_family(const std::string& name);

    // Point read; throws state_error on I/O errors.
    std::optional<std::string> get(rocksdb::ColumnFamilyHandle* family, std::string_view key);
    // Applies the batch atomically, without the write-ahead log (or stages it, see
    // stage_writes()). Throws state_error.
    void write(rocksdb::WriteBatch& batch);
    // Applies the batch at once even while staging (restores). Throws state_error.
    void write_direct(rocksdb::WriteBatch& batch);

    // Key of the changelog checkpoint in the meta family.
    static constexpr std::string_view checkpoint_key = "changelog-offset";
    // From now on (also across wipe()), writes are staged until commit_staged().
    void stage_writes();
    bool staging() const { return _staging; }
    // Closes the staged writes of one transaction: they wait apart for commit_sealed(),
    // and writes from now on belong to the next transaction. Reads see the newer staged
    // writes over the sealed ones over the DB. No-op when not staging. Throws
    // std::logic_error when a sealed transaction is not committed yet: only one may be.
    void seal_staged();
    // Applies the sealed writes (if any) together with `checkpoint` (if given) in one
    // atomic write; without staging, just writes the checkpoint. Column families dropped
    // before the seal are dropped now. Throws state_error.
    void commit_sealed(std::optional<int64_t> checkpoint);
    // seal_staged() and commit_sealed(): applies everything staged.
    void commit_staged(std::optional<int64_t> checkpoint);
    void put(rocksdb::ColumnFamilyHandle* family, std::string_view key, std::string_view value);
    void remove(rocksdb::ColumnFamilyHandle* family, std::string_view key);
    // An iterator over `family`, bounded above by `upper_bound` (exclusive) when it is not
    // empty. The bound is copied into the returned cursor, which must not outlive this DB.
    class cursor;
    cursor iterate(rocksdb::ColumnFamilyHandle* family, std::string_view upper_bound);

    // Metadata: 8-byte big-endian integers in the meta family.
    std::optional<int64_t> read_meta(std::string_view key);
    void put_meta(rocksdb::WriteBatch& batch, std::string_view key, int64_t value);
    void write_meta(std::string_view key, int64_t value);

    // Flushes the memtables of every family together (atomic flush). Throws state_error.
    void flush_memtables();
    // RocksDB's "rocksdb.estimate-num-keys" for the family.
    uint64_t estimate_num_keys(rocksdb::ColumnFamilyHandle* family);

    // Throws state_error for a failed `action`, with the store, path, RocksDB's status
    // text and a hint on what to do.
    [[noreturn]] void fail(std::string_view action, const rocksdb::Status& status) const;

private:
    using handle_ptr = std::unique_ptr<rocksdb::ColumnFamilyHandle>;

    void release() noexcept;
    rocksdb::ColumnFamilyHandle* family_by_id(uint32_t id) const;
    class stage_handler;

    std::string _store_name;
    rocksdb_environment& _environment;
    std::filesystem::path _path;
    rocksdb::WriteOptions _write_options;
    // Declared before the handles so that the handles are destroyed first.
    std::unique_ptr<rocksdb::DB> _db;
    handle_ptr _default;
    handle_ptr _meta;
    std::map<std::string, handle_ptr, std::less<>> _families;
    bool _staging = false;
    // Staged writes (exactly-once); null when not staging. Declared after the handles it
    // refers to, so it is destroyed first.
    std::unique_ptr<rocksdb::WriteBatchWithIndex> _staged;
    // The sealed transaction's writes, waiting for commit_sealed(); null when none is.
    std::unique_ptr<rocksdb::WriteBatchWithIndex> _sealed;
    // Families dropped while writes were staged (or sealed): kept alive until the commit
    // of the transaction that dropped them, since staged entries may refer to them.
    std::vector<handle_ptr> _pending_drops;
    std::vector<handle_ptr> _sealed_drops;
};

// An iterator with the storage for its upper bound (RocksDB keeps only a pointer to it).
// Move-only; must be destroyed before its database closes.
class rocksdb_database::cursor {
public:
    cursor(std::unique_ptr<std::string> upper_bound, std::unique_ptr<rocksdb::Slice> bound_slice,
           std::unique_ptr<rocksdb::Iterator> iterator, const rocksdb_database& owner)
        : _upper_bound(std::move(upper_bound)), _bound_slice(std::move(bound_slice)),
          _iterator(std::move(iterator)), _owner(&owner) {}

    rocksdb::Iterator& operator*() { return *_iterator; }
    rocksdb::Iterator* operator->() { return _iterator.get(); }
    // Throws state_error when the iteration stopped on an error rather than at the end.
    void check() const;

private:
    // Bound storage first: the iterator, declared last, is destroyed before it.
    std::unique_ptr<std::string> _upper_bound;
    std::unique_ptr<rocksdb::Slice> _bound_slice;
    std::unique_ptr<rocksdb::Iterator> _iterator;
    const rocksdb_database* _owner;
};

} // namespace brook::state
