#pragma once

// task_manager: the tasks of one stream thread, from assignment to close.
//
//   assign() -> created (stores open) -> restoring (changelog_reader) -> starting (time read
//   from the committed offsets) -> running -> release() / rewind_all() / close_all()
//
// It creates a task for each sub-topology x partition number it is given partitions of,
// holds the task's input partitions paused while its stores restore, starts it with the
// stream time it had committed, routes consumed records and end-of-partition events to
// it, processes and punctuates the running tasks, sends their progress markers, and
// pauses inputs whose task need not fetch more (delayed heads not due, full buffers). It
// never commits: the thread asks it for the tasks to commit and commits them itself.
//
// Threading: the owning stream thread only. Ownership: owns the tasks, the restore
// reader and the pause bookkeeping; borrows the consumer (which must outlive it), the
// topology and the config.

#include <chrono>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "engine/config/streams_config.h"
#include "engine/runtime/changelog_reader.h"
#include "engine/runtime/clients.h"
#include "engine/runtime/input_pauses.h"
#include "engine/runtime/partition_tasks.h"
#include "engine/runtime/stream_task.h"
#include "engine/runtime/task_environment.h"
#include "engine/topology/topology.h"

namespace brook {

class task_manager {
public:
    // `env` is what every task gets (its collector may change: set_collector()).
    // `restore` is the restore consumer's config. `consumer` must outlive this object.
    task_manager(int thread_index, const topology& topo, const streams_config& config,
                 task_environment env, consumer_client& consumer, client_factory& clients,
                 kafka::client_config restore, state_restore_listener* restore_listener);
    ~task_manager();
    task_manager(const task_manager&) = delete;
    task_manager& operator=(const task_manager&) = delete;

    // Where tasks made from now on send their output (a new producer's collector). Tasks
    // made before keep theirs: rewind_all() makes them again.
    void set_collector(record_collector* collector) { _env.collector = collector; }

    // ---- ownership changes (from the rebalance callbacks) ----
    // Creates the tasks of newly assigned partitions (or adds a partition to its task),
    // opens their stores and starts their restore; their inputs stay paused until they run.
    void assign(const std::vector<topic_partition>& partitions);
    // The running tasks owning any of `partitions`, each once.
    std::vector<stream_task*> tasks_of(const std::vector<topic_partition>& partitions);
    // Processes everything queued in `tasks` (before they are committed and given up).
    void drain(const std::vector<stream_task*>& tasks);
    // Drops the partitions from their tasks, closing tasks left with none, and resumes them.
    void release(const std::vector<topic_partition>& partitions);

    // ---- the loop's phases ----
    // Restores stores for up to `timeout` and starts the tasks that are ready: reads their
    // committed time, initializes them and resumes their inputs. Returns tasks started.
    size_t restore_and_start(std::chrono::milliseconds timeout);
    // True while a task's stores restore or a task waits to start.
    bool restoring() const { return !_restorer.idle() || !_to_start.empty(); }
    // Tasks that cannot start because the group gave this member only some of their input
    // partitions (never with the range assignor and one topology; a guard against ever
    // processing half a task's input), with the partitions they lack.
    std::vector<std::string> incomplete_tasks() const;
    // Queues each record in its task (records of partitions no task owns are dropped:
    // their offsets were not committed, so their next owner reads them).
    void add_records(std::vector<consumed_record>& records);
    // Applies end-of-partition events; throws streams_error for errors the thread cannot
    // survive (a source topic deleted, a fatal consumer error).
    void handle_events(const std::vector<consumer_event>& events);
    // Processes every queued record of the running tasks that may process; returns true
    // when one of them asked for a commit.
    bool process();
    // Pauses or resumes inputs after processing: delayed heads not due, full buffers.
    void limit_fetching();
    void punctuate(int64_t wall_clock_ms);
    // Sends progress markers of tasks whose event time moved (at most every
    // progress interval; every task's at least every heartbeat).
    void send_progress_markers(std::chrono::steady_clock::time_point now);
    // Reads the ends of the upstream writers' input partitions (at most every progress
    // interval, and only while some task's watermark waits on an idle writer), so that
    // idle claims are confirmed or refused, and recomputes those watermarks.
    void confirm_upstream_idleness(std::chrono::steady_clock::time_point now);
    // How long the next poll may wait: at most `max`, less when a delayed head is due or a
    // paused partition is to resume sooner.
    std::chrono::milliseconds poll_wait(std::chrono::milliseconds max) const;

