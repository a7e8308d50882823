#pragma once

// progress_marker: the record an upstream task writes into each partition of the
// repartition topics it feeds, to tell the downstream tasks how far the time of its
// records there has got (fan_in_watermark.h). A marker has a null key, a null value and one
// header, "__brook.progress" = "<sub-topology>.<partition>.<tasks>.<time>.<a|i>": the
// largest timestamp the writer task has written to the topic (-1: none yet), and whether
// it is idle (i: caught up on every input) or active (a). Under exactly-once it is part of the
// writer's transaction, so a downstream task sees only the progress of committed work.
//
// Value type; parse() accepts any bytes (a repartition topic is only Brook's by
// convention) and refuses what is not a well-formed marker.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "engine/nullable_bytes.h"

namespace brook {

struct progress_marker {
    static constexpr std::string_view header = "__brook.progress";

    int subtopology = 0;
    int32_t partition = 0;
    int32_t tasks = 0;
    int64_t stream_time = -1; // the largest timestamp written to the topic
    bool idle = false;

    std::string encode() const;
    // The marker a header value describes; nullopt when it is not one.
    static std::optional<progress_marker> parse(std::string_view value);
    // Whether a record is shaped like a marker (null key and value), before its headers
    // are read.
    static bool may_be_marker(nullable_bytes key, nullable_bytes value) { return !key && !value; }
};

} // namespace brook
