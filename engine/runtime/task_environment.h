#pragma once

// What a stream_task needs from whoever runs it (a stream_thread, or the test driver):
// where output goes, what time it is, what to do with unreadable records, and where
// and how stores keep their data.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

#include "engine/config/streams_config.h"
#include "engine/processor/record_collector.h"
#include "engine/processor/task_counters.h"

namespace brook::state {
class rocksdb_environment;
class cache_budget;
} // namespace brook::state

namespace brook {

struct task_environment {
    std::string application_id;
    record_collector* collector = nullptr;
    std::function<int64_t()> wall_clock; // ms since the epoch
    deserialization_handler on_deserialization_error = deserialization_handler::fail;
    std::string dead_letter_topic; // used with deserialization_handler::dead_letter
    task_counters* counters = nullptr;
    // <state.dir>/<application.id>; each task keeps its stores in <state_dir>/<task id>/.
    std::filesystem::path state_dir;
    // Shared by every store of the application; null: RocksDB defaults (tests).
    state::rocksdb_environment* rocksdb = nullptr;
    // The owning thread's cache budget; null: no caching.
    state::cache_budget* cache = nullptr;
    // exactly_once_v2: persistent stores stage their writes until the transaction commits.
    bool exactly_once = false;
    // max.task.idle.ms: how long a task with several inputs waits for an empty one that may
    // still have records to fetch (0: as long as it may; -1: never waits).
    std::chrono::milliseconds max_task_idle{0};
};

} // namespace brook
