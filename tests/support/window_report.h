#pragma once

// window_report: how an app's windowed output compares with what a test oracle computed
// from the input (metrics_oracle.h, user_activity_oracle.h).

#include <cstdint>

namespace brook::testing {

struct window_report {
    int64_t outputs = 0;
    int64_t duplicates = 0; // a window emitted more than once
    int64_t unexpected = 0; // not JSON, or a window the input cannot make or that is not closed
    int64_t wrong = 0;      // emitted with other totals (count, sum, min, max, ...)
    // Of `wrong`, those that records counted more than once explain (what at-least-once
    // allows after a crash): every total at least as high, extremes unchanged.
    int64_t inflated = 0;
    int64_t missing = 0; // closed, never emitted
};

} // namespace brook::testing
