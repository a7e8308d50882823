#pragma once

// assignment_log: what a Brook app's stream threads said at each assignment, read back from
// its log ("brook: stream thread 1: assigned tasks [0_1,1_1] after a pause of 120 ms",
// stream_thread.cc), for tests that count task moves and rebalance pauses.

#include <cstdint>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

namespace brook::testing {

struct logged_assignment {
    std::set<std::string> tasks; // task ids, "0_1"
    int64_t pause_ms = -1;       // -1: the first assignment (no pause before it)
};

// Every assignment in the log, in order; empty when the file is missing.
std::vector<logged_assignment> assignments_in(const std::filesystem::path& log);

} // namespace brook::testing
