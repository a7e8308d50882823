#pragma once

// Window specifications for grouped_stream::windowed_by(), named as in Kafka Streams:
//
//   time_windows::of_size_with_no_grace(5min)                 tumbling [start, start + size)
//   time_windows::of_size_and_grace(5min, 30s).advance_by(1min)  hopping
//   sliding_windows::of_time_difference_and_grace(10s, 5s)    [t - diff, t], both inclusive
//   session_windows::of_inactivity_gap_and_grace(5min, 1min)  sessions per key
//
// Each has a grace period: how long after a window ends records may still arrive for it.
// A window is closed once the task's stream time minus the grace period ("close time")
// has passed its end; records for closed windows are dropped and counted in
// task_counters::late_records_dropped.
//
// Specs are immutable values; the factory functions throw std::invalid_argument with a
// message naming the bad argument (size > 0, 0 < advance <= size, grace >= 0, ...).
//
// Range: durations are at most max_window_duration_ms (2^61 ms, 73 million years) and a
// record's timestamp at most max_window_timestamp_ms (2^62 ms) for any window operator, so
// no sum of the two can overflow. A window operator hands a record stamped later than
// that (a Kafka timestamp may be INT64_MAX) to the processing exception handler
// (window_timestamp_check) instead of computing with it.

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "engine/store/windowed.h"
#include "engine/time_math.h"

namespace brook {

inline constexpr int64_t max_window_duration_ms = int64_t{1} << 61;
inline constexpr int64_t max_window_timestamp_ms = int64_t{1} << 62;

// Throws std::out_of_range (a processing error: the record, not Brook, is at fault) for a
// timestamp no window can hold.
inline void window_timestamp_check(int64_t timestamp) {
    if (timestamp > max_window_timestamp_ms) {
        throw std::out_of_range("the record's timestamp " + std::to_string(timestamp) +
                                " is beyond what a window can hold (at most 2^62 ms)");
    }
}

// Tumbling (advance == size) or hopping (advance < size) time windows, aligned to the
// epoch: window starts are multiples of the advance.
class time_windows {
public:
    // Tumbling windows of `size`; records later than their window's end are dropped.
    static time_windows of_size_with_no_grace(std::chrono::milliseconds size);
    // Tumbling windows of `size` accepting records up to `grace` after the window's end.
    static time_windows of_size_and_grace(std::chrono::milliseconds size,
                                          std::chrono::milliseconds grace);
    // Hopping windows: a new window every `advance` (0 < advance <= size).
    time_windows advance_by(std::chrono::milliseconds advance) const;

    int64_t size_ms() const { return _size_ms; }
    int64_t advance_ms() const { return _advance_ms; }
    int64_t grace_ms() const { return _grace_ms; }

    // Calls f(start) for each window containing `timestamp` (>= 0), oldest first, as
    // Kafka Streams' TimeWindows#windowsFor: the windows [start, start + size) with start
    // a multiple of the advance, start >= 0 and start <= timestamp < start + size.
    template <class F>
    void for_each_window(int64_t timestamp, F&& f) const {
        // size >= advance > 0 and timestamp >= 0: neither step can overflow, and the loop
        // stops before `start + advance` could (timestamps go up to INT64_MAX).
        const int64_t first = timestamp - _size_ms + _advance_ms;
        int64_t start = (first > 0 ? first : 0) / _advance_ms * _advance_ms;
        while (start <= timestamp) {
            f(start);
            if (start > timestamp - _advance_ms) {
                break;
            }
            start += _advance_ms;
        }
    }

    bool operator==(const time_windows&) const = default;

private:
    time_windows(int64_t size_ms, int64_t advance_ms, int64_t grace_ms);
    int64_t _size_ms;
    int64_t _advance_ms;
    int64_t _grace_ms;
};

// Sliding windows, as Kafka Streams' SlidingWindows: for every record at t, the window
// [t - diff, t] ending at it, and the window [t + 1, t + 1 + diff] starting right after it
// when later records fall into that one. Only windows whose contents differ exist, so an
// aggregate is emitted per distinct set of records within `diff` of each other.
class sliding_windows {
public:
    static sliding_windows of_time_difference_with_no_grace(std::chrono::milliseconds diff);
    static sliding_windows of_time_difference_and_grace(std::chrono::milliseconds diff,
                                                        std::chrono::milliseconds grace);

