#pragma once

// What a stream_task needs from whoever runs it (a stream_thread, or the test driver):
// where output goes, what time it is, and what to do with unreadable records.

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "engine/config/streams_config.h"
#include "engine/processor/record_collector.h"

namespace brook {

// Counters a task bumps; owned by the thread (or driver), read by metrics endpoints.
struct task_counters {
    std::atomic<uint64_t> records_processed{0};
    std::atomic<uint64_t> deserialization_errors{0};
    std::atomic<uint64_t> dead_lettered{0};
    std::atomic<uint64_t> punctuations{0};
};

struct task_environment {
    std::string application_id;
    record_collector* collector = nullptr;
    std::function<int64_t()> wall_clock; // ms since the epoch
    deserialization_handler on_deserialization_error = deserialization_handler::fail;
    std::string dead_letter_topic; // used with deserialization_handler::dead_letter
    task_counters* counters = nullptr;
};

} // namespace brook
