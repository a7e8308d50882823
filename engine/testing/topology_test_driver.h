#pragma once

// topology_test_driver: runs a topology synchronously, with no broker, for unit tests of
// users' own topologies (like Kafka Streams' TopologyTestDriver).
//
// Pipe records into input topics, read what the topology wrote to output topics,
// advance the wall clock to fire wall-clock punctuators, and look into state stores.
// Every sub-topology runs as one task on partition 0; records written to a repartition
// topic are processed downstream after the record (or punctuation) that wrote them is
// done, before pipe_input or advance_wall_clock_time returns, as with a broker between.
//
// Stores are opened in a fresh temporary state directory (removed on destruction); what
// logged stores write to their changelogs appears as output topic
// "<application.id>-<store>-changelog". As Kafka Streams' driver does, the driver commits
// after every piped record and every wall-clock advance (flushing store caches, so
// cached updates are forwarded); set_auto_commit(false) and commit() let a test hold a
// commit back to see caching de-duplicate (statestore.cache.max.bytes sizes the cache;
// 0 turns caching off).
//
// Delayed sources (engine/topology/due_time.h): a record piped or written to the topic of a
// delayed source waits, as it would in a stream thread, until the driver's wall clock
// reaches its due time, and the records behind it in that topic wait with it;
// advance_wall_clock_time() processes those that came due, the earliest due first, before
// it fires punctuators. held() counts the records waiting.
//
// Lifecycle: construct from a built topology, use, destroy (closes every task).
// Threading: single-threaded. Exceptions from processors reach the caller of pipe_input.

#include <chrono>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/runtime/stream_task.h"
#include "engine/serde/serdes.h"
#include "engine/topology/topology.h"
#include "state/cache_budget.h"

namespace brook {

class topology_test_driver;

// One record as a sink wrote it, in bytes.
struct captured_record {
    std::optional<std::string> key;
    std::optional<std::string> value;
    int64_t timestamp = 0;
    headers hdrs;
    std::optional<int32_t> partition;
};

template <class K, class V, class KS = default_serde<K>, class VS = default_serde<V>>
class test_input_topic {
public:
    // Pipes one record; without a timestamp, the driver's current wall-clock time is used.
    void pipe_input(const K& key, const V& value, std::optional<int64_t> timestamp = {},
                    const headers& hdrs = {});
    void pipe_value(const V& value, std::optional<int64_t> timestamp = {}) {
        pipe_null_key(value, timestamp);
    }
    // Pipes a record whose key is a Kafka null.
    void pipe_null_key(const V& value, std::optional<int64_t> timestamp = {});
    // Pipes raw bytes, for testing unreadable records.
    void pipe_bytes(nullable_bytes key, nullable_bytes value,
                    std::optional<int64_t> timestamp = {});

private:
    friend class topology_test_driver;
    test_input_topic(topology_test_driver& driver, std::string topic, KS ks, VS vs)
        : _driver(&driver), _topic(std::move(topic)), _key_serde(std::move(ks)),
          _value_serde(std::move(vs)) {}
    topology_test_driver* _driver;
    std::string _topic;
    KS _key_serde;
    VS _value_serde;
};

template <class K, class V, class KS = default_serde<K>, class VS = default_serde<V>>
class test_output_topic {
public:
    bool is_empty() const;
    size_t queue_size() const;
    // Each read takes the oldest record; throws std::out_of_range when none is left.
    record<K, V> read_record();
    key_value<K, V> read_key_value() {
        record<K, V> r = read_record();
        return {std::move(r.key), std::move(r.value)};
    }
    V read_value() { return read_record().value; }
    std::vector<record<K, V>> read_records_to_list();
    std::vector<key_value<K, V>> read_key_values_to_list();
    std::vector<V> read_values_to_list();
    // The bytes of the oldest record, removed; for checking nulls and headers.
    captured_record read_raw();

private:
    // Reads with `read` until the topic is empty.
    template <class Read>
    auto drain(Read read);

