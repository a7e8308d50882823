#pragma once

// join_windows: how far apart in time two records of a stream-stream join may be and
// still join (Kafka Streams' JoinWindows). A left record at time t joins right records
// with timestamps in [t - before, t + after]; of_time_difference_* sets both to the same
// difference. The grace period is how long after a window closes (by stream time) its
// unmatched records of a left or outer join wait before they are emitted with no partner.
//
// An immutable value; every method that changes a bound returns a new one. Throws
// std::invalid_argument for a negative duration or a window with after < -before.

#include <chrono>
#include <cstdint>
#include <stdexcept>

#include <fmt/format.h>

namespace brook {

class join_windows {
public:
    static join_windows of_time_difference_and_grace(std::chrono::milliseconds difference,
                                                     std::chrono::milliseconds grace) {
        check_non_negative(difference, "the time difference");
        check_non_negative(grace, "the grace period");
        return join_windows(difference.count(), difference.count(), grace.count());
    }
    // No grace: unmatched records are emitted as soon as their window closes.
    static join_windows of_time_difference_without_grace(std::chrono::milliseconds difference) {
        return of_time_difference_and_grace(difference, std::chrono::milliseconds(0));
    }

    // Right records up to `before` earlier than the left one join (may be negative, as in
    // Kafka Streams, to shift the window; before + after must stay >= 0).
    join_windows before(std::chrono::milliseconds before) const {
        return join_windows(before.count(), _after_ms, _grace_ms);
    }
    join_windows after(std::chrono::milliseconds after) const {
        return join_windows(_before_ms, after.count(), _grace_ms);
    }

    int64_t before_ms() const { return _before_ms; }
    int64_t after_ms() const { return _after_ms; }
    int64_t grace_ms() const { return _grace_ms; }
    // The span of one window: what each side's store must cover.
    int64_t size_ms() const { return _before_ms + _after_ms; }

private:
    join_windows(int64_t before, int64_t after, int64_t grace)
        : _before_ms(before), _after_ms(after), _grace_ms(grace) {
        if (before + after < 0) {
            throw std::invalid_argument(fmt::format(
                "join_windows: the window is empty (before {} ms, after {} ms); before + after "
                "must be at least 0",
                before, after));
        }
    }
    static void check_non_negative(std::chrono::milliseconds d, const char* what) {
        if (d.count() < 0) {
            throw std::invalid_argument(
                fmt::format("join_windows: {} must not be negative (got {} ms)", what, d.count()));
        }
    }

    int64_t _before_ms;
    int64_t _after_ms;
    int64_t _grace_ms;
};

} // namespace brook