    // ---- commits and recovery ----
    // Every task, for a commit of them all.
    std::vector<stream_task*> all_tasks();
    // The task `id` if it is still the same object as `task` (not closed and made again).
    bool is_live(const task_id& id, const stream_task* task) const;
    // After an aborted transaction or a fencing: drops every task without committing, makes
    // it again from its stores' last commit (restoring the changelog tail where needed) and
    // rewinds its inputs to the committed offsets. `between` runs after the old tasks are
    // closed and before the new ones are made (the thread replaces its producer there).
    void rewind_all(const std::function<void()>& between = {});
    // Closes every task without committing (the thread is failing or done).
    void close_all() noexcept;

    // ---- what others ask ----
    int task_count() const { return static_cast<int>(_tasks.size()); }
    // Calls `visit` with the store `name` of every running task that has it; returns how many.
    size_t visit_stores(std::string_view name,
                        const std::function<void(const task_id&, state::state_store&)>& visit);
    const partition_tasks& partitions() const { return _task_of; }
    uint64_t restore_remaining() const { return _restorer.remaining(); }
    uint64_t stores_restoring() const { return _restorer.active_stores(); }

private:
    // Sets where each store restoring from its table's source topic stops: the group's
    // committed offset of that partition. Throws kafka_error when it cannot be read.
    void bound_source_restores(stream_task& task);
    stream_task& create(const task_id& id);
    void close_task(const task_id& id);
    // A task is gone from this thread: the instance may keep a standby of it again.
    void forget(const task_id& id) noexcept;
    void pause_inputs(stream_task& task, bool pause);
    // Delayed sources: pauses the partitions whose head record is not due within the fetch
    // lead, resumes the others, and notes when the loop must wake next.
    void hold_delayed_partitions();
    // Pauses partitions holding buffered.records.per.partition records not processed yet.
    void limit_buffers();
    // Resumes every held partition and forgets them (before tasks are made again).
    void release_held_partitions();

    const int _index;
    const topology& _topology;
    const streams_config& _config;
    task_environment _env;
    consumer_client& _consumer;
    input_pauses _pauses;
    changelog_reader _restorer;
    std::map<task_id, std::unique_ptr<stream_task>> _tasks;
    partition_tasks _task_of;
    // Tasks whose stores are restored (or had nothing to restore), to start.
    std::vector<task_id> _to_start;
    // Restored tasks missing input partitions, with what they miss: started once complete.
    std::map<task_id, std::vector<topic_partition>> _incomplete;
    // The input partitions task `id` must own before it runs (by the topic layout).
    std::vector<topic_partition> missing_inputs(const stream_task& task) const;

    // Delayed sources: the topology has some; how long before a head is due its partition
    // resumes fetching (ms); the partitions paused now because their head record is not
    // due, with the time it is due at; the wall-clock time the loop must wake at next.
    const bool _delayed;
    const int64_t _fetch_lead_ms;
    partition_map<int64_t> _held;
    // buffered.records.per.partition, and whether some partition is paused for it now.
    const size_t _buffer_limit;
    bool _buffers_full = false;
    std::vector<stream_task::held_input> _held_scratch;
    int64_t _next_wake_ms = std::numeric_limits<int64_t>::max();

    std::chrono::steady_clock::time_point _last_markers{};
    std::chrono::steady_clock::time_point _last_heartbeat{};
    // The ends of upstream writers' inputs, as last read, and the wall clock just before the
    // request: an idle claim made after that is not confirmed by it.
    partition_map<int64_t> _upstream_ends;
    int64_t _upstream_ends_wall = -1;
    std::chrono::steady_clock::time_point _last_upstream_read{};
};

} // namespace brook
