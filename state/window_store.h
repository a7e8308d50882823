#pragma once

// window_store: byte-level store of (key, window start) -> value, as Kafka Streams'
// WindowStore. Keys are kept so that one key's windows are adjacent and ordered by
// start time (key_encoding.h). Data is split into time segments by window start;
// retention drops whole segments once the store's observed stream time (the largest
// window start put so far) has moved `retention` past them, never record by record.
//
// A put for a window whose segment has already expired is ignored (and counted in
// expired_puts()): it could never be read back anyway.
//
// Threading: one task's thread only.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "state/state_store.h"

namespace brook::state {

// (window start, value); return false to stop.
using window_visitor = std::function<bool(int64_t start, std::string_view value)>;
// (key, window start, value); return false to stop.
using keyed_window_visitor =
    std::function<bool(std::string_view key, int64_t start, std::string_view value)>;

class window_store : public state_store {
public:
    // `value` nullopt removes the window. `window_start` >= 0.
    virtual void put(std::string_view key, std::optional<std::string_view> value,
                     int64_t window_start) = 0;
    virtual std::optional<std::string> fetch(std::string_view key, int64_t window_start) = 0;
    // Windows of `key` with start in [from, to] (inclusive, as in Kafka Streams), oldest first.
    virtual void fetch(std::string_view key, int64_t from, int64_t to,
                       const window_visitor& visit) = 0;
    // Windows of every key with start in [from, to]. Ordered by segment, then key, then
    // start: not globally by time.
    virtual void fetch_all(int64_t from, int64_t to, const keyed_window_visitor& visit) = 0;
    virtual int64_t retention_ms() const = 0;
    // Largest window start put so far (-1 before the first put).
    virtual int64_t observed_stream_time() const = 0;
    virtual uint64_t expired_puts() const = 0;
};

} // namespace brook::state
