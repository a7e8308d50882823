#pragma once

// kafka_streams: a running application: num.stream.threads stream_threads executing one
// topology, sharing one consumer group (application.id).
//
// Its state (app_state.h) is REBALANCING while any thread waits for or takes in an assignment;
// RUNNING when all process; ERROR when the application cannot start (broker unreachable within
// broker.wait.timeout.ms, a missing source topic) or a thread died of an error.
//
// Lifecycle: construct, set_state_listener, start() once, close() once (the destructor
// closes too). Threading: start/close/state from any one controlling thread; the state
// listener is called, one change at a time, from stream threads and the controlling
// thread, and must neither block nor call close(). Ownership: borrows the
// topology, which must outlive this object; owns the threads.

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/config/streams_config.h"
#include "engine/runtime/app_state.h"
#include "engine/runtime/group_view.h"
#include "engine/runtime/kafka_clients.h"
#include "engine/runtime/key_query_metadata.h"
#include "engine/runtime/state_dir_lock.h"
#include "engine/runtime/stream_thread.h"
#include "engine/runtime/streams_metrics.h"
#include "engine/runtime/task_placement.h"
#include "engine/runtime/topic_layout.h"
#include "engine/topology/topology.h"
#include "state/rocksdb_environment.h"

namespace brook {

class standby_updater;
class global_store_updater;

class kafka_streams {
public:
    using state_listener = app_state::listener;

    // Borrows `topo`, which must outlive the application. Both constructors throw
    // config_error for a DSL topology built with other optimizations than the config's
    // topology.optimization (build it with stream_builder::build(config)).
    kafka_streams(const topology& topo, streams_config config);
    // Owns the topology: for `kafka_streams app(builder.build(), config)`, where a borrowed
    // temporary would dangle.
    kafka_streams(topology&& topo, streams_config config);
    ~kafka_streams();
    kafka_streams(const kafka_streams&) = delete;
    kafka_streams& operator=(const kafka_streams&) = delete;

    void set_state_listener(state_listener listener);
    // Told of every store restore (start, batches, end) by every thread. Set before
    // start(); the listener must outlive the application and be thread-safe.
    void set_global_state_restore_listener(state_restore_listener* listener) {
        _restore_listener = listener;
    }

    // Locks the state directory, checks the cluster and topics, creates internal topics,
    // starts the threads. Throws config_error when another instance holds the state
    // directory, streams_error (after moving to ERROR) when the broker cannot be reached or a
    // source topic is missing; the message says which and what to do. `cancelled`, asked
    // between attempts to reach the cluster, makes it give up with operation_cancelled (a
    // SIGTERM during start-up).
    void start(const std::function<bool()>& cancelled = {});
    // Stops every thread after a final commit. Returns false if they did not all stop
    // within `timeout`.
    bool close(std::chrono::milliseconds timeout);
    bool close() { return close(_config.shutdown_timeout()); }

    streams_state state() const;
    // Why the application is in ERROR ("" otherwise).
    std::string error_reason() const;
    const streams_config& config() const { return _config; }
    const topology& get_topology() const { return _topology; }
    // The bootstrap servers the clients use ("embedded" resolved to the mock's address).
    const std::string& resolved_bootstrap() const { return _bootstrap; }

    // Totals over all threads, for progress output and metrics.
    uint64_t records_processed() const;
    uint64_t records_produced() const;
    uint64_t deserialization_errors() const;
    uint64_t records_restored() const;
    uint64_t late_records_dropped() const;
    uint64_t transactions_committed() const;
    uint64_t transactions_aborted() const;
    int task_count() const;

    // A snapshot of the application's metrics (see streams_metrics.h). Any thread.
    streams_metrics metrics() const;
    // RUNNING, no store restoring and no thread stuck: what an operator's readiness probe
    // asks.
    bool ready() const;
    // Every thread's health, for a liveness probe: the application is live while it is not
    // in ERROR and no thread is dead or stuck (see stream_thread::health()).
    std::vector<thread_health> thread_healths() const;
    bool live() const;

