#include "engine/runtime/thread_metrics.h"

namespace brook {

void thread_metrics::publish(std::chrono::steady_clock::time_point now,
                             std::vector<partition_lag> lag, uint64_t restore_remaining,
                             uint64_t stores_restoring, bool producer_busy) {
    _last_publish = now;
    std::lock_guard lock(_mutex);
    _published.records_consumed = {_consumed.begin(), _consumed.end()};
    if (!producer_busy) {
        // While a commit is under way, delivery reports update these on the committer's
        // thread: the last published counts stand until it ends.
        _published.records_produced = {_produced.begin(), _produced.end()};
    }
    _published.process_latency = _process_latency;
    _published.commit_latency = _commit_latency;
    _published.lag = std::move(lag);
    _published.restore_remaining = restore_remaining;
    _published.stores_restoring = stores_restoring;
}

streams_metrics thread_metrics::snapshot() const {
    std::lock_guard lock(_mutex);
    return _published;
}

} // namespace brook
