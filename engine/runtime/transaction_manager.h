#pragma once

// transaction_manager: a stream thread's exactly-once commits, one Kafka transaction at a
// time, each reported as a commit_outcome. It never rewinds tasks: on a failed outcome the
// thread calls abort() and rewinds them itself.
//
//   (no transaction) --begin_if_needed--> open --commit/commit_in_background--> sealed
//   sealed --(committer thread: send offsets, commit)--> finish(): committed -> open again
//                                                        failed -> open, to abort()
//
// A commit flushes the tasks' stores, takes their offsets (with their event time), seals
// the transaction (stores stage later writes apart; the collector holds later records) and
// hands it to a transaction_committer, whose thread sends the offsets with the group
// metadata and commits while the stream thread processes on. When it ends, stores apply
// the sealed writes with their changelog checkpoints, tasks learn what is committed, and a
// new transaction takes the held records. At most one commit is under way: the next
// commit, abort() and abandon() wait for it first.
//
// Threading: the stream thread only (the committer's thread borrows the producer while a
// commit is under way; see transaction_committer.h). Ownership: borrows the producer and
// collector (attach()), the consumer and the task manager, which must outlive it.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "engine/runtime/clients.h"
#include "engine/runtime/commit_outcome.h"
#include "engine/runtime/kafka_record_collector.h"
#include "engine/runtime/stream_task.h"
#include "engine/runtime/task_manager.h"
#include "engine/runtime/transaction_committer.h"

namespace brook {

class transaction_manager {
public:
    // Called after each successful commit with the offsets it committed.
    using committed_listener = std::function<void(const offset_map&)>;

    transaction_manager(int thread_index, consumer_client& consumer, task_manager& tasks,
                        committed_listener on_committed);
    ~transaction_manager();
    transaction_manager(const transaction_manager&) = delete;
    transaction_manager& operator=(const transaction_manager&) = delete;

    // The thread's producer and collector, after each (re)creation. Not while busy().
    void attach(producer_client& producer, kafka_record_collector& collector);
    // Fences an earlier producer with this transactional.id (a killed predecessor),
    // aborting what it left open. Throws kafka_error.
    void init(std::chrono::milliseconds timeout);

    // Opens a transaction unless one is open. Throws kafka_error.
    void begin_if_needed();
    bool in_transaction() const { return _in_transaction; }
    // A commit is under way on the committer's thread.
    bool busy() const { return _committer.busy(); }

    // Commits `tasks` and waits for it (after the commit under way, if any, ends).
    commit_outcome commit(const std::vector<stream_task*>& tasks);
    // The periodic commit: ends the commit under way (returning its outcome: when it
    // failed, nothing new starts), then starts committing `tasks` without waiting.
    commit_outcome commit_in_background(const std::vector<stream_task*>& tasks);
    // Ends the commit under way if it is done, or if the records held meanwhile exceed
    // their bound; nothing_to_commit when no commit ended now.
    commit_outcome poll();
    // After a failed outcome: waits for a commit under way, drops the held records and
    // aborts the open transaction. Returns false when the producer must be replaced (the
    // outcome was fenced or fatal, or the abort itself failed fatally). Throws kafka_error
    // when the abort fails otherwise.
    bool abort(commit_outcome why);
    // The thread is failing: waits for a commit under way and forgets it. Never throws.
    void abandon() noexcept;
    // The producer is going away (replaced): the open transaction with it.
    void forget_transaction() { _in_transaction = false; }

    uint64_t committed() const { return _committed.load(std::memory_order_relaxed); }
    uint64_t aborted() const { return _aborted.load(std::memory_order_relaxed); }
    // Sum of commit_transaction() durations, for a mean.
    uint64_t commit_latency_us() const {
        return _commit_latency_us.load(std::memory_order_relaxed);
    }
    // From sealing to the end of each commit, for the thread's commit-latency metric.
    uint64_t commit_count() const { return _end_to_end_count; }
    uint64_t commit_end_to_end_us() const { return _end_to_end_us; }

private:
    // Seals the tasks' transaction and hands it to the committer; false when there was
    // nothing to commit (the transaction stays open for the next records).
    bool start(const std::vector<stream_task*>& tasks);
    // Waits for the commit under way and completes it; then a new transaction takes the
    // held records. nothing_to_commit when none is under way.
    commit_outcome finish();
    // finish() without beginning the next transaction.
    commit_outcome await();

    const int _index;
    consumer_client& _consumer;
    task_manager& _tasks;
    committed_listener _on_committed;
    producer_client* _producer = nullptr;
    kafka_record_collector* _collector = nullptr;
    bool _in_transaction = false;
    uint64_t _sent_at_begin = 0;

    // The transaction the committer is committing: its tasks with the offsets committed
    // for each, and when the commit began.
    struct sealed_transaction {
        struct task_offsets {
            stream_task* task; // checked with the task manager at completion
            task_id id;
            offset_map offsets;
        };
        std::vector<task_offsets> tasks;
        offset_map offsets;
        std::chrono::steady_clock::time_point started;
    };
    std::optional<sealed_transaction> _sealed;

    std::atomic<uint64_t> _committed{0};
    std::atomic<uint64_t> _aborted{0};
    std::atomic<uint64_t> _commit_latency_us{0};
    uint64_t _end_to_end_count = 0;
    uint64_t _end_to_end_us = 0;

    // Last member: destroyed first, so a commit under way ends before what it uses goes.
    transaction_committer _committer;
};

} // namespace brook