    int64_t time_difference_ms() const { return _diff_ms; }
    int64_t grace_ms() const { return _grace_ms; }
    bool operator==(const sliding_windows&) const = default;

private:
    sliding_windows(int64_t diff_ms, int64_t grace_ms);
    int64_t _diff_ms;
    int64_t _grace_ms;
};

// Session windows: the records of one key no more than `gap` apart form a session
// [first timestamp, last timestamp]. A record may merge two sessions into one.
class session_windows {
public:
    static session_windows of_inactivity_gap_with_no_grace(std::chrono::milliseconds gap);
    static session_windows of_inactivity_gap_and_grace(std::chrono::milliseconds gap,
                                                       std::chrono::milliseconds grace);

    int64_t inactivity_gap_ms() const { return _gap_ms; }
    int64_t grace_ms() const { return _grace_ms; }
    bool operator==(const session_windows&) const = default;

private:
    session_windows(int64_t gap_ms, int64_t grace_ms);
    int64_t _gap_ms;
    int64_t _grace_ms;
};

// ---- definitions ----

namespace detail {
inline int64_t window_duration(std::chrono::milliseconds d, const char* spec, const char* what,
                               bool positive) {
    if (positive ? d.count() <= 0 : d.count() < 0) {
        throw std::invalid_argument(std::string(spec) + ": " + what + " must be " +
                                    (positive ? "positive" : "zero or positive") + ", got " +
                                    std::to_string(d.count()) + " ms");
    }
    if (d.count() > max_window_duration_ms) {
        throw std::invalid_argument(std::string(spec) + ": " + what + " of " +
                                    std::to_string(d.count()) +
                                    " ms is longer than windows allow (2^61 ms)");
    }
    return d.count();
}
} // namespace detail

inline time_windows::time_windows(int64_t size_ms, int64_t advance_ms, int64_t grace_ms)
    : _size_ms(size_ms), _advance_ms(advance_ms), _grace_ms(grace_ms) {}

inline time_windows time_windows::of_size_with_no_grace(std::chrono::milliseconds size) {
    return of_size_and_grace(size, std::chrono::milliseconds(0));
}

inline time_windows time_windows::of_size_and_grace(std::chrono::milliseconds size,
                                                    std::chrono::milliseconds grace) {
    const int64_t s = detail::window_duration(size, "time_windows", "the window size", true);
    const int64_t g = detail::window_duration(grace, "time_windows", "the grace period", false);
    return time_windows(s, s, g);
}

inline time_windows time_windows::advance_by(std::chrono::milliseconds advance) const {
    const int64_t a = detail::window_duration(advance, "time_windows", "the advance", true);
    if (a > _size_ms) {
        throw std::invalid_argument("time_windows: the advance (" + std::to_string(a) +
                                    " ms) must not be larger than the window size (" +
                                    std::to_string(_size_ms) + " ms)");
    }
    return time_windows(_size_ms, a, _grace_ms);
}

inline sliding_windows::sliding_windows(int64_t diff_ms, int64_t grace_ms)
    : _diff_ms(diff_ms), _grace_ms(grace_ms) {}

inline sliding_windows
sliding_windows::of_time_difference_with_no_grace(std::chrono::milliseconds diff) {
    return of_time_difference_and_grace(diff, std::chrono::milliseconds(0));
}

inline sliding_windows
sliding_windows::of_time_difference_and_grace(std::chrono::milliseconds diff,
                                              std::chrono::milliseconds grace) {
    return sliding_windows(
        detail::window_duration(diff, "sliding_windows", "the time difference", false),
        detail::window_duration(grace, "sliding_windows", "the grace period", false));
}

inline session_windows::session_windows(int64_t gap_ms, int64_t grace_ms)
    : _gap_ms(gap_ms), _grace_ms(grace_ms) {}

inline session_windows
session_windows::of_inactivity_gap_with_no_grace(std::chrono::milliseconds gap) {
    return of_inactivity_gap_and_grace(gap, std::chrono::milliseconds(0));
}

inline session_windows
session_windows::of_inactivity_gap_and_grace(std::chrono::milliseconds gap,
                                             std::chrono::milliseconds grace) {
    return session_windows(
        detail::window_duration(gap, "session_windows", "the inactivity gap", true),
        detail::window_duration(grace, "session_windows", "the grace period", false));
}

} // namespace brook
