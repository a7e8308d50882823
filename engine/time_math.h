#pragma once

// Saturating arithmetic for event times and durations (ms). Timestamps come from records
// and may be anything up to INT64_MAX ("ts": 9223372036854775807 is valid JSON and a valid
// Kafka timestamp); a window's end or a close time computed from one must clamp at the
// int64 range instead of wrapping around (a wrapped `start += advance` once made a loop
// that never ended).

#include <cstdint>
#include <limits>

namespace brook {

inline int64_t saturating_add(int64_t a, int64_t b) {
    int64_t r = 0;
    if (__builtin_add_overflow(a, b, &r)) {
        return b > 0 ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
    }
    return r;
}

inline int64_t saturating_sub(int64_t a, int64_t b) {
    int64_t r = 0;
    if (__builtin_sub_overflow(a, b, &r)) {
        return b < 0 ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
    }
    return r;
}

} // namespace brook
