#pragma once

// rocksdb_session_store: the persistent bottom of a session store stack. One RocksDB DB
// per store per task, in <context.directory>/<name>/, cut into time segments by session
// END (rocksdb_segments: one column family per segment, dropped whole by retention). Keys
// in a segment are key_encoding.h's session keys, [u32 length][key][u64 end][u64 start],
// so one key's sessions are adjacent and ordered by end, then start. The changelog carries
// the same encoded keys, so restore routes each entry to its segment by decoding its end.
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
#include "state/session_store.h"

namespace brook::state {

class rocksdb_session_store final : public session_store, public restorable {
public:
    // `segment_interval_ms` 0 picks Kafka Streams' default, max(retention / 2, 60 s).
    // Throws std::invalid_argument for a negative retention or interval.
    rocksdb_session_store(std::string name, int64_t retention_ms, int64_t segment_interval_ms = 0);
    ~rocksdb_session_store() override;

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
    // std::invalid_argument unless 0 <= start <= end.
    void put(std::string_view key, int64_t start, int64_t end,
             std::optional<std::string_view> value) override;
    std::optional<std::string> fetch(std::string_view key, int64_t start, int64_t end) override;
    void find_sessions(std::string_view key, int64_t earliest_end, int64_t latest_start,
                       const session_visitor& visit) override;
    void fetch_all(int64_t earliest_end, int64_t latest_end,
                   const keyed_session_visitor& visit) override;
    int64_t retention_ms() const override { return _segments.policy().retention_ms(); }
    int64_t observed_stream_time() const override { return _segments.observed_stream_time(); }
    uint64_t expired_puts() const override { return _segments.expired_puts(); }

    // restorable: entries carry encoded session keys; each batch is one WriteBatch.
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
