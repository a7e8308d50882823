#pragma once

// global_store_updater: keeps the application's global stores (global tables) on this
// instance, each a full copy of its topic, as Kafka Streams' GlobalStreamThread does.
//
// Lifecycle: made by kafka_streams::start(); bootstrap() makes every store afresh (under
// <state dir>/global/<store>) and reads every partition of each topic from the beginning
// to its end, before any stream thread starts, so a task never looks a key up in a table
// that is still loading. start() then runs one thread that applies what the topics get
// from then on; close() stops it and closes the stores. A record whose bytes cannot be
// read is skipped, logged once per store and counted (skipped()); a transient consumer
// error is logged and retried; a topic that disappears or a fatal consumer error stops the
// thread and is reported through `on_failure` (kafka_streams then goes to ERROR).
//
// Threading: find() and skipped() may be called from any thread; the stores themselves
// serialize access (locked_key_value_store). Ownership: owns the stores and the consumer.

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "engine/kafka/client_config.h"
#include "engine/topology/topology.h"

namespace brook::state {
class rocksdb_environment;
}

namespace brook::kafka {
class consumer;
}

namespace brook {

class global_store_updater {
public:
    struct options {
        const topology* topo = nullptr;
        kafka::client_config consumer;   // read_committed, no group
        std::filesystem::path state_dir; // <state.dir>/<application.id>
        state::rocksdb_environment* rocksdb = nullptr;
        std::chrono::milliseconds bootstrap_timeout{std::chrono::minutes(5)};
        std::function<void(const std::string&)> on_failure;
    };

    explicit global_store_updater(options o);
    ~global_store_updater();
    global_store_updater(const global_store_updater&) = delete;
    global_store_updater& operator=(const global_store_updater&) = delete;

    // Throws streams_error when a topic is missing or its end is not reached within the
    // bootstrap timeout, or `cancelled()` turns true.
    void bootstrap(const std::function<bool()>& cancelled);
    void start();
    void close();

    // The global store named `name`, or null.
    state::state_store* find(std::string_view name) const;
    uint64_t skipped() const { return _skipped.load(std::memory_order_relaxed); }

private:
    struct global_store {
        const global_store_spec* spec = nullptr;
        std::unique_ptr<state::state_store> store;
        bool warned = false;
    };

    // Applies what one poll returns; returns the partitions that reported their end.
    void apply_batch(std::chrono::milliseconds wait, std::vector<std::string>* ended);
    void run();

    options _o;
    std::unique_ptr<kafka::consumer> _consumer;
    std::map<std::string, global_store, std::less<>> _by_topic;
    std::map<std::string, state::state_store*, std::less<>> _by_name;
    std::thread _thread;
    std::atomic<bool> _stop{false};
    std::atomic<uint64_t> _skipped{0};
    int _last_transient_error = 0; // an rd_kafka_resp_err_t; 0: none since the last record
};

} // namespace brook
