#pragma once

// stream_thread: one OS thread with one group consumer and one producer, running the
// tasks of the partitions it owns. It is the only orchestrator: each pass of its loop runs
// named phases over parts that each own one concern,
//
//   poll       consumer_client: records and events to the task_manager; rebalance
//              callbacks (on_assigned/on_revoked/on_lost) run inside it
//   restore    task_manager: changelogs replayed into new tasks' stores; tasks started
//   process    task_manager: queued records through the running tasks, progress markers,
//              fetch limits for delayed sources
//   punctuate  task_manager: wall-clock punctuators
//   commit     transaction_manager (exactly_once_v2, pipelined) or
//              at_least_once_committer, every commit.interval.ms or when a task asks
//
// and between passes it runs store queries other threads queued (store_query_jobs) and
// publishes its metrics (thread_metrics).
//
//   CREATED -> STARTING -> PARTITIONS_ASSIGNED <-> RUNNING -> PENDING_SHUTDOWN -> DEAD
//                                  (any state) --- error ---> DEAD with error() set
//
// Commits report a commit_outcome. On abortable the thread aborts the transaction and
// rewinds every task to its last commit (tasks made again, stores at their last commit,
// inputs sought back); on fenced or fatal it also replaces the producer. A thread whose
// transactions fail max_failed_commits times in a row goes to DEAD with the last reason:
// nothing continues silently, and nothing loops forever.
//
// Revoked partitions are committed and their tasks closed inside the rebalance callback,
// before they are given up; lost ones are closed without committing. What is committed of
// the repartition topics is purged at most every repartition.purge.interval.ms.
//
// Threading: every member except the atomics, request_shutdown(), metrics() and
// visit_stores() is touched only by the thread itself, but for what delivery reports
// update (the collector's delivery state, produced counts): while an exactly-once commit
// is under way they run on the committer's thread. Ownership: owns its clients and tasks;
// the topology, config, client factory and layout are borrowed and must outlive it.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "engine/config/streams_config.h"
#include "engine/runtime/at_least_once_committer.h"
#include "engine/runtime/clients.h"
#include "engine/runtime/commit_outcome.h"
#include "engine/runtime/kafka_record_collector.h"
#include "engine/runtime/repartition_purger.h"
#include "engine/runtime/state_restore_listener.h"
#include "engine/runtime/store_query_jobs.h"
#include "engine/runtime/streams_metrics.h"
#include "engine/runtime/task_manager.h"
#include "engine/runtime/thread_metrics.h"
#include "engine/runtime/topic_layout.h"
#include "engine/runtime/transaction_manager.h"
#include "engine/topology/topology.h"
#include "state/cache_budget.h"

namespace brook {

class global_store_updater;

class standby_updater;

// partitions_revoked: an eager rebalance took everything and the assignment has not come
// yet; partitions_assigned: it came and tasks restore; running: every task processes.
enum class thread_state {
    created,
    starting,
    partitions_revoked,
    partitions_assigned,
    running,
    pending_shutdown,
    dead
};

// What a stream thread needs besides the topology and config.
struct stream_thread_options {
    std::string bootstrap;
    // Called (from the thread) after every state change.
    std::function<void()> on_change;
    // Makes the thread's clients; must outlive the thread.
    client_factory* clients = nullptr;
    // The application's topic layout; null: no progress markers or watermarks.
    const topic_layout* layout = nullptr;
    // May be null; must outlive the thread.
    state::rocksdb_environment* rocksdb = nullptr;
    state_restore_listener* restore_listener = nullptr;
    // exactly_once_v2: "<application.id>-<process id>"; the thread appends its index.
    std::string transactional_id_prefix;
    // This instance's process id (state directory), part of the consumer's client.id so
    // that the group's members can be told apart by instance.
    std::string instance_id;
    // Standby replicas of this instance, told of every task the thread runs; may be null.
    standby_updater* standbys = nullptr;
    const global_store_updater* global_stores = nullptr;
};

class stream_thread final : private partition_listener {
public:
    // Transactions failing this many times in a row end the thread with an error.
    static constexpr int max_failed_commits = 10;

    stream_thread(int index, const topology& topo, const streams_config& config,
                  stream_thread_options options);
    ~stream_thread() override;
    stream_thread(const stream_thread&) = delete;
    stream_thread& operator=(const stream_thread&) = delete;

    void start();
    // Asks the loop to finish: final commit, close tasks, leave the group. Returns at once.
    void request_shutdown() { _shutdown_requested = true; }
    // Waits for DEAD; false on timeout (the thread is then left to finish on its own).
    bool wait_until_dead(std::chrono::milliseconds timeout);

