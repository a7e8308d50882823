#pragma once

// cache_layer: the plumbing the three caching stores (key-value, window, session) share:
// deciding at init() whether caching is on, owning the store_cache, stamping writes with
// the context's clock, and writing an entry down -- to the store below, stamped with the
// timestamp of the write that last changed it, then to the cache flush listener.
//
// Stamping: the layers below (the change-logging one) read the clock from the context
// they were opened with. open() hands them a clock that, while an entry is being written
// down, returns that entry's timestamp instead of the current record's, so a changelog
// record carries the time of the update it holds, as in Kafka Streams.
//
// Lifecycle: a member of its caching store; open() in the store's init(), close() in its
// close() (drops the cache without writing it down; idempotent).
// Threading: the owning task's thread only.
// Ownership: owns the cache; borrows the budget from the context, which must outlive
// close() (or the layer, if it is never closed).

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>

#include "state/state_store.h"
#include "state/store_cache.h"

namespace brook::state {

class cache_layer {
public:
    // Writes one entry to the store below (`value` nullopt: delete it there).
    using write_below_fn =
        std::function<void(std::string_view key, std::optional<std::string_view> value)>;

    // Creates the cache when `context` carries an enabled budget and returns the context
    // to open the store below with (the same one when caching is off).
    store_context open(const store_context& context, write_below_fn write_below);
    void close() { _cache.reset(); }

    // Null when caching is off.
    store_cache* cache() const { return _cache.get(); }
    // The current record's timestamp, for a write being cached (-1 without a clock).
    int64_t now() const { return _clock ? _clock() : -1; }
    // Keeps the listener; false (and ignored) when caching is off.
    bool set_listener(cache_flush_listener listener);

private:
    void write_down(std::string_view key, std::optional<std::string_view> value, int64_t timestamp);

    std::unique_ptr<store_cache> _cache;
    write_below_fn _write_below;
    std::function<int64_t()> _clock;
    cache_flush_listener _listener;
    // Set while an entry is being written down: its timestamp.
    std::optional<int64_t> _writing;
};

} // namespace brook::state
