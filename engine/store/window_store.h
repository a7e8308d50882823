#pragma once

// brook::window_store<K, V>: the typed window store, as Kafka Streams' WindowStore<K, V>:
// values by (key, window start), the window's end being start + window_size_ms(). Old
// windows disappear once the store's stream time has moved retention_ms() past them.
// Implemented by metered_window_store over a byte-level stack (state/window_store.h).
//
// Windowed aggregations keep value_and_timestamp<V>: ask for timestamped_window_store<K, V>.
//
// Lifecycle and threading: those of state::state_store; processors get one with get_store().

#include <cstdint>
#include <functional>
#include <limits>
#include <optional>

#include "engine/store/value_and_timestamp.h"
#include "engine/store/windowed.h"
#include "state/state_store.h"

namespace brook {

template <class K, class V>
class window_store : public state::state_store {
public:
    using key_type = K;
    using value_type = V;
    // (window start, value) of one key, oldest first; return false to stop.
    using window_visitor = std::function<bool(int64_t start, const V& value)>;
    // (windowed key, value); return false to stop.
    using keyed_visitor = std::function<bool(const windowed<K>& key, const V& value)>;
    using flush_listener =
        std::function<void(const windowed<K>& key, std::optional<V> value, int64_t timestamp)>;

    // Inserts or replaces the window starting at `window_start` (>= 0). A put into a window
    // older than the retention is ignored, as in Kafka Streams.
    virtual void put(const K& key, const V& value, int64_t window_start) = 0;
    virtual void remove(const K& key, int64_t window_start) = 0;
    virtual std::optional<V> fetch(const K& key, int64_t window_start) = 0;
    // Windows of `key` with start in [time_from, time_to] (inclusive), oldest first.
    virtual void fetch(const K& key, int64_t time_from, int64_t time_to,
                       const window_visitor& visit) = 0;
    // Windows of every key with start in [time_from, time_to]; not globally time-ordered.
    virtual void fetch_all(int64_t time_from, int64_t time_to, const keyed_visitor& visit) = 0;
    void all(const keyed_visitor& visit) {
        fetch_all(0, std::numeric_limits<int64_t>::max(), visit);
    }
    virtual int64_t window_size_ms() const = 0;
    virtual int64_t retention_ms() const = 0;
    // The largest window start put so far (-1 before the first): windows starting at or
    // before observed_stream_time() - retention_ms() are expired, even while their segment
    // still holds them (fetch() may still return them; callers that must not see them
    // bound their range with it, as Kafka Streams' segmented stores do).
    virtual int64_t observed_stream_time() const = 0;
    // false when the stack has no active cache (the caller must forward updates itself).
    virtual bool set_flush_listener(flush_listener listener) = 0;
};

template <class K, class V>
using timestamped_window_store = window_store<K, value_and_timestamp<V>>;

} // namespace brook
