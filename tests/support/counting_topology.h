#pragma once

// counting_topology: the topology the stream-thread tests over the fake clients run. It
// counts records per key of topic "in" into the logged store "counts" (changelog
// "counter-counts-changelog" for application id "counter") and writes each new count to
// "out".

#include <string>

#include "operators/stream_builder.h"

namespace brook::testing {

inline constexpr const char* counting_app_id = "counter";
inline constexpr const char* counting_changelog = "counter-counts-changelog";

inline topology counting_topology() {
    stream_builder builder;
    builder.stream<std::string, std::string>({"in"})
        .group_by_key()
        .count(materialized<std::string, int64_t>::as("counts"))
        .to_stream()
        .to("out");
    return builder.build();
}

} // namespace brook::testing
