#pragma once

// rocksdb_window_store: the persistent bottom of a window store stack. One RocksDB DB per
// store per task, in <context.directory>/<name>/, cut into time segments by window start
// (rocksdb_segments: one column family per segment, dropped whole by retention). Keys in a
// segment are key_encoding.h's window keys, [u32 length][key][u64 start], so one key's
// windows are adjacent and in time order, and a key never mixes with a longer key it is a
// prefix of. The changelog carries the same encoded keys, so restore routes each entry to
// its segment by decoding its start.
//
// Lifecycle: constructed closed (cheap) -> init() opens the DB and rediscovers its
// segments and stream time -> used -> close() flushes memtables (idempotent; the
// destructor closes too).
// Threading: one task's thread only.
// Ownership: owned by the layer above (or the task); owns its DB. It is its own
// restore_target().

#include <span>
#include <string>

#include "state/rocksdb_segments.h"
#include "state/window_store.h"

namespace brook::state {

class rocksdb_window_store final : public window_store, public restorable {
public:
    // `segment_interval_ms` 0 picks Kafka Streams' default, max(retention / 2, 60 s).
    // Throws std::invalid_argument for a negative retention or interval.
    rocksdb_window_store(std::string name, int64_t retention_ms, int64_t segment_interval_ms = 0);
    ~rocksdb_window_store() override;

    const std::string& name() const override { return _name; }
    // Throws state_error when the directory is empty, locked or unreadable.
    void init(const store_context& context) override;
    // A no-op: durability comes from the changelog plus the checkpoint, which RocksDB
    // flushes together with the data (atomic flush), not from flushing at every commit.
    void flush() override {}
    void close() override;
    bool persistent() const override { return true; }
    bool logged() const override { return false; }
    restorable& restore_target() override { return *this; }
    bool set_cache_flush_listener(cache_flush_listener) override { return false; }

    // These throw state_error on RocksDB errors or when the store is not open, and
    // std::invalid_argument for a negative window start.
    void put(std::string_view key, std::optional<std::string_view> value,
             int64_t window_start) override;
    std::optional<std::string> fetch(std::string_view key, int64_t window_start) override;
    void fetch(std::string_view key, int64_t from, int64_t to,
               const window_visitor& visit) override;
    void fetch_all(int64_t from, int64_t to, const keyed_window_visitor& visit) override;
    int64_t retention_ms() const override { return _segments.policy().retention_ms(); }
    int64_t observed_stream_time() const override { return _segments.observed_stream_time(); }
    uint64_t expired_puts() const override { return _segments.expired_puts(); }

    // restorable: entries carry encoded window keys; each batch is one WriteBatch.
    void restore_batch(std::span<const changelog_entry> batch) override;
    void end_restore() override;
    std::optional<int64_t> checkpoint() override;
    void write_checkpoint(int64_t next_offset) override;
    void wipe() override;
    void stage_writes() override { _segments.stage_writes(); }
    void seal() override { _segments.seal(); }
    void commit_sealed(std::optional<int64_t> checkpoint) override {
        _segments.commit_sealed(checkpoint);
    }

    int64_t segment_interval_ms() const { return _segments.policy().segment_interval_ms(); }
    // Live segments (column families) right now.
    size_t segment_count() const { return _segments.segment_count(); }

private:
    std::string _name;
    rocksdb_segments _segments;
};

} // namespace brook::state
