#pragma once

// changelog_reader: restores the logged stores of newly assigned tasks from their
// changelog topics, with one dedicated restore consumer per stream thread
// (read_committed, manual assignment, never commits).
//
// For each logged store: a persistent store with a valid checkpoint replays only the
// changelog after it; anything else (in-memory, no checkpoint, a checkpoint outside the
// log's current range) is wiped and replayed from the beginning. The end is the log's end
// offset (for read_committed: the last stable offset) read when the restore is added.
// Records go to the store's bottom in large batches (RocksDB write batches, WAL off)
// and the checkpoint is written when the store has caught up.
//
// The restore consumer's assignment changes only between restore() calls: what add() and
// remove() change is assigned by the next restore(), and a partition whose restore ends
// while others go on is paused, not unassigned, so what is prefetched for the others
// stays (a full assignment drops it and waits for the fetch in flight).
//
// Lifecycle: owned by a stream_thread; add() tasks as they are assigned, call restore()
// from the thread's loop until the task is reported done, remove() tasks revoked before
// that. Threading: the owning thread only. Tasks are borrowed: remove() them before
// destroying them.

#include <chrono>
#include <deque>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "engine/kafka/client_config.h"
#include "engine/processor/task_counters.h"
#include "engine/runtime/clients.h"
#include "engine/runtime/state_restore_listener.h"
#include "engine/runtime/stream_task.h"

namespace brook {

// A consumer that reads changelogs: read_committed, end-of-partition events, never joins a
// group or commits (restores and standby replicas). `config` has bootstrap.servers set.
kafka::client_config changelog_consumer_config(kafka::client_config config);

class changelog_reader {
public:
    // `config` is the restore consumer's (bootstrap.servers set), made by `clients` on
    // first need; `listener` may be null. `clients` must outlive the reader.
    changelog_reader(client_factory& clients, kafka::client_config config,
                     state_restore_listener* listener, task_counters& counters);
    ~changelog_reader();
    changelog_reader(const changelog_reader&) = delete;
    changelog_reader& operator=(const changelog_reader&) = delete;

    // Starts restoring the logged stores `stores` of `owner` (a task; the brook-state tool
    // uses one per partition). The stores must be open and stay alive (and the vector
    // unchanged) until the owner is done or removed. Returns true when nothing needs
    // restoring. Throws kafka_error if a changelog cannot be read (missing topic, broker
    // unreachable).
    bool add(const task_id& owner, std::vector<changelog_partition>& stores);
    // Forgets an owner whose restore is not finished (a task revoked or lost).
    void remove(const task_id& owner);
    // Applies what arrives within `timeout` and returns the owners that finished.
    std::vector<task_id> restore(std::chrono::milliseconds timeout);
    bool idle() const { return _active.empty(); }
    // Stores restoring now, and the changelog records they still have to replay.
    uint64_t active_stores() const { return _active.size(); }
    uint64_t remaining() const;

private:
    struct active_restore {
        task_id owner;
        changelog_partition* store;
        int64_t position; // next offset to apply
        int64_t end;
        int64_t restored = 0;
    };

    consumer_client& consumer();
    void reassign();
    void finish(active_restore& r);

    client_factory& _clients;
    kafka::client_config _config;
    state_restore_listener* _listener;
    task_counters& _counters;
    std::unique_ptr<consumer_client> _consumer; // made on first need
    std::vector<active_restore> _active;
    // Partitions paused when their restore finished while others went on (see restore()).
    std::set<topic_partition> _paused;
    bool _assignment_stale = false; // add() or remove() changed _active since the last assign
    std::vector<consumed_record> _batch;
    std::vector<consumer_event> _events;
    std::vector<state::changelog_entry> _entries;
    // Keys and values converted from a table's source topic, for _entries to point into
    // (a deque: growing keeps them in place).
    std::deque<std::string> _converted;
};

} // namespace brook
