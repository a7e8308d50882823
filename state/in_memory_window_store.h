#pragma once

// in_memory_window_store: the in-memory bottom of a window store stack, with the RocksDB
// bottom's semantics (in_memory_segments): segments by window start dropped whole by
// retention, expired puts ignored, the same encoded keys. For tests and for state cheap
// enough to rebuild from the changelog at every start; nothing survives close().
//
// Lifecycle: constructed -> init() -> used -> close() (drops the data; idempotent).
// Threading: one task's thread only.
// Ownership: owned by the layer above (or the task). It is its own restore_target(), with
// no checkpoint: an in-memory store always restores from the changelog's start.

#include <span>
#include <string>

#include "state/in_memory_segments.h"
#include "state/window_store.h"

namespace brook::state {

class in_memory_window_store final : public window_store, public restorable {
public:
    // `segment_interval_ms` 0 picks Kafka Streams' default, max(retention / 2, 60 s).
    // Throws std::invalid_argument for a negative retention or interval.
    in_memory_window_store(std::string name, int64_t retention_ms, int64_t segment_interval_ms = 0);

    const std::string& name() const override { return _name; }
    void init(const store_context& context) override { _segments.bind(context.stream_time); }
    void flush() override {}
    void close() override { _segments.clear(); }
    bool persistent() const override { return false; }
    bool logged() const override { return false; }
    restorable& restore_target() override { return *this; }
    bool set_cache_flush_listener(cache_flush_listener) override { return false; }

    // put throws std::invalid_argument for a negative window start.
    void put(std::string_view key, std::optional<std::string_view> value,
             int64_t window_start) override;
    std::optional<std::string> fetch(std::string_view key, int64_t window_start) override;
    void fetch(std::string_view key, int64_t from, int64_t to,
               const window_visitor& visit) override;
    void fetch_all(int64_t from, int64_t to, const keyed_window_visitor& visit) override;
    int64_t retention_ms() const override { return _segments.policy().retention_ms(); }
    int64_t observed_stream_time() const override { return _segments.observed_stream_time(); }
    uint64_t expired_puts() const override { return _segments.expired_puts(); }

    // restorable: entries carry encoded window keys (state_error if malformed).
    void restore_batch(std::span<const changelog_entry> batch) override;
    std::optional<int64_t> checkpoint() override { return std::nullopt; }
    void write_checkpoint(int64_t) override {}
    void wipe() override { _segments.clear(); }

    int64_t segment_interval_ms() const { return _segments.policy().segment_interval_ms(); }
    size_t segment_count() const { return _segments.segment_count(); }

private:
    std::string _name;
    in_memory_segments _segments;
};

} // namespace brook::state
