#pragma once

// cache_budget: the memory bound that caching layers of one stream thread share
// (statestore.cache.max.bytes divided by the number of threads). Each caching store
// charges the bytes it holds here and evicts its least recently used entries while the
// total is over the bound. A bound of 0 turns caching off: every write goes straight
// through, as in Kafka Streams.
//
// Threading: one stream thread (all its tasks' stores) only; no locking.

#include <cstddef>
#include <cstdint>

namespace brook::state {

class cache_budget {
public:
    explicit cache_budget(size_t max_bytes) : _max(max_bytes) {}
    size_t max_bytes() const { return _max; }
    size_t used() const { return _used; }
    bool enabled() const { return _max > 0; }
    bool over() const { return _used > _max; }
    void charge(size_t bytes) { _used += bytes; }
    void release(size_t bytes) { _used = bytes > _used ? 0 : _used - bytes; }

private:
    size_t _max;
    size_t _used = 0;
};

} // namespace brook::state
