#pragma once

// stream_thread: one OS thread with one consumer (group = application.id,
// cooperative-sticky) and one producer, running the tasks of the partitions it owns.
//
//   CREATED -> STARTING -> PARTITIONS_ASSIGNED <-> RUNNING -> PENDING_SHUTDOWN -> DEAD
//                                  (any state) --- error ---> DEAD with error() set
//
// Under exactly_once_v2 the producer is transactional (transactional.id
// "<application.id>-<process id>-<thread index>") and a commit is one transaction: flush
// store caches, send the consumed offsets with the group metadata, commit, and only then
// let stores apply the transaction's writes. The periodic commit is pipelined: the
// transaction is sealed (stores stage later writes apart, the collector holds later
// records) and committed by a transaction_committer on its own thread while this thread
// processes on; when it is done, stores apply the sealed writes and a new transaction
// takes the held records. At most one commit is under way: the next one, a rebalance, an
// abort or shutdown first waits for it. An abortable error aborts and rewinds every
// task to its last commit (tasks are made again, stores restored from the changelog
// tail); fencing or a fatal error also replaces the producer. Nothing continues silently.
//
// The loop: restore the stores of newly assigned tasks (their input partitions stay
// paused until the task's changelogs are replayed), poll a batch, queue each record in
// its task, process every queued record, fire wall-clock punctuators, and commit every
// commit.interval.ms (flush store caches, flush the producer, checkpoint stores at the
// acknowledged changelog offsets, then commit the consumed offsets: at least once).
// What is committed of the repartition topics is purged at most every
// repartition.purge.interval.ms (repartition_purger.h). Revoked partitions are committed
// and their tasks closed inside the rebalance callback, before they are given up; lost
// ones are closed without committing.
//
// Delayed sources (due_time.h): after processing, every input partition whose head record
// is not due is paused, and resumed a fetch wait (the consumer's fetch.wait.max.ms) before
// the head is due: a resumed partition is fetched only once the fetch request in flight
// returns, so resuming at the due time would make the records behind the head late by up
// to that wait. The poll waits at most until the next due time or resumption, so the loop
// never sleeps past one. A paused partition that is revoked or lost is resumed as it goes,
// and an abort that rewinds the tasks resumes every paused one before the tasks are made
// again (their queues are gone; they hold anew).
//
// Threading: every member except the atomics and request_shutdown() is touched only by
// the thread itself, but for what delivery reports update (the collector's delivery
// state, per-topic produced counts): while a commit is under way they run on the
// committer's thread, and this thread leaves those alone until the commit ends. Ownership: owns its
// clients and tasks; the topology and config are borrowed and must outlive it.

#include <atomic>
#include <condition_variable>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "engine/config/streams_config.h"
#include "engine/kafka/consumer.h"
#include "engine/kafka/kafka_error.h"
#include "engine/kafka/producer.h"
#include "engine/runtime/changelog_reader.h"
#include "engine/runtime/input_pauses.h"
#include "engine/runtime/kafka_record_collector.h"
#include "engine/runtime/partition_tasks.h"
#include "engine/runtime/repartition_purger.h"
#include "engine/runtime/state_restore_listener.h"
#include "engine/runtime/stream_task.h"
#include "engine/runtime/streams_metrics.h"
#include "engine/runtime/transaction_committer.h"
#include "engine/topology/topology.h"
#include "state/cache_budget.h"

namespace brook {

enum class thread_state { created, starting, partitions_assigned, running, pending_shutdown, dead };

class stream_thread final : private kafka::rebalance_listener {
public:
    // `on_change` is called (from this thread) after every state change.
    // `rocksdb` and `restore_listener` may be null and must outlive the thread.
    stream_thread(int index, const topology& topo, const streams_config& config,
                  std::string bootstrap, std::function<void()> on_change,
                  state::rocksdb_environment* rocksdb = nullptr,
                  state_restore_listener* restore_listener = nullptr,
                  std::string transactional_id_prefix = {});
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
    // Sum of commit_transaction() durations, for a mean commit latency.
    uint64_t commit_latency_us() const { return _commit_latency_us.load(); }
    // True while stores of assigned tasks are being restored.
    bool restoring() const { return _restoring.load(); }
    // What this thread published for operators: its counters now, per-topic counts and
    // lag as of the last publication (at most about a second old). Any thread.
    streams_metrics metrics() const;

