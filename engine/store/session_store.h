#pragma once

// brook::session_store<K, V>: the typed session store, as Kafka Streams' SessionStore<K, V>:
// values by session, a windowed<K> whose start and end are the timestamps of the session's
// first and last record (both inclusive). Implemented by metered_session_store over a
// byte-level stack (state/session_store.h). Sessions are not timestamped: a session's
// timestamp is its end.
//
// Lifecycle and threading: those of state::state_store; processors get one with get_store().

#include <cstdint>
#include <functional>
#include <limits>
#include <optional>

#include "engine/store/windowed.h"
#include "state/state_store.h"

namespace brook {

template <class K, class V>
class session_store : public state::state_store {
public:
    using key_type = K;
    using value_type = V;
    // (session, value); return false to stop.
    using visitor = std::function<bool(const windowed<K>& session, const V& value)>;
    using flush_listener =
        std::function<void(const windowed<K>& session, std::optional<V> value, int64_t timestamp)>;

    // Inserts or replaces the session (0 <= start <= end).
    virtual void put(const windowed<K>& session, const V& value) = 0;
    virtual void remove(const windowed<K>& session) = 0;
    virtual std::optional<V> fetch_session(const K& key, int64_t start, int64_t end) = 0;
    // Sessions of `key` with end >= earliest_end and start <= latest_start, ordered by end:
    // the sessions a record at t may merge with when earliest_end = t - gap and
    // latest_start = t + gap.
    virtual void find_sessions(const K& key, int64_t earliest_end, int64_t latest_start,
                               const visitor& visit) = 0;
    // Every session of `key`.
    void fetch(const K& key, const visitor& visit) {
        find_sessions(key, 0, std::numeric_limits<int64_t>::max(), visit);
    }
    // Sessions of every key with end in [earliest_end, latest_end]; not globally ordered.
    virtual void fetch_all(int64_t earliest_end, int64_t latest_end, const visitor& visit) = 0;
    void all(const visitor& visit) { fetch_all(0, std::numeric_limits<int64_t>::max(), visit); }
    virtual int64_t retention_ms() const = 0;
    // false when the stack has no active cache (the caller must forward updates itself).
    virtual bool set_flush_listener(flush_listener listener) = 0;
};

} // namespace brook
