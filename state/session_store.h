#pragma once

// session_store: byte-level store of sessions (key, start, end) -> value, as Kafka
// Streams' SessionStore. One key's sessions are adjacent and ordered by end time, then
// start (key_encoding.h). Segmented by session end; retention drops whole segments once
// observed stream time (the largest session end put so far) has moved past them.
//
// Threading: one task's thread only.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "state/state_store.h"

namespace brook::state {

// (start, end, value); return false to stop.
using session_visitor = std::function<bool(int64_t start, int64_t end, std::string_view value)>;
// (key, start, end, value); return false to stop.
using keyed_session_visitor =
    std::function<bool(std::string_view key, int64_t start, int64_t end, std::string_view value)>;

class session_store : public state_store {
public:
    // `value` nullopt removes the session. 0 <= start <= end.
    virtual void put(std::string_view key, int64_t start, int64_t end,
                     std::optional<std::string_view> value) = 0;
    virtual std::optional<std::string> fetch(std::string_view key, int64_t start, int64_t end) = 0;
    // Sessions of `key` with end >= earliest_end and start <= latest_start (the sessions a
    // record at t may merge with: earliest_end = t - gap, latest_start = t + gap), ordered
    // by end then start.
    virtual void find_sessions(std::string_view key, int64_t earliest_end, int64_t latest_start,
                               const session_visitor& visit) = 0;
    // Sessions of every key with end in [earliest_end, latest_end] (for emit-final sweeps).
    // Ordered by segment, then key, then end.
    virtual void fetch_all(int64_t earliest_end, int64_t latest_end,
                           const keyed_session_visitor& visit) = 0;
    virtual int64_t retention_ms() const = 0;
    // Largest session end put so far (-1 before the first put).
    virtual int64_t observed_stream_time() const = 0;
    virtual uint64_t expired_puts() const = 0;
};

} // namespace brook::state
