#pragma once

// rocksdb_key_value_store: the persistent bottom of a key-value store stack. One RocksDB
// DB per store per task, in <context.directory>/<name>/; records in the default column
// family, ordered bytewise (unsigned), and the changelog checkpoint beside them in the
// "brook-meta" family (rocksdb_database explains why that makes data and checkpoint agree
// after a crash). Writes skip the write-ahead log.
//
// Lifecycle: constructed closed (cheap) -> init() opens or creates the DB -> used ->
// close() flushes memtables and closes (idempotent; the destructor closes too).
// Threading: one task's thread only.
// Ownership: owned by the layer above (or the task); owns its DB. It is its own
// restore_target().

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "state/key_value_store.h"
#include "state/rocksdb_database.h"

namespace brook::state {

class rocksdb_key_value_store final : public key_value_store, public restorable {
public:
    explicit rocksdb_key_value_store(std::string name);
    ~rocksdb_key_value_store() override;

    const std::string& name() const override { return _name; }
    // Opens <context.directory>/<name>/ with context.rocksdb's shared cache and write
    // buffers (the process default when null). Throws state_error when the directory is
    // empty, locked by another instance, or unreadable.
    void init(const store_context& context) override;
    // A no-op: durability comes from the changelog plus the checkpoint, which RocksDB
    // flushes together with the data (atomic flush), not from flushing at every commit.
    void flush() override {}
    void close() override;
    bool persistent() const override { return true; }
    bool logged() const override { return false; }
    restorable& restore_target() override { return *this; }
    bool set_cache_flush_listener(cache_flush_listener) override { return false; }

    // All of these throw state_error on RocksDB errors, or when the store is not open.
    std::optional<std::string> get(std::string_view key) override;
    void put(std::string_view key, std::string_view value) override;
    void remove(std::string_view key) override;
    void range(std::string_view from, std::string_view to, const kv_visitor& visit) override;
    void reverse_range(std::string_view from, std::string_view to,
                       const kv_visitor& visit) override;
    void prefix_scan(std::string_view prefix, const kv_visitor& visit) override;
    // RocksDB's "rocksdb.estimate-num-keys": exact-ish before compaction, then an estimate.
    size_t approximate_size() override;

    // restorable: batches are written with one WriteBatch each (no WAL); end_restore()
    // flushes memtables so the restored data is on disk.
    void restore_batch(std::span<const changelog_entry> batch) override;
    void end_restore() override;
    std::optional<int64_t> checkpoint() override;
    void write_checkpoint(int64_t next_offset) override;
    // Closes, deletes the DB's files and reopens an empty DB (when open).
    void wipe() override;
    void stage_writes() override;
    void seal() override;
    void commit_sealed(std::optional<int64_t> checkpoint) override;

    // The DB directory (empty before init()).
    const std::filesystem::path& path() const;

private:
    rocksdb_database& open_db();

    std::string _name;
    std::unique_ptr<rocksdb_database> _db;
};

} // namespace brook::state
