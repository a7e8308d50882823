#pragma once

// progress_marker: the record an upstream task writes into each partition of the
// repartition topics it feeds, to tell the downstream tasks how far the time of its
// records there has got (fan_in_watermark.h). A marker has a null key, a null value and one
// header, "__brook.progress":
//
//   "<sub-topology>.<partition>.<tasks>.<time>.<a|i>.<wall>.<end>,<end>,..."
//
//   time   the largest timestamp the writer task has written to the topic (-1: none yet)
//   a|i    active, or idle: caught up on every input, nothing queued
//   wall   the writer's wall clock (ms) when it sent the marker
//   end    idle only: for each source topic of the writer's sub-topology (sorted by name),
//          the offset its input partition was consumed to (-1: the task has none), so
//          that a reader can check that no record came in since (a killed writer's last
//          marker says idle for as long as it is read)
//
// Under exactly-once it is part of the writer's transaction, so a downstream task sees
// only the progress of committed work.
//
// Value type; parse() accepts any bytes (a repartition topic is only Brook's by
// convention) and refuses what is not a well-formed marker.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/nullable_bytes.h"

namespace brook {

struct progress_marker {
    static constexpr std::string_view header = "__brook.progress";
    // A writer sub-topology reads at most this many topics (a bound for parse()).
    static constexpr size_t max_inputs = 256;

    int subtopology = 0;
    int32_t partition = 0;
    int32_t tasks = 0;
    int64_t stream_time = -1; // the largest timestamp written to the topic
    bool idle = false;
    int64_t wall_ms = 0;
    std::vector<int64_t> ends; // idle only

    std::string encode() const;
    // The marker a header value describes; nullopt when it is not one.
    static std::optional<progress_marker> parse(std::string_view value);
    // Whether a record is shaped like a marker (null key and value), before its headers
    // are read.
    static bool may_be_marker(nullable_bytes key, nullable_bytes value) { return !key && !value; }
};

} // namespace brook
