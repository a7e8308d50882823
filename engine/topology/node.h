#pragma once

// Runtime nodes: the per-task instances of a topology's sources, processors and sinks.
// A topology holds factories; each task makes its own nodes from them, wires parents to
// children (checking record types once, at wiring), and drives them.
//
// Lifecycle: made -> link_child() for each edge -> init(task) -> process... -> close().
// Threading: the task's thread only. Ownership: the task owns every node.

#include <memory>
#include <string>

#include <fmt/format.h>

#include "engine/errors.h"
#include "engine/processor/processor.h"
#include "engine/processor/record_errors.h"
#include "engine/serde/serde.h"
#include "engine/topology/due_time.h"

namespace brook {

class node_base {
public:
    explicit node_base(std::string name) : _name(std::move(name)) {}
    virtual ~node_base() = default;
    const std::string& name() const { return _name; }

    virtual void init(task_context& task) = 0;
    virtual void close() = 0;
    // Connects `child` as a receiver of this node's output. Throws topology_error when the
    // child's input types are not this node's output types.
    virtual void link_child(node_base& child) = 0;

private:
    std::string _name;
};

// Entry point for consumed bytes. process_raw throws serde_error when the bytes cannot
// be read; the task then applies the deserialization handler. A source made with a
// due_time_extractor is delayed: its records wait for their due time (due_time.h).
class source_node_base : public node_base {
public:
    explicit source_node_base(std::string name, due_time_extractor due_time = {})
        : node_base(std::move(name)), _due_time(std::move(due_time)) {}
    virtual void process_raw(const raw_record& r) = 0;
    // Empty for a source whose records are processed as they come.
    const due_time_extractor& due_time() const { return _due_time; }

private:
    due_time_extractor _due_time;
};

template <class KOut, class VOut>
class emitting_node : public node_base {
public:
    using node_base::node_base;
    void link_child(node_base& child) override {
        auto* port = dynamic_cast<input_port<KOut, VOut>*>(&child);
        if (port == nullptr) {
            throw topology_error(fmt::format(
                "cannot connect '{}' to '{}': the child does not accept the parent's record "
                "types",
                name(), child.name()));
        }
        _context.add_child(child.name(), port);
    }

protected:
    processor_context<KOut, VOut> _context;
};

template <class KIn, class VIn, class KOut, class VOut>
class processor_node final : public emitting_node<KOut, VOut>, public input_port<KIn, VIn> {
public:
    processor_node(std::string name, std::unique_ptr<processor<KIn, VIn, KOut, VOut>> p)
        : emitting_node<KOut, VOut>(std::move(name)), _processor(std::move(p)) {}

    void init(task_context& task) override {
        this->_context.bind(task);
        _errors = dynamic_cast<record_errors*>(&task);
        _processor->attach(this->_context);
        _processor->init(this->_context);
    }
    void close() override { _processor->close(); }
    // What the processor throws about a record goes to the task's processing exception
    // handler, here at the innermost node that threw (so siblings still get the record);
    // Brook's own failures (stores, broker, a handler that failed) pass on.
    void process(record<KIn, VIn>&& r) override {
        if (_errors == nullptr) {
            _processor->process(std::move(r));
            return;
        }
        try {
            _processor->process(std::move(r));
        } catch (const std::exception& e) {
            if (is_infrastructure_failure(e)) {
                throw;
            }
            _errors->processing_failed(this->name(), e);
        } catch (...) {
            _errors->processing_failed(this->name(),
                                       std::runtime_error("a non-standard exception was thrown"));
        }
    }

private:
    std::unique_ptr<processor<KIn, VIn, KOut, VOut>> _processor;
    record_errors* _errors = nullptr;
};

// Reads bytes with the key and value serdes and forwards typed records.
// Returns a record's event time in ms since the epoch (for example a JSON field).
template <class K, class V>
using timestamp_extractor = std::function<int64_t(const record<K, V>&)>;

template <class K, class V, class KS, class VS>
class source_node final : public source_node_base {
public:
    source_node(std::string name, KS key_serde, VS value_serde,
                timestamp_extractor<K, V> extractor = {}, due_time_extractor due_time = {})
        : source_node_base(std::move(name), std::move(due_time)), _key_serde(std::move(key_serde)),
          _value_serde(std::move(value_serde)), _extractor(std::move(extractor)) {}

