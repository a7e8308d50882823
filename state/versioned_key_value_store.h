#pragma once

// versioned_key_value_store: a byte-level store that keeps, per key, every version within
// its history retention, as Kafka Streams' VersionedKeyValueStore (KIP-889). A version is
// a value (or a tombstone) valid from its timestamp until the next version's timestamp;
// get(key, as_of) answers "what was the key's value at time as_of". A table read through
// such a store gives stream-table joins timestamp-correct lookups (KIP-914/923).
//
// Rules (Kafka Streams'):
// - The store's observed stream time is the largest timestamp put so far. A put older
//   than observed stream time minus the history retention is refused (put_not_put): the
//   history retention is also the store's grace period.
// - A put at the timestamp of an existing version replaces that version.
// - get(key) is the latest version (nullopt when it is a tombstone or there is none);
//   get(key, as_of) is the version with the largest timestamp <= as_of. Queries older than
//   the retention return nullopt unless the latest version already answers them.
//
// Layout in the store below (one plain key-value stack, change-logged like any other, so
// restore is a plain replay and compaction keeps every live version: each has its own key):
//
//   'L' key                        -> [u64 BE timestamp][flag][value]   the latest version
//   'H' [u32 BE len] key [u64 BE ts^sign] -> [flag][value]              an older version
//   'S'                            -> [u64 BE observed stream time]     written at flush
//
// flag is 1 before a value and 0 for a tombstone. History expires per key on that key's
// next put: a version whose successor is older than observed stream time minus the
// retention can answer no valid query and is removed (logged as a tombstone), as is a
// latest version that is a tombstone that old. Keys that are not written again are swept
// a few at a time at each flush, so idle history and deleted keys go as well.
//
// Lifecycle: that of the stack below (init -> use -> flush -> close). Restores go to the
// bottom through restore_target(), which this store wraps so that it re-reads its stream
// time after one. Threading: one task's thread. Ownership: owns the stack below.

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "state/key_value_store.h"
#include "state/state_store.h"

namespace brook::state {

struct versioned_bytes {
    std::string value;
    int64_t timestamp = 0;
};

class versioned_key_value_store final : public state_store, private restorable {
public:
    // put()'s answer when the put is the key's latest version (its valid-to is open).
    static constexpr int64_t put_is_latest = -1;
    // put()'s answer when the put was refused: older than the history retention allows.
    static constexpr int64_t put_not_put = std::numeric_limits<int64_t>::min();

    // `inner` (no caching layer: versions are not cached) must not be null;
    // `history_retention_ms` >= 0. Throws std::invalid_argument otherwise.
    versioned_key_value_store(std::unique_ptr<key_value_store> inner, int64_t history_retention_ms);

    const std::string& name() const override { return _inner->name(); }
    void init(const store_context& context) override;
    // Writes the observed stream time down (if it moved), sweeps a few keys' expired
    // history, then flushes the stack below.
    void flush() override;
    void close() override { _inner->close(); }
    bool persistent() const override { return _inner->persistent(); }
    bool logged() const override { return _inner->logged(); }
    restorable& restore_target() override { return *this; }
    bool set_cache_flush_listener(cache_flush_listener) override { return false; }

    // Adds a version (value nullopt: a tombstone). Returns put_is_latest, put_not_put, or
    // the timestamp until which the new (out-of-order) version is valid.
    int64_t put(std::string_view key, std::optional<std::string_view> value, int64_t timestamp);
    // The version valid at `timestamp`, then a tombstone at `timestamp`; nullopt when
    // there was none or the delete is older than the retention allows (and then nothing
    // changes).
    std::optional<versioned_bytes> remove(std::string_view key, int64_t timestamp);
    std::optional<versioned_bytes> get(std::string_view key);
    std::optional<versioned_bytes> get(std::string_view key, int64_t as_of);
    // Each key's latest version that is not a tombstone, in key order, for keys in
    // [from, to) (an empty `to`: no upper bound); return false to stop.
    using latest_visitor =
        std::function<bool(std::string_view key, std::string_view value, int64_t timestamp)>;
    void latest_range(std::string_view from, std::string_view to, const latest_visitor& visit);
    size_t approximate_size() { return _inner->approximate_size(); }

    // The largest timestamp put so far; -1 before the first.
    int64_t observed_stream_time();
    int64_t history_retention_ms() const noexcept { return _retention; }

private:
    struct version {
        int64_t timestamp = 0;
        bool tombstone = false;
        std::string value;
    };

    // restorable, forwarded to the bottom; each forgets the cached stream time.
    void begin_restore() override;
    void restore_batch(std::span<const changelog_entry> batch) override;
    void end_restore() override;
    std::optional<int64_t> checkpoint() override;
    void write_checkpoint(int64_t next_offset) override;
    void wipe() override;
    void stage_writes() override;
    void seal() override;
    void commit_sealed(std::optional<int64_t> checkpoint) override;

    std::optional<version> latest(std::string_view key);
    // The history entry of `key` with the largest timestamp <= as_of.
    std::optional<version> history_at_or_before(std::string_view key, int64_t as_of);
    // The smallest history timestamp of `key` > after; nullopt when none.
    std::optional<int64_t> history_after(std::string_view key, int64_t after);
    void put_latest(std::string_view key, int64_t timestamp, std::optional<std::string_view> v);
    void put_history(std::string_view key, int64_t timestamp, bool tombstone,
                     std::string_view value);
    void expire(std::string_view key);
    // Expires up to `keys` keys after the sweep cursor, wrapping around at the end.
    void sweep(size_t keys);
    int64_t horizon();

    std::unique_ptr<key_value_store> _inner;
    int64_t _retention;
    int64_t _stream_time = -1;
    bool _stream_time_known = false; // read from 'S' lazily, after any restore
    bool _stream_time_dirty = false;
    int64_t _restored_latest = -1; // the newest latest version a restore replayed
    std::string _sweep_cursor;     // the last key swept; empty: start from the first
};

} // namespace brook::state