    // Calls `visit` with the store named `store` of every task of this thread that has it
    // and is processing, on this thread between two batches. Returns how many were
    // visited. Throws streams_error when the thread does not run its loop (not started,
    // shutting down, dead) or does not get to the job within `timeout`; `visit`'s
    // exceptions are rethrown here. Any thread but this one.
    using store_visitor = std::function<void(const task_id&, state::state_store&)>;
    size_t visit_stores(std::string_view store, const store_visitor& visit,
                        std::chrono::milliseconds timeout);

private:
    void run();
    void loop();
    void run_once(std::vector<kafka::message_ptr>& batch);
    task_environment task_env();
    // Exactly-once: the transactional commit and what to do when it fails.
    void begin_transaction_if_needed();
    // Commits the tasks' transaction and waits for it (after the one under way, if any).
    void commit_transaction(const std::vector<stream_task*>& tasks);
    // The periodic commit: waits for the one under way, if any, then starts the next.
    void commit_in_background();
    // Seals the tasks' transaction and hands it to the committer; false when there was
    // nothing to commit (the transaction stays open for the next records).
    bool start_transaction_commit(const std::vector<stream_task*>& tasks);
    // Waits for the commit under way (if any) and completes it: stores apply its writes
    // and tasks learn what is committed. Throws what failed the commit; the transaction
    // is then still open (_in_transaction) for recover() to abort.
    void await_transaction_commit();
    // await_transaction_commit(), then the held records go into a new transaction.
    void finish_transaction_commit();
    // After a successful commit of `offsets`: tells the purger what it may now delete.
    void after_commit(const std::vector<std::tuple<std::string, int32_t, int64_t>>& offsets);
    void recover(const kafka::kafka_error& e);
    void make_new_producer();
    void revive_tasks();
    void set_state(thread_state s);
    // Runs the jobs other threads queued (store queries); fails them when `shutting_down`.
    void run_jobs(bool shutting_down = false);
    // Copies counters, per-topic counts and lag into _published when due (or `force`).
    void publish_metrics(bool force);
    void count_consumed(const rd_kafka_message_t& msg);
    void commit_all();
    // Commits and times it; commit_tasks_now does the work.
    void commit_tasks(const std::vector<stream_task*>& tasks);
    void commit_tasks_now(const std::vector<stream_task*>& tasks);
    void close_task(const task_id& id);
    // Starts processing a task whose stores are restored: init its nodes, resume input.
    void start_task(stream_task& task);
    void pause_or_resume(stream_task& task, bool pause);
    // Topologies with delayed sources: pauses the partitions holding
    // buffered.records.per.partition records not processed yet (behind a head not due),
    // resumes the others.
    void limit_buffers();
    // Delayed sources: pauses the partitions whose head record is not due within the fetch
    // lead, resumes the others, and notes when the loop must wake next.
    void hold_delayed_partitions();
    // Resumes every held partition and forgets them (before tasks are made again).
    void release_held_partitions();
    // How long the next poll may wait: poll.ms, or less to wake when a head is due or a
    // paused partition is to resume.
    std::chrono::milliseconds poll_wait() const;
    // Drops the partitions from their tasks and closes tasks left with none.
    void release_partitions(const rd_kafka_topic_partition_list_t& partitions);

    void on_assigned(const rd_kafka_topic_partition_list_t& partitions) override;
    void on_revoked(const rd_kafka_topic_partition_list_t& partitions) override;
    void on_lost(const rd_kafka_topic_partition_list_t& partitions) override;

