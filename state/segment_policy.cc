#include "state/segment_policy.h"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

namespace brook::state {

int64_t segment_policy::default_segment_interval(int64_t retention_ms) {
    return std::max<int64_t>(retention_ms / 2, 60'000);
}

segment_policy::segment_policy(int64_t retention_ms, int64_t segment_interval_ms)
    : _retention_ms(retention_ms),
      _segment_interval_ms(segment_interval_ms == 0 ? default_segment_interval(retention_ms)
                                                    : segment_interval_ms) {
    if (retention_ms < 0) {
        throw std::invalid_argument(
            fmt::format("store retention {} ms is negative: pass a retention >= 0", retention_ms));
    }
    if (segment_interval_ms < 0) {
        throw std::invalid_argument(fmt::format(
            "segment interval {} ms is negative: pass a positive interval, or 0 for the default",
            segment_interval_ms));
    }
}

int64_t segment_policy::min_live_segment(int64_t stream_time) const {
    const int64_t min_live_time = stream_time - _retention_ms;
    // Before the first put, or while stream time is still inside the first retention
    // period, nothing has expired. (Kafka Streams truncates toward zero here, which gives
    // the same answer because segment ids are never negative.)
    if (min_live_time < 0) {
        return -1;
    }
    return segment_id(min_live_time);
}

} // namespace brook::state
