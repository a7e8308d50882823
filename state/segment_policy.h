#pragma once

// segment_policy: the time arithmetic that window and session stores share, after Kafka
// Streams' AbstractSegments. Time is cut into segments of `segment_interval_ms`
// (id = time / interval). Given the store's observed stream time, a segment is live while
// its end is after `stream_time - retention_ms`; older segments are dropped whole, and a
// put into one is ignored.
//
// Lifecycle: a value type, fixed at construction. Threading: immutable, so shareable.
// Ownership: none.

#include <cstdint>

namespace brook::state {

class segment_policy {
public:
    // Kafka Streams' default for a retention: max(retention / 2, 60 s).
    static int64_t default_segment_interval(int64_t retention_ms);

    // `segment_interval_ms` 0 picks default_segment_interval(retention_ms). Throws
    // std::invalid_argument when retention is negative or the interval is negative.
    segment_policy(int64_t retention_ms, int64_t segment_interval_ms);

    int64_t retention_ms() const { return _retention_ms; }
    int64_t segment_interval_ms() const { return _segment_interval_ms; }

    // The segment holding `time` (>= 0).
    int64_t segment_id(int64_t time) const { return time / _segment_interval_ms; }
    // The oldest segment still live at `stream_time` (-1 before the first put: every
    // segment is live). Segments with a smaller id are expired.
    int64_t min_live_segment(int64_t stream_time) const;
    bool is_live(int64_t segment_id, int64_t stream_time) const {
        return segment_id >= min_live_segment(stream_time);
    }

private:
    int64_t _retention_ms;
    int64_t _segment_interval_ms;
};

} // namespace brook::state