    const int _index;
    const topology& _topology;
    const streams_config& _config;
    const std::string _bootstrap;
    const std::function<void()> _on_change;
    state::rocksdb_environment* const _rocksdb;
    state_restore_listener* const _restore_listener;
    const std::string _transactional_id_prefix;
    const bool _eos;
    kafka::client_config _producer_config;
    bool _in_transaction = false;
    uint64_t _sent_at_transaction_start = 0;
    state::cache_budget _cache;

    std::unique_ptr<kafka::producer> _producer;
    std::unique_ptr<kafka_record_collector> _collector;
    // The transaction the committer is committing: its tasks with the offsets committed
    // for each, and when the commit began.
    struct sealed_transaction {
        struct task_offsets {
            stream_task* task; // compared with _tasks at completion: it may be gone by then
            task_id id;
            std::map<topic_partition, int64_t, topic_partition_less> offsets;
        };
        std::vector<task_offsets> tasks;
        std::vector<std::tuple<std::string, int32_t, int64_t>> offsets;
        std::chrono::steady_clock::time_point started;
    };
    std::optional<sealed_transaction> _sealed;
    std::unique_ptr<kafka::consumer> _consumer;
    std::unique_ptr<input_pauses> _pauses; // over _consumer, made and dropped with it
    std::unique_ptr<changelog_reader> _restorer;
    std::unique_ptr<repartition_purger> _purger; // null when no source is a repartition topic
    std::map<task_id, std::unique_ptr<stream_task>> _tasks;
    partition_tasks _task_of;
    // Delayed sources: the topology has some; how long before a head is due its partition
    // resumes fetching (ms); the partitions paused now because their head record is not
    // due, with the time it is due at; the wall-clock time the loop must wake at next.
    const bool _delayed;
    const int64_t _fetch_lead_ms;
    std::map<topic_partition, int64_t, topic_partition_less> _held;
    // buffered.records.per.partition, and whether some partition is paused for it now.
    const size_t _buffer_limit;
    bool _buffers_full = false;
    std::vector<stream_task::held_input> _held_scratch;
    int64_t _next_wake_ms = std::numeric_limits<int64_t>::max();
    task_counters _counters;
    std::chrono::steady_clock::time_point _last_commit;

    std::thread _thread;
    std::atomic<thread_state> _state{thread_state::created};
    std::atomic<bool> _shutdown_requested{false};
    std::atomic<int> _task_count{0};
    std::atomic<uint64_t> _produced{0};
    std::atomic<uint64_t> _commits{0};
    std::atomic<uint64_t> _transactions_committed{0};
    std::atomic<uint64_t> _transactions_aborted{0};
    std::atomic<uint64_t> _commit_latency_us{0};
    std::atomic<bool> _restoring{false};

    // Operator metrics: counted on this thread, published under _metrics_mutex.
    struct topic_count {
        const void* handle = nullptr; // the rd_kafka_topic_t last seen, to skip the lookup
        uint64_t* count = nullptr;
    };
    std::map<std::string, uint64_t, std::less<>> _consumed;
    std::map<std::string, uint64_t, std::less<>> _produced_per_topic;
    topic_count _last_consumed;
    topic_count _last_produced;
    latency_total _process_latency;
    latency_total _commit_latency;
    std::chrono::steady_clock::time_point _last_publish;
    mutable std::mutex _metrics_mutex;
    streams_metrics _published;

    // Jobs queued by other threads (store queries), run by this thread between batches.
    struct job {
        std::mutex mutex;
        std::condition_variable finished;
        std::function<void()> fn;
        bool done = false;
        bool cancelled = false; // the caller gave up: never run it
        std::exception_ptr error;
    };
    std::mutex _jobs_mutex;
    std::vector<std::shared_ptr<job>> _jobs;
    bool _jobs_closed = false; // guarded by _jobs_mutex

    mutable std::mutex _mutex; // guards _error and the dead condition
    std::condition_variable _dead;
    std::optional<std::string> _error;

    // Exactly-once: commits on its own thread. run() waits for a commit under way before
    // it drops the producer; declared last all the same, so that it is destroyed first,
    // before the producer and the counters its delivery reports update.
    transaction_committer _committer;
};

} // namespace brook
