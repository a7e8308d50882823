#pragma once

// task_context: what a running task offers its nodes, independent of record types.
// Implemented by the runtime's stream_task (and so by the test driver, which runs
// stream_tasks too). Threading: used only from the task's own thread.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/processor/punctuation.h"
#include "engine/processor/record_collector.h"
#include "engine/processor/task_counters.h"
#include "engine/record.h"
#include "state/state_store.h"

namespace brook {

// A task is one sub-topology over one partition number of its input topics.
struct task_id {
    int subtopology = 0;
    int32_t partition = 0;
    auto operator<=>(const task_id&) const = default;
    std::string to_string() const {
        return std::to_string(subtopology) + "_" + std::to_string(partition);
    }
};

// What a processor may ask of its task (processor_context::task()): who it is, where the
// current record came from, the clocks, its stores, punctuation and commits.
class processor_task {
public:
    virtual ~processor_task() = default;

    virtual const std::string& application_id() const = 0;
    virtual task_id id() const = 0;
    // Metadata of the record being processed; null inside a punctuator.
    virtual const record_metadata* current_metadata() const = 0;
    // Largest record timestamp this task has seen (-1 before the first record).
    virtual int64_t stream_time() const = 0;
    // Milliseconds since the epoch by the task's clock (the test driver's is manual).
    virtual int64_t wall_clock_time() const = 0;
    // Throws topology_error if the store is not connected to the calling node's task.
    virtual state::state_store& store(std::string_view name) = 0;
    // Calls `fn` every `interval` of the given clock until cancelled or the task closes.
    virtual cancellable schedule(std::chrono::milliseconds interval, punctuation_type type,
                                 punctuator fn) = 0;
    // Asks for a commit as soon as the current record is done.
    virtual void request_commit() = 0;
    // Counts a record the processor routed to a dead-letter topic itself, so that it shows
    // in the app's dead-lettered count (/metrics) like the ones Brook routes.
    virtual void count_dead_letter() = 0;
};

// The runtime's side of a task: what its source nodes and the library's operators use
// beside processor_task. Processors of users do not see it.
class task_context : public processor_task {
public:
    // Called by source nodes with each record's (extracted) timestamp; advances stream
    // time and fires stream-time punctuators that are due.
    virtual void observe_record_timestamp(int64_t timestamp) = 0;
    virtual record_collector& collector() = 0;
    // The counters of the thread running this task (never null).
    virtual task_counters& counters() = 0;
    void count_dead_letter() final {
        counters().dead_lettered.fetch_add(1, std::memory_order_relaxed);
    }
};

} // namespace brook
