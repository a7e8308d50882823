#pragma once

// at_least_once_committer: a stream thread's commits under at_least_once. A commit flushes
// the tasks' stores (cached writes go to their changelogs), waits until the broker has
// acknowledged every record the tasks sent, checkpoints each store at the changelog offset
// it now reflects, and only then commits the consumed offsets (with their event time): a
// record is never committed past before what it caused is written.
//
// Threading: the stream thread only. Ownership: borrows the consumer, producer and
// collector (attach()), which must outlive it.

#include <chrono>
#include <functional>
#include <vector>

#include "engine/runtime/clients.h"
#include "engine/runtime/commit_outcome.h"
#include "engine/runtime/kafka_record_collector.h"
#include "engine/runtime/stream_task.h"

namespace brook {

class at_least_once_committer {
public:
    using committed_listener = std::function<void(const offset_map&)>;

    at_least_once_committer(int thread_index, consumer_client& consumer,
                            std::chrono::milliseconds flush_timeout,
                            committed_listener on_committed);

    void attach(producer_client& producer, kafka_record_collector& collector) {
        _producer = &producer;
        _collector = &collector;
    }

    // Commits `tasks`. committed, or nothing_to_commit when no task consumed anything, or
    // when the group is rebalancing (the partitions' next owners re-read from the last
    // commit). Throws delivery_error when a record was not written, kafka_error when the
    // producer cannot flush or the commit fails otherwise.
    commit_outcome commit(const std::vector<stream_task*>& tasks);

private:
    const int _index;
    consumer_client& _consumer;
    const std::chrono::milliseconds _flush_timeout;
    committed_listener _on_committed;
    producer_client* _producer = nullptr;
    kafka_record_collector* _collector = nullptr;
};

} // namespace brook