    friend class topology_test_driver;
    test_output_topic(topology_test_driver& driver, std::string topic, KS ks, VS vs)
        : _driver(&driver), _topic(std::move(topic)), _key_serde(std::move(ks)),
          _value_serde(std::move(vs)) {}
    topology_test_driver* _driver;
    std::string _topic;
    KS _key_serde;
    VS _value_serde;
};

class topology_test_driver {
public:
    // `config` takes Kafka Streams keys (application.id, default.deserialization.exception.
    // handler, ...); bootstrap.servers is not needed. Throws config_error or topology_error.
    // The driver keeps its own copy of `topo`, so a temporary (builder.build()) is fine.
    explicit topology_test_driver(topology topo, std::map<std::string, std::string> config = {},
                                  int64_t initial_wall_clock_ms = 0);
    ~topology_test_driver();
    topology_test_driver(const topology_test_driver&) = delete;
    topology_test_driver& operator=(const topology_test_driver&) = delete;

    template <class K, class V, class KS = default_serde<K>, class VS = default_serde<V>>
    test_input_topic<K, V, KS, VS> create_input_topic(const std::string& topic, KS ks = {},
                                                      VS vs = {}) {
        return test_input_topic<K, V, KS, VS>(*this, topic, std::move(ks), std::move(vs));
    }
    template <class K, class V, class KS = default_serde<K>, class VS = default_serde<V>>
    test_output_topic<K, V, KS, VS> create_output_topic(const std::string& topic, KS ks = {},
                                                        VS vs = {}) {
        return test_output_topic<K, V, KS, VS>(*this, topic, std::move(ks), std::move(vs));
    }

    // Moves the wall clock forward, processes the held records of delayed sources that came
    // due, and fires the wall-clock punctuators that are due.
    void advance_wall_clock_time(std::chrono::milliseconds by);
    // Records of `topic` (a delayed source's) waiting for their due time.
    size_t held(const std::string& topic) const;
    // Flushes every store (caches write down, forward and log what they held).
    void commit();
    void set_auto_commit(bool on) { _auto_commit = on; }
    const std::filesystem::path& state_dir() const { return _state_dir; }
    int64_t wall_clock_ms() const { return _wall_clock_ms; }

    // The store named `name` (of whichever task has it); throws topology_error.
    state::state_store& state_store(const std::string& name);
    const task_counters& counters() const { return _counters; }
    // Every topic the topology wrote to, including repartition topics (full names).
    std::vector<std::string> produced_topics() const;

    // The untyped core of test_input_topic; throws topology_error for a topic no source reads.
    // The bytes are only read during the call.
    void pipe_raw(const std::string& topic, nullable_bytes key, nullable_bytes value,
                  int64_t timestamp, const headers& hdrs);
    // How many records written to `topic` are not read yet (0 for a topic never written).
    size_t unread(const std::string& topic) const;
    // Removes and returns the oldest unread record of `topic`; throws std::out_of_range when
    // there is none. Reading never makes a topic appear in produced_topics().
    captured_record take(const std::string& topic);

private:
    class capturing_collector;
    struct internal_record {
        std::string topic;
        captured_record record;
    };
    // A record of a delayed source waiting for its due time, with the offset it was given.
    struct held_record {
        captured_record record;
        int64_t offset = 0;
        int64_t due_ms = 0;
    };

    // Processes one record in the task reading `topic`, or holds it when that task's source
    // is delayed and the record (or one before it) is not due; throws topology_error if no
    // task reads the topic.
    void process_one(const std::string& topic, nullable_bytes key, nullable_bytes value,
                     int64_t timestamp, const headers& hdrs);
    // Processes held records that are due, the earliest due first, with what they write to
    // repartition topics, until none is due.
    void process_due_records();
    // The task that reads `topic` (full name), or null if no source reads it.
    stream_task* task_reading(std::string_view topic) const;
    // Feeds the records written to repartition topics downstream, until none is left.
    void process_internal_records();