    thread_state state() const { return _state.load(); }
    // Why the thread died, if it died of an error.
    std::optional<std::string> error() const;
    int task_count() const { return _task_count.load(); }
    const task_counters& counters() const { return _counters; }
    uint64_t records_produced() const { return _produced.load(); }
    uint64_t commits() const { return _commits.load(); }
    uint64_t transactions_committed() const { return _transactions_committed.load(); }
    uint64_t transactions_aborted() const { return _transactions_aborted.load(); }
    // True while stores of assigned tasks are being restored.
    bool restoring() const { return _restoring.load(); }
    // What this thread published for operators: its counters now, per-topic counts and
    // lag as of the last publication (at most about a second old). Any thread.
    streams_metrics metrics() const;

    // Whether the thread is alive and coming around its loop (see thread_health). Any
    // thread.
    thread_health health() const;

    // Calls `visit` with the store named `store` of every task of this thread that has it
    // and is processing, on this thread between two batches. Returns how many were
    // visited. Throws streams_error when the thread does not run its loop (not started,
    // shutting down, dead) or does not get to the job within `timeout`; `visit`'s
    // exceptions are rethrown here. Any thread but this one.
    using store_visitor = std::function<void(const task_id&, state::state_store&)>;
    size_t visit_stores(std::string_view store, const store_visitor& visit,
                        std::chrono::milliseconds timeout);

private:
    // Where the loop is, for health(): what a stuck thread is stuck in.
    enum class loop_phase : uint8_t {
        starting,
        poll,
        restore,
        process,
        punctuate,
        commit,
        stopping
    };
    void enter(loop_phase p);

    void run();
    void loop();
    void run_once();
    // The phases of one pass.
    void poll_phase();
    void restore_phase();
    void process_phase();
    void punctuate_phase();
    void commit_phase();

    // Commits every task now (shutdown, revocation): at least once, or one transaction.
    void commit_all();
    // A commit ended: counts it, or recovers from its failure.
    void after_commit(commit_outcome outcome, std::chrono::steady_clock::time_point started);
    // After a failed transaction: aborts it (or replaces the producer) and rewinds every
    // task. Throws streams_error after max_failed_commits failures in a row.
    void recover(commit_outcome why, const std::string& reason);
    void make_producer();
    void publish_metrics(bool force);
    void set_state(thread_state s);

    void on_assigned(const std::vector<topic_partition>& partitions) override;
    void on_revoked(const std::vector<topic_partition>& partitions) override;
    void on_lost(const std::vector<topic_partition>& partitions) override;

    const int _index;
    const topology& _topology;
    const streams_config& _config;
    const stream_thread_options _options;
    const bool _eos;
    kafka::client_config _producer_config;
    state::cache_budget _cache;
    task_counters _counters;
    thread_metrics _metrics;
    store_query_jobs _jobs;

    std::unique_ptr<consumer_client> _consumer;
    std::unique_ptr<producer_client> _producer;
    std::unique_ptr<kafka_record_collector> _collector;
    std::unique_ptr<task_manager> _tasks;
    std::unique_ptr<repartition_purger> _purger; // null when no source is a repartition topic
    std::unique_ptr<at_least_once_committer> _alos;
    // Declared last of the parts: destroyed first, so a commit under way ends before the
    // producer and the counters its delivery reports update go.
    std::unique_ptr<transaction_manager> _txn;

    std::chrono::steady_clock::time_point _last_commit;
    // When this thread last gave partitions up; reset when it gets an assignment.
    std::optional<std::chrono::steady_clock::time_point> _revoked_at;
    int _failed_in_a_row = 0;
    std::vector<consumed_record> _records;
    std::vector<consumer_event> _events;

    std::thread _thread;
    std::atomic<thread_state> _state{thread_state::created};
    std::atomic<bool> _shutdown_requested{false};
    std::atomic<int> _task_count{0};
    std::atomic<uint64_t> _produced{0};
    std::atomic<uint64_t> _commits{0};
    std::atomic<uint64_t> _transactions_committed{0};
    std::atomic<uint64_t> _transactions_aborted{0};
    std::atomic<bool> _restoring{false};
    // Health: the loop's phase and when it was entered (steady ms), and commits failed in a
    // row with the last reason (under _mutex).
    std::atomic<loop_phase> _phase{loop_phase::starting};
    std::atomic<int64_t> _phase_since_ms{0};
    std::atomic<int> _failed_commits{0};
    std::string _last_commit_failure;
    std::string _incomplete_tasks; // tasks waiting for input partitions another member has

    mutable std::mutex _mutex; // guards _error, _last_commit_failure and the dead condition
    std::condition_variable _dead;
    std::optional<std::string> _error;
};

} // namespace brook
