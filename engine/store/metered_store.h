#pragma once

// metered_store: what every typed store facade (the metered layer at the top of a store
// stack) counts, readable without knowing the store's key and value types:
//
//   auto* m = dynamic_cast<brook::metered_store*>(&driver.state_store("counts"));
//   m->operation_counters().puts
//
// Threading: bumped on the owning task's thread; relaxed atomics, so a metrics endpoint
// may read them from any thread (totals, not synchronisation).

#include <atomic>
#include <cstdint>

namespace brook {

struct store_operation_counters {
    std::atomic<uint64_t> puts{0};    // put, put_if_absent that wrote
    std::atomic<uint64_t> gets{0};    // get, fetch of one entry
    std::atomic<uint64_t> removes{0}; // remove, or put of a null
    std::atomic<uint64_t> scans{0};   // range, all, fetch of a time range, find_sessions
    std::atomic<uint64_t> flushes{0};
    // Entries a cache flush listener was told about (updates forwarded from the cache).
    std::atomic<uint64_t> cache_flushed{0};
};

class metered_store {
public:
    virtual ~metered_store() = default;
    virtual const store_operation_counters& operation_counters() const = 0;
};

namespace detail {
inline void bump(std::atomic<uint64_t>& c) {
    c.fetch_add(1, std::memory_order_relaxed);
}
} // namespace detail

} // namespace brook