    const topology _topology;
    std::string _application_id;
    std::filesystem::path _state_dir;
    std::unique_ptr<state::cache_budget> _cache;
    bool _auto_commit = true;
    int64_t _wall_clock_ms;
    task_counters _counters;
    std::unique_ptr<capturing_collector> _collector;
    std::vector<std::unique_ptr<stream_task>> _tasks;                // one per sub-topology
    std::map<std::string, stream_task*, std::less<>> _task_of_topic; // by full topic name
    // Global stores by their topic: what is piped into the topic is written into them.
    struct global_entry {
        const global_store_spec* spec = nullptr;
        std::unique_ptr<state::state_store> store;
    };
    std::map<std::string, global_entry, std::less<>> _global_stores;
    std::map<std::string, int64_t> _next_offset;
    std::map<std::string, std::deque<captured_record>> _outputs;
    // Written to repartition topics and not yet processed by the sub-topology reading them.
    std::deque<internal_record> _internal;
    // Records of delayed sources waiting for their due time, per topic in offset order.
    std::map<std::string, std::deque<held_record>, std::less<>> _held;
};

// ---- template definitions ----

template <class K, class V, class KS, class VS>
void test_input_topic<K, V, KS, VS>::pipe_input(const K& key, const V& value,
                                                std::optional<int64_t> timestamp,
                                                const headers& hdrs) {
    std::string kb;
    std::string vb;
    const nullable_bytes k = _key_serde.serialize(key, kb);
    const nullable_bytes v = _value_serde.serialize(value, vb);
    _driver->pipe_raw(_topic, k, v, timestamp.value_or(_driver->wall_clock_ms()), hdrs);
}

template <class K, class V, class KS, class VS>
void test_input_topic<K, V, KS, VS>::pipe_null_key(const V& value,
                                                   std::optional<int64_t> timestamp) {
    std::string vb;
    const nullable_bytes v = _value_serde.serialize(value, vb);
    _driver->pipe_raw(_topic, std::nullopt, v, timestamp.value_or(_driver->wall_clock_ms()), {});
}

template <class K, class V, class KS, class VS>
void test_input_topic<K, V, KS, VS>::pipe_bytes(nullable_bytes key, nullable_bytes value,
                                                std::optional<int64_t> timestamp) {
    _driver->pipe_raw(_topic, key, value, timestamp.value_or(_driver->wall_clock_ms()), {});
}

template <class K, class V, class KS, class VS>
bool test_output_topic<K, V, KS, VS>::is_empty() const {
    return _driver->unread(_topic) == 0;
}

template <class K, class V, class KS, class VS>
size_t test_output_topic<K, V, KS, VS>::queue_size() const {
    return _driver->unread(_topic);
}

template <class K, class V, class KS, class VS>
captured_record test_output_topic<K, V, KS, VS>::read_raw() {
    return _driver->take(_topic);
}

template <class K, class V, class KS, class VS>
record<K, V> test_output_topic<K, V, KS, VS>::read_record() {
    captured_record raw = read_raw();
    const nullable_bytes k = raw.key ? nullable_bytes(*raw.key) : std::nullopt;
    const nullable_bytes v = raw.value ? nullable_bytes(*raw.value) : std::nullopt;
    return record<K, V>{_key_serde.deserialize(k), _value_serde.deserialize(v), raw.timestamp,
                        std::move(raw.hdrs)};
}

template <class K, class V, class KS, class VS>
template <class Read>
auto test_output_topic<K, V, KS, VS>::drain(Read read) {
    std::vector<decltype(read())> out;
    while (!is_empty()) {
        out.push_back(read());
    }
    return out;
}

template <class K, class V, class KS, class VS>
std::vector<record<K, V>> test_output_topic<K, V, KS, VS>::read_records_to_list() {
    return drain([this] { return read_record(); });
}

template <class K, class V, class KS, class VS>
std::vector<key_value<K, V>> test_output_topic<K, V, KS, VS>::read_key_values_to_list() {
    return drain([this] { return read_key_value(); });
}

template <class K, class V, class KS, class VS>
std::vector<V> test_output_topic<K, V, KS, VS>::read_values_to_list() {
    return drain([this] { return read_value(); });
}

} // namespace brook
