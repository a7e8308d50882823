#pragma once

// What a stream_task needs from whoever runs it (a stream_thread, or the test driver):
// where output goes, what time it is, what to do with unreadable records, and where
// and how stores keep their data.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/config/streams_config.h"
#include "engine/processor/record_collector.h"
#include "engine/processor/task_counters.h"
#include "engine/runtime/topic_partition.h"

namespace brook::state {
class rocksdb_environment;
class cache_budget;
class state_store;
} // namespace brook::state

namespace brook {

struct topic_layout;
class standby_updater;

struct task_environment {
    std::string application_id;
    record_collector* collector = nullptr;
    std::function<int64_t()> wall_clock; // ms since the epoch
    deserialization_handler on_deserialization_error = deserialization_handler::fail;
    error_handler on_processing_error = error_handler::fail;
    error_handler on_production_error = error_handler::fail;
    std::string dead_letter_topic; // used by handlers that are dead_letter
    // max.event.time.future.ms: a record whose event time is further than this ahead of
    // the wall clock goes to the deserialization handler; negative: no bound.
    std::chrono::milliseconds max_event_time_future{-1};
    task_counters* counters = nullptr;
    // <state.dir>/<application.id>; each task keeps its stores in <state_dir>/<task id>/.
    std::filesystem::path state_dir;
    // Shared by every store of the application; null: RocksDB defaults (tests).
    state::rocksdb_environment* rocksdb = nullptr;
    // The owning thread's cache budget; null: no caching.
    state::cache_budget* cache = nullptr;
    // exactly_once_v2: persistent stores stage their writes until the transaction commits.
    bool exactly_once = false;
    // max.task.idle.ms, as Kafka Streams (KIP-695): a task with several inputs waits for an
    // empty input while records are known (or not known not) to be on the broker for it;
    // one that is caught up it waits for up to this long (0: not at all; -1: never waits).
    std::chrono::milliseconds max_task_idle{0};
    // The end of an input partition as the consumer's last fetch told it, without a
    // request; nullopt while unknown. Empty: ends are never known (the test driver, which
    // processes records as they are piped).
    std::function<std::optional<int64_t>(const topic_partition&)> end_offset;
    // Partition counts and writers of repartition topics: tasks keep a fan_in_watermark
    // for each repartition input and send progress markers into the repartition topics
    // they write. Null: neither (the test driver: a repartition input's stream time
    // advances with its records' timestamps, as in Kafka Streams).
    const topic_layout* layout = nullptr;
    // Confirms an upstream writer's idle claim against observed input ends
    // (fan_in_watermark.h); empty: no claim is ever confirmed (an idle writer then holds
    // its readers' watermarks like an active one).
    std::function<bool(int subtopology, int32_t partition, const std::vector<int64_t>& ends,
                       int64_t claim_wall)>
        confirm_idle;
    // The instance's standby replicas: told before a task's stores open here and after
    // they close, so that a standby of the task hands its stores over. Null: none.
    standby_updater* standbys = nullptr;
    // The instance's global stores, which every task may look up by name (null when there
    // is none of that name). Empty: no global stores.
    std::function<state::state_store*(std::string_view name)> global_store;
};

} // namespace brook