    void init(task_context& task) override { _context.bind(task); }
    void close() override {}
    void link_child(node_base& child) override {
        auto* port = dynamic_cast<input_port<K, V>*>(&child);
        if (port == nullptr) {
            throw topology_error(fmt::format(
                "cannot connect source '{}' to '{}': the child does not accept the source's "
                "record types",
                name(), child.name()));
        }
        _context.add_child(child.name(), port);
    }
    void process_raw(const raw_record& r) override {
        record<K, V> typed{_key_serde.deserialize(r.key), _value_serde.deserialize(r.value),
                           r.timestamp, r.headers != nullptr ? *r.headers : headers{}};
        if (_extractor) {
            typed.timestamp = _extractor(typed);
            if (typed.timestamp < 0) {
                throw serde_error(fmt::format("the timestamp extractor of '{}' returned the "
                                              "invalid timestamp {}",
                                              name(), typed.timestamp));
            }
        }
        detail::runtime_task(_context).observe_record_timestamp(typed.timestamp);
        _context.forward(std::move(typed));
    }

private:
    KS _key_serde;
    VS _value_serde;
    timestamp_extractor<K, V> _extractor;
    processor_context<K, V> _context;
};

// Chooses the output topic per record (a topic_name_extractor in Kafka Streams terms).
template <class K, class V>
using topic_extractor = std::function<std::string(const record<K, V>&)>;
// Chooses the partition; nullopt falls back to the default partitioner.
template <class K, class V>
using stream_partitioner =
    std::function<std::optional<int32_t>(const record<K, V>&, int32_t num_partitions)>;

// Serializes typed records and hands them to the task's record collector.
template <class K, class V, class KS, class VS>
class sink_node final : public node_base, public input_port<K, V> {
public:
    // `internal`: `topic` is a repartition topic named without the application id.
    sink_node(std::string name, std::string topic, bool internal, topic_extractor<K, V> extractor,
              KS key_serde, VS value_serde, stream_partitioner<K, V> partitioner)
        : node_base(std::move(name)), _topic(std::move(topic)), _internal(internal),
          _extractor(std::move(extractor)), _key_serde(std::move(key_serde)),
          _value_serde(std::move(value_serde)), _partitioner(std::move(partitioner)) {}

    void init(task_context& task) override {
        _task = &task;
        _errors = dynamic_cast<record_errors*>(&task);
        if (_internal) {
            _topic = task.application_id() + "-" + _topic;
        }
    }
    void close() override {}
    void link_child(node_base& child) override {
        throw topology_error(
            fmt::format("sink '{}' cannot have children (tried '{}')", name(), child.name()));
    }
    void process(record<K, V>&& r) override {
        const std::string dynamic_topic = _extractor ? _extractor(r) : std::string();
        const std::string& topic = _extractor ? dynamic_topic : _topic;
        if (topic.empty()) {
            throw topology_error(fmt::format("sink '{}': the topic extractor returned an "
                                             "empty topic name",
                                             name()));
        }
        _key_buffer.clear();
        _value_buffer.clear();
        nullable_bytes key;
        nullable_bytes value;
        std::optional<int32_t> partition;
        try {
            key = _key_serde.serialize(r.key, _key_buffer);
            value = _value_serde.serialize(r.value, _value_buffer);
            if (_partitioner) {
                partition = _partitioner(r, _task->collector().partition_count(topic));
            }
        } catch (const std::exception& e) {
            if (_errors == nullptr || is_infrastructure_failure(e)) {
                throw;
            }
            // Kafka Streams hands serialization errors to the production handler too.
            _errors->production_failed(
                topic, std::nullopt, std::nullopt, r.timestamp, r.headers,
                fmt::format("sink '{}' cannot serialize the record: {}", name(), e.what()));
            return;
        }
        _task->collector().send(topic, key, value, r.timestamp, r.headers, partition);
    }

private:
    std::string _topic;
    bool _internal;
    topic_extractor<K, V> _extractor;
    KS _key_serde;
    VS _value_serde;
    stream_partitioner<K, V> _partitioner;
    task_context* _task = nullptr;
    record_errors* _errors = nullptr;
    std::string _key_buffer;
    std::string _value_buffer;
};

} // namespace brook
