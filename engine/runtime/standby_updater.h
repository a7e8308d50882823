#pragma once

// standby_updater: keeps standby replicas (num.standby.replicas) of other instances' tasks
// warm in this instance's state directory, so that when a task's owner dies the task's
// next owner (this instance, by task_placement.h) restores only the changelog's tail.
//
// Every second it reads the group (group_view.h) and works out which tasks this process
// keeps standbys of (task_placement.h). For each, it opens the task's persistent stores in
// <state.dir>/<application.id>/<task id>/, the directory the active task would use, and
// tails their changelogs with one read_committed consumer (manual assignment, never
// commits): records go to the stores' bottoms as restore batches, followed by the
// changelog offset as the stores' checkpoint. That is the same staged, no-wipe state an
// active task restores from, so a standby is handed over by closing it (claim()) and
// letting the active task open the same stores and restore from their checkpoint. While
// the group rebalances (no stable assignment to place by) the standbys stay as they are.
//
// Warm-ups: an instance about to join the group (kafka_streams::start()) asks for standbys
// of the tasks `range` will give it (warm_up()), and joins once they are within
// acceptable.recovery.lag, so that the tasks it takes over restore only a short tail
// while their old owners keep processing (Kafka Streams' warm-up replicas, KIP-441, done
// before the join because range moves tasks at once). A warm-up is kept until a stream
// thread claims it, or until it expires.
//
// In-memory stores are not kept: closing a standby would drop them.
//
// Lifecycle: made by kafka_streams::start() when num.standby.replicas > 0 and the topology
// has logged stores; start() runs the updater thread; stop() (and the destructor) closes
// every standby, checkpointed, and joins it.
// Threading: claim(), release(), visit_store() and lags() may be called from any thread;
// one mutex guards the standbys, held while a batch is applied, never while fetching.
// Ownership: owns the standby tasks and the consumer; borrows the topology, config, client
// factory and RocksDB environment, which must outlive it, and what describe_group uses.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "engine/config/streams_config.h"
#include "engine/kafka/admin_client.h"
#include "engine/kafka/client_config.h"
#include "engine/processor/task_counters.h"
#include "engine/runtime/clients.h"
#include "engine/runtime/stream_task.h"
#include "engine/runtime/streams_metrics.h"
#include "engine/runtime/task_placement.h"
#include "engine/topology/topology.h"

namespace brook {

class standby_updater {
public:
    struct options {
        const topology* topo = nullptr;
        const streams_config* config = nullptr;
        client_factory* clients = nullptr;
        kafka::client_config consumer; // bootstrap.servers and client.id set
        // The group as its coordinator describes it now (group_view::describe() in an
        // application); throws kafka::kafka_error when it cannot be described.
        std::function<std::shared_ptr<const kafka::group_description>()> describe_group;
        std::vector<stateful_subtopology> subtopologies;
        std::string process_id;
        std::filesystem::path state_dir; // <state.dir>/<application.id>
        state::rocksdb_environment* rocksdb = nullptr;
    };

    explicit standby_updater(options opts);
    ~standby_updater();
    standby_updater(const standby_updater&) = delete;
    standby_updater& operator=(const standby_updater&) = delete;

    void start();
    void stop() noexcept;

    // A stream thread is about to run task `id` as active: its standby here, if any, is
    // closed (checkpointed) before this returns, and none is made again until release().
    void claim(const task_id& id);
    // The active task `id` closed here: a standby of it may be kept again.
    void release(const task_id& id);

    // Calls `visit` with store `name` of the standby of task `id`, under the updater's
    // lock (no batch is applied meanwhile), and returns the standby's lag (as of the last
    // read of its changelogs' ends, at most about a second old); nullopt when
    // this instance keeps no standby of the task or it has no such store. `visit` must
    // not block.
    std::optional<int64_t> visit_store(const task_id& id, std::string_view name,
                                       const std::function<void(state::state_store&)>& visit);
    std::vector<standby_lag> lags() const;

    // Keeps standbys of `tasks` until each is claimed or `until` passes, whatever the
    // placement says.
    void warm_up(const std::set<task_id>& tasks, std::chrono::steady_clock::time_point until);
    // The largest lag among the warm-ups still kept; nullopt while one is not open yet or
    // its lag is not known. Claimed warm-ups no longer count.
    std::optional<int64_t> warm_up_lag() const;
    // Changelog records applied to standbys since start.
    uint64_t records_applied() const { return _applied.load(std::memory_order_relaxed); }

private:
    struct standby {
        int64_t lag() const; // -1 while an end is unknown
        std::unique_ptr<stream_task> task;
        // The persistent logged stores kept, and each one's next offset to apply.
        std::vector<changelog_partition*> stores;
        std::vector<int64_t> positions;
        std::vector<int64_t> ends; // -1 while unknown
    };

    void run();
    void reconcile();
    // Opens a standby of `id` (under the lock); false when it keeps nothing.
    bool open(const task_id& id);
    void close(standby& s) noexcept;
    void reassign();
    void apply();
    void read_ends();
    consumer_client& consumer();

    options _opts;
    const int _replicas;
    task_counters _counters;
    std::unique_ptr<consumer_client> _consumer; // updater thread only
    std::thread _thread;
    std::atomic<bool> _stopping{false};
    std::atomic<uint64_t> _applied{0};

    mutable std::mutex _mutex;
    std::condition_variable _wake;
    std::map<task_id, standby> _standbys;
    std::map<task_id, int> _claimed; // active here (count: a task may be made again)
    std::map<task_id, std::chrono::steady_clock::time_point> _warmups; // until when
    bool _assignment_stale = false;

    // Updater thread only.
    std::string _last_failure; // the last failure logged, until the updater works again
    std::vector<consumed_record> _batch;
    std::vector<consumer_event> _events;
    std::vector<state::changelog_entry> _entries;
};

} // namespace brook
