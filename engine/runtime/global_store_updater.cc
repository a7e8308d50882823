#include "engine/runtime/global_store_updater.h"

#include <set>

#include <fmt/format.h>
#include <librdkafka/rdkafka.h>

#include "base/log.h"
#include "engine/errors.h"
#include "engine/kafka/consumer.h"
#include "engine/record.h"
#include "engine/serde/serde.h"
#include "state/store_context.h"

namespace brook {

global_store_updater::global_store_updater(options o) : _o(std::move(o)) {}

global_store_updater::~global_store_updater() {
    close();
}

state::state_store* global_store_updater::find(std::string_view name) const {
    auto it = _by_name.find(name);
    return it == _by_name.end() ? nullptr : it->second;
}

void global_store_updater::bootstrap(const std::function<bool()>& cancelled) {
    std::vector<std::tuple<std::string, int32_t, int64_t>> assignment;
    kafka::client_config cc = _o.consumer;
    // A group id is needed to create a consumer; this one never subscribes or commits (it
    // reads assigned partitions only), so the group is never joined.
    cc.set("enable.partition.eof", "true")
        .set("group.id", "brook-global-consumer")
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("isolation.level", "read_committed");
    _consumer = std::make_unique<kafka::consumer>(cc);
    for (const auto& spec : _o.topo->global_stores()) {
        global_store g;
        g.spec = &spec;
        g.store = spec.store.factory();
        state::store_context context;
        context.directory = _o.state_dir / "global" / spec.store.name;
        context.rocksdb = _o.rocksdb;
        g.store->init(context);
        // The topic is the store's changelog and has no offsets kept here: read it all.
        g.store->restore_target().wipe();
        const rd_kafka_metadata_t* metadata = nullptr;
        const kafka::topic_ptr topic(
            rd_kafka_topic_new(_consumer->handle(), spec.topic.c_str(), nullptr));
        const rd_kafka_resp_err_t err =
            rd_kafka_metadata(_consumer->handle(), 0, topic.get(), &metadata, 30'000);
        int partitions = 0;
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR && metadata->topic_cnt == 1 &&
            metadata->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            partitions = metadata->topics[0].partition_cnt;
        }
        if (metadata != nullptr) {
            rd_kafka_metadata_destroy(metadata);
        }
        if (partitions <= 0) {
            throw streams_error(fmt::format(
                "the topic '{}' of global store '{}' does not exist or cannot be read: create "
                "it, or fix the topic name",
                spec.topic, spec.store.name));
        }
        for (int32_t p = 0; p < partitions; ++p) {
            assignment.emplace_back(spec.topic, p, RD_KAFKA_OFFSET_BEGINNING);
        }
        _by_name[spec.store.name] = g.store.get();
        _by_topic[spec.topic] = std::move(g);
    }
    if (assignment.empty()) {
        return;
    }
    _consumer->assign(*kafka::make_partition_list(assignment));
    std::set<std::string> pending;
    for (const auto& [topic, partition, offset] : assignment) {
        pending.insert(fmt::format("{}/{}", topic, partition));
    }
    const auto deadline = std::chrono::steady_clock::now() + _o.bootstrap_timeout;
    std::vector<std::string> ended;
    while (!pending.empty()) {
        if (cancelled && cancelled()) {
            throw operation_cancelled("stopped while loading the global stores");
        }
        if (std::chrono::steady_clock::now() > deadline) {
            throw streams_error(fmt::format(
                "the global stores did not reach the end of their topics within {} ms ({} "
                "partitions left, e.g. {}): is a transaction left open on one?",
                _o.bootstrap_timeout.count(), pending.size(), *pending.begin()));
        }
        ended.clear();
        apply_batch(std::chrono::milliseconds(200), &ended);
        for (const auto& e : ended) {
            pending.erase(e);
        }
    }
    for (auto& [topic, g] : _by_topic) {
        g.store->flush();
        log_info(fmt::format("global store '{}' loaded from '{}'", g.spec->store.name, topic));
    }
}

void global_store_updater::apply_batch(std::chrono::milliseconds wait,
                                       std::vector<std::string>* ended) {
    std::vector<kafka::message_ptr> batch;
    _consumer->poll_batch(batch, 1000, wait);
    for (const auto& m : batch) {
        const char* topic_name = m->rkt != nullptr ? rd_kafka_topic_name(m->rkt) : "";
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            if (ended != nullptr) {
                ended->push_back(fmt::format("{}/{}", topic_name, m->partition));
            }
            continue;
        }
        if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            // As the stream threads (task_manager::handle_events): a topic gone or a fatal
            // consumer stops the updater; transport hiccups librdkafka retries itself, so
            // they are logged (once per kind in a row) and reading goes on.
            if (m->err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC ||
                m->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
                m->err == RD_KAFKA_RESP_ERR__FATAL) {
                throw streams_error(fmt::format("reading global topic '{}': {}", topic_name,
                                                rd_kafka_message_errstr(m.get())));
            }
            if (m->err != _last_transient_error) {
                _last_transient_error = m->err;
                log_warn(fmt::format("global store updater: reading '{}': {}; retrying", topic_name,
                                     rd_kafka_message_errstr(m.get())));
            }
            continue;
        }
        _last_transient_error = RD_KAFKA_RESP_ERR_NO_ERROR;
        auto it = _by_topic.find(std::string_view(topic_name));
        if (it == _by_topic.end()) {
            continue;
        }
        global_store& g = it->second;
        raw_record r;
        if (m->key != nullptr) {
            r.key = std::string_view(static_cast<const char*>(m->key), m->key_len);
        }
        if (m->payload != nullptr) {
            r.value = std::string_view(static_cast<const char*>(m->payload), m->len);
        }
        rd_kafka_timestamp_type_t type;
        r.timestamp = rd_kafka_message_timestamp(m.get(), &type);
        r.metadata.topic = topic_name;
        r.metadata.partition = m->partition;
        r.metadata.offset = m->offset;
        try {
            g.spec->apply(*g.store, r);
        } catch (const serde_error& e) {
            _skipped.fetch_add(1, std::memory_order_relaxed);
            if (!g.warned) {
                g.warned = true;
                log_warn(fmt::format("global store '{}': skipping a record of '{}' (partition "
                                     "{} offset {}) that cannot be read: {}; further ones are "
                                     "skipped and counted",
                                     g.spec->store.name, topic_name, m->partition, m->offset,
                                     e.what()));
            }
        }
    }
}

void global_store_updater::start() {
    if (_by_topic.empty() || _thread.joinable()) {
        return;
    }
    _thread = std::thread([this] { run(); });
}

void global_store_updater::run() {
    try {
        while (!_stop.load()) {
            apply_batch(std::chrono::milliseconds(100), nullptr);
        }
    } catch (const std::exception& e) {
        const std::string message = fmt::format("the global store updater stopped: {}", e.what());
        log_error(message);
        if (_o.on_failure) {
            _o.on_failure(message);
        }
    }
}

void global_store_updater::close() {
    _stop = true;
    if (_thread.joinable()) {
        _thread.join();
    }
    // Assigned partitions only, no group: nothing to leave or commit, so the consumer is
    // destroyed without close() (which answers "unknown group" for a group-less one).
    _consumer.reset();
    for (auto& [topic, g] : _by_topic) {
        g.store->close();
    }
    _by_topic.clear();
    _by_name.clear();
}

} // namespace brook