    // Interactive queries on local state. Calls `visit` with each local instance of the
    // store named `store` (one per task of this instance that has it and is processing),
    // on the stream thread that owns the task, one thread at a time: `visit` sees a store
    // no one else is using at that moment and need not be thread-safe, but must not
    // block. The store is the task's instance as the topology made it: for stores of the
    // DSL and of stores:: builders, the typed metered top (engine/store), whose inner() is
    // the byte-level stack (caching, logging, bottom); a store made otherwise may be the
    // byte-level state::key_value_store, window_store or session_store itself. Returns
    // how many instances were visited, or nullopt when the topology has no store by that
    // name. Throws streams_error when the application is not RUNNING or REBALANCING, or a
    // stream thread does not answer within `timeout`.
    using store_visitor = std::function<void(const task_id&, state::state_store&)>;
    std::optional<size_t> query_store(std::string_view store, const store_visitor& visit,
                                      std::chrono::milliseconds timeout = std::chrono::seconds(5));

    // Where `key` (serialized as the store's key serde writes it) of store `store` lives:
    // its task and partition, the instance running that task now (from the consumer
    // group's description, at most a second old) and whether that is this one. nullopt
    // when the topology has no store by that name. Throws streams_error before start()
    // and when the group cannot be described.
    std::optional<key_query_metadata> query_metadata_for_key(std::string_view store,
                                                             std::string_view key);
    // Reads store `store` of this instance's standby of `task` (num.standby.replicas):
    // calls `visit` with it, while no changelog batch is applied to it, and returns how
    // many changelog records the standby is behind. nullopt when this instance keeps no
    // standby of the task, or its lag is not known yet. A standby's value may be stale by
    // that lag; callers say so (Kafka Streams' stale stores).
    std::optional<int64_t> query_standby_store(std::string_view store, const task_id& task,
                                               const store_visitor& visit);
    // This instance's process id (kept in its state directory), as other instances see it
    // in key_query_metadata::active_process_id. Empty before start().
    const std::string& process_id() const { return _instance_id; }

private:
    void check_topics_and_create_internal(const std::function<bool()>& cancelled);
    std::vector<stateful_subtopology> stateful_subtopologies() const;
    // On librdkafka's in-process mock cluster (bootstrap.servers=embedded).
    bool embedded() const;
    // An instance joining a running group first warms up the tasks range will give it
    // (warmup.timeout.ms, standby_updater.h). Throws operation_cancelled when `cancelled`.
    void warm_up_before_join(const std::function<bool()>& cancelled);
    // Called by every stream thread after its state changed.
    void on_thread_change();

    std::unique_ptr<const topology> _owned_topology; // set when constructed from an rvalue
    const topology& _topology;
    const streams_config _config;
    std::string _bootstrap;
    // Shared by every store of every thread; outlives the threads (declared before them).
    std::unique_ptr<state_dir_lock> _state_lock;
    std::unique_ptr<state::rocksdb_environment> _rocksdb;
    std::string _instance_id;             // the process id kept in the state directory
    std::string _transactional_id_prefix; // exactly_once_v2 only
    kafka_client_factory _clients;
    topic_layout _layout;               // read at start(), before the threads that share it
    std::unique_ptr<group_view> _group; // made at start(); queries describe the group
    std::vector<stateful_subtopology> _stateful; // sub-topologies with logged stores
    // num.standby.replicas > 0 only; stopped by close() after the threads, before the
    // RocksDB environment and the group view it borrows go.
    std::unique_ptr<standby_updater> _standbys;
    std::unique_ptr<global_store_updater> _global; // global tables; null: none
    std::vector<std::unique_ptr<stream_thread>> _threads;
    app_state _state;
    state_restore_listener* _restore_listener = nullptr;
};

} // namespace brook
