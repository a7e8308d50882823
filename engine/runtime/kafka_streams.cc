#include "engine/runtime/kafka_streams.h"

#include <algorithm>
#include <iostream>

#include <fmt/format.h>

#include "engine/errors.h"
#include "engine/kafka/admin_client.h"
#include "engine/kafka/embedded_cluster.h"
#include "engine/kafka/kafka_error.h"

namespace brook {

const char* to_string(streams_state s) {
    switch (s) {
    case streams_state::created:
        return "CREATED";
    case streams_state::rebalancing:
        return "REBALANCING";
    case streams_state::running:
        return "RUNNING";
    case streams_state::pending_shutdown:
        return "PENDING_SHUTDOWN";
    case streams_state::not_running:
        return "NOT_RUNNING";
    case streams_state::error:
        return "ERROR";
    }
    return "UNKNOWN";
}

kafka_streams::kafka_streams(const topology& topo, streams_config config)
    : _topology(topo), _config(std::move(config)) {}

kafka_streams::~kafka_streams() {
    try {
        close();
    } catch (const std::exception& e) {
        std::cerr << fmt::format("brook: closing the application failed: {}\n", e.what());
    }
}

void kafka_streams::set_state_listener(state_listener listener) {
    std::lock_guard lock(_mutex);
    _listener = std::move(listener);
}

streams_state kafka_streams::state() const {
    std::lock_guard lock(_mutex);
    return _state;
}

std::string kafka_streams::error_reason() const {
    std::lock_guard lock(_mutex);
    return _error;
}

void kafka_streams::transition(streams_state next) {
    state_listener listener;
    streams_state old;
    {
        std::lock_guard lock(_mutex);
        if (_state == next || _state == streams_state::error ||
            _state == streams_state::not_running) {
            return;
        }
        old = _state;
        _state = next;
        listener = _listener;
    }
    if (listener) {
        listener(next, old);
    }
}

void kafka_streams::fail(const std::string& reason) {
    {
        std::lock_guard lock(_mutex);
        if (_error.empty()) {
            _error = reason;
        }
    }
    transition(streams_state::error);
}

void kafka_streams::start() {
    if (state() != streams_state::created) {
        throw streams_error(fmt::format("start() called in state {}; an application starts once",
                                        to_string(state())));
    }
    try {
        if (_config.guarantee() == processing_guarantee::exactly_once_v2) {
            // Refuse rather than silently run at least once: the transactional commit
            // path is not built yet.
            throw streams_error("processing.guarantee=exactly_once_v2 is not available in this "
                                "build yet; use at_least_once");
        }
        _bootstrap = kafka::resolve_bootstrap(_config.bootstrap_servers());
        transition(streams_state::rebalancing);
        check_topics_and_create_internal();
    } catch (const std::exception& e) {
        fail(e.what());
        throw streams_error(e.what());
    }
    for (int i = 0; i < _config.num_stream_threads(); ++i) {
        _threads.push_back(std::make_unique<stream_thread>(i + 1, _topology, _config, _bootstrap,
                                                           [this] { on_thread_change(); }));
    }
    for (auto& t : _threads) {
        t->start();
    }
}

void kafka_streams::check_topics_and_create_internal() {
    kafka::client_config ac = _config.admin_config();
    ac.set("bootstrap.servers", _bootstrap);
    kafka::admin_client admin(ac);
    const auto wait = _config.broker_wait_timeout();
    int max_partitions = 0;
    for (const auto& topic : _topology.external_source_topics()) {
        std::optional<int> count;
        try {
            count = admin.partition_count(topic, wait);
        } catch (const kafka::kafka_error& e) {
            throw streams_error(fmt::format(
                "cannot reach the Kafka cluster at {} within {} ms (broker.wait.timeout.ms): {}",
                _config.bootstrap_servers(), wait.count(), e.what()));
        }
        if (!count) {
            throw streams_error(fmt::format(
                "source topic '{}' does not exist on {}: create it, or fix the topic name", topic,
                _config.bootstrap_servers()));
        }
        max_partitions = std::max(max_partitions, *count);
    }
    std::vector<kafka::topic_spec> internal;
    for (const auto& spec : _topology.internal_topics()) {
        internal.push_back({topology::resolve(spec.name, true, _config.application_id()),
                            spec.partitions.value_or(std::max(max_partitions, 1)),
                            _config.replication_factor(),
                            {{"cleanup.policy", "delete"}}});
    }
    admin.create_topics(internal, wait);
}

void kafka_streams::on_thread_change() {
    bool any_error = false;
    bool all_dead = true;
    bool any_assigning = false;
    std::string reason;
    for (const auto& t : _threads) {
        const thread_state s = t->state();
        if (s == thread_state::dead) {
            if (auto e = t->error()) {
                any_error = true;
                reason = *e;
            }
        } else {
            all_dead = false;
        }
        any_assigning =
            any_assigning || s == thread_state::starting || s == thread_state::partitions_assigned;
    }
    bool closing = false;
    {
        std::lock_guard lock(_mutex);
        closing = _closing;
    }
    if (any_error) {
        fail(reason);
    } else if (closing) {
        transition(all_dead ? streams_state::not_running : streams_state::pending_shutdown);
    } else if (!all_dead) {
        transition(any_assigning ? streams_state::rebalancing : streams_state::running);
    }
}

bool kafka_streams::close(std::chrono::milliseconds timeout) {
    {
        std::lock_guard lock(_mutex);
        if (_closing) {
            return true;
        }
        _closing = true;
    }
    if (state() != streams_state::error) {
        transition(streams_state::pending_shutdown);
    }
    for (auto& t : _threads) {
        t->request_shutdown();
    }
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    bool all_stopped = true;
    for (auto& t : _threads) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        all_stopped =
            t->wait_until_dead(std::max(left, std::chrono::milliseconds(0))) && all_stopped;
    }
    if (all_stopped) {
        transition(streams_state::not_running);
    }
    return all_stopped;
}

uint64_t kafka_streams::records_processed() const {
    uint64_t n = 0;
    for (const auto& t : _threads) {
        n += t->counters().records_processed.load();
    }
    return n;
}

uint64_t kafka_streams::records_produced() const {
    uint64_t n = 0;
    for (const auto& t : _threads) {
        n += t->records_produced();
    }
    return n;
}

uint64_t kafka_streams::deserialization_errors() const {
    uint64_t n = 0;
    for (const auto& t : _threads) {
        n += t->counters().deserialization_errors.load();
    }
    return n;
}

int kafka_streams::task_count() const {
    int n = 0;
    for (const auto& t : _threads) {
        n += t->task_count();
    }
    return n;
}

} // namespace brook
