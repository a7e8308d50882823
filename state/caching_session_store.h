#pragma once

// caching_session_store: the caching layer of a session stack. Holds recent reads and
// writes, keyed by the encoded session key (key_encoding.h), in a store_cache, so that
// many updates of one session between two commits reach the layer below (and so the
// changelog and the cache flush listener) once, at flush() or when the session is evicted.
//
// Caching is on only when the task's context carries an enabled cache_budget; otherwise
// every call passes straight through to the inner store.
//
// Retention: as caching_window_store, this layer keeps its own stream time (the largest
// session end put) and applies the bottom's segment_policy, so expired puts are ignored
// and counted and sessions in expired segments are never returned, just as without the
// cache. A dirty session whose segment expires before it is written down is still reported
// to the flush listener but not written to the layer below; a removal goes down, so that
// the changelog records it, unless the session never reached the layer below: a session
// put and removed again between two flushes (as each record that extends a session
// replaces it) is dropped from the cache and goes nowhere, as in Kafka Streams.
//
// Lifecycle: constructed unopened around its inner store -> init(context) opens the inner
// store and, if caching is on, creates the cache -> flush() at each commit writes every
// dirty session down (in first-dirtied order) and flushes the inner store -> close() drops
// the cache WITHOUT writing it down and closes the inner store.
// Restore: restore_target() is the bottom's own, so restore batches and wipe() bypass
// the cache; the runtime restores right after init(), before the first read or write,
// while the cache is still empty.
// Threading: the owning task's thread only.
// Ownership: owns the inner store; borrows the cache budget from the context.
// find_sessions() merges the cache with the inner store's scan; fetch_all() writes the
// dirty sessions down first and then asks the inner store. Visitors must not write to this
// store (collect the sessions to merge first, then write).

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "state/cache_layer.h"
#include "state/encoded_key_buffer.h"
#include "state/segment_policy.h"
#include "state/session_store.h"

namespace brook::state {

class caching_session_store final : public session_store {
public:
    // `inner` must not be null; `segment_interval_ms` must be the one the bottom store was
    // built with (0: the default for its retention). Throws std::invalid_argument for a
    // negative interval.
    caching_session_store(std::unique_ptr<session_store> inner, int64_t segment_interval_ms);

    const std::string& name() const override { return _inner->name(); }
    // Throws state_error (from the inner store) when it cannot open.
    void init(const store_context& context) override;
    // Throws state_error when the inner store fails to take a write.
    void flush() override;
    void close() override;
    bool persistent() const override { return _inner->persistent(); }
    bool logged() const override { return _inner->logged(); }
    restorable& restore_target() override { return _inner->restore_target(); }
    // True when caching is on (the listener is then told at flush and eviction, with the
    // encoded session key); otherwise the inner store's answer.
    bool set_cache_flush_listener(cache_flush_listener listener) override;

    // Throws std::invalid_argument unless 0 <= start <= end; state_error when a write-down
    // to the inner store fails.
    void put(std::string_view key, int64_t start, int64_t end,
             std::optional<std::string_view> value) override;
    std::optional<std::string> fetch(std::string_view key, int64_t start, int64_t end) override;
    void find_sessions(std::string_view key, int64_t earliest_end, int64_t latest_start,
                       const session_visitor& visit) override;
    // Writes the dirty sessions down first (without flushing the inner store).
    void fetch_all(int64_t earliest_end, int64_t latest_end,
                   const keyed_session_visitor& visit) override;
    int64_t retention_ms() const override { return _inner->retention_ms(); }
    int64_t observed_stream_time() const override;
    uint64_t expired_puts() const override { return _inner->expired_puts() + _expired_puts; }

    // True after init() when a cache is in use (for tests and metrics).
    bool caching() const { return _layer.cache() != nullptr; }

private:
    int64_t stream_time() const;
    bool live(int64_t end) const;
    void write_below(std::string_view key, std::optional<std::string_view> value);

    std::unique_ptr<session_store> _inner;
    segment_policy _policy;
    cache_layer _layer;
    // Largest session end put through this layer (-1: none yet).
    int64_t _stream_time = -1;
    stream_time_cap _cap;
    // Puts this layer ignored because their segment had expired.
    uint64_t _expired_puts = 0;
    // Reused for point operations' encoded keys (scans use their own).
    encoded_key_buffer _key;
};

} // namespace brook::state
