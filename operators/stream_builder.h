#pragma once

// stream_builder: the entry point of the DSL. stream<K,V>() adds a source; operators on
// the returned stream add nodes; build() lowers everything into a topology.
//
// Node names are generated deterministically from a prefix and a counter, as Kafka
// Streams does (KSTREAM-FILTER-0000000001), so a description is stable across runs.
// Lifecycle: build on one thread, then build() once; the builder must outlive the
// streams it handed out until then. Operators throw topology_error for invalid graphs.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "engine/topology/logical_graph.h"
#include "operators/materialized.h"
#include "operators/options.h"

namespace brook {

template <class K, class V>
class stream;
template <class K, class V>
class table;
template <class K, class V>
class global_table;

class stream_builder {
public:
    template <class K, class V, class KS = default_serde<K>, class VS = default_serde<V>>
    brook::stream<K, V> stream_of(std::vector<std::string> topics,
                                  consumed<K, V, KS, VS> options = {});

    // Same as stream_of, named as in the guide: builder.stream<K, V>({"topic"}).
    template <class K, class V, class KS = default_serde<K>, class VS = default_serde<V>>
    brook::stream<K, V> stream(std::vector<std::string> topics,
                               consumed<K, V, KS, VS> options = {}) {
        return stream_of<K, V, KS, VS>(std::move(topics), std::move(options));
    }

    // Reads `topic` as a table (Kafka Streams' builder.table()): each record is its key's
    // latest value, a null value deletes the key. The table is kept in a timestamped
    // key-value store, named by `m` or <topic>-STATE-STORE-<n>, and forwards its updates as
    // optional values (nullopt: deleted), through the cache when it caches.
    template <class K, class V, class KS = default_serde<K>, class VS = default_serde<V>>
    brook::table<K, std::optional<V>> table(const std::string& topic,
                                            consumed<K, V, KS, VS> options = {});
    template <class K, class V, class KS = default_serde<K>, class VS = default_serde<V>, class MKS,
              class MVS>
    brook::table<K, std::optional<V>>
    table(const std::string& topic, consumed<K, V, KS, VS> options, materialized<K, V, MKS, MVS> m);

    // Reads `topic` as a global table (Kafka Streams' builder.globalTable()): every
    // instance keeps all of it in the store named `store_name` (or <topic>-STATE-STORE-<n>),
    // loaded to the topic's end before processing starts and kept up to date; a null value
    // deletes a row, a record with a null key or bytes the serdes cannot read is skipped
    // (logged once, counted). The topic needs no co-partitioning with anything; it is its
    // own changelog, so the store writes none.
    template <class K, class V, class KS = default_serde<K>, class VS = default_serde<V>>
    brook::global_table<K, V> global_table(const std::string& topic,
                                           consumed<K, V, KS, VS> options = {},
                                           const std::string& store_name = {});

    // Lowers the graph into a topology, with the optimizations the config's
    // topology.optimization asks for (logical_graph.h); kafka_streams refuses a topology
    // built with others than its config's. build() makes none.
    topology build() const { return _graph.build(); }
    topology build(const streams_config& config) const { return _graph.build(config); }
    topology build(const topology_optimization& optimization) const {
        return _graph.build(optimization);
    }
    // Adds a store that processors added with stream.process() or process_values() name in
    // their `stores` (Kafka Streams' addStateStore). Throws topology_error on a duplicate.
    void add_state_store(store_spec store) { _graph.add_state_store(std::move(store), {}); }

    // For operators: the logical graph underneath and the name generator.
    logical_graph& graph() { return _graph; }
    std::string new_name(const std::string& prefix) {
        return fmt::format("{}{:010d}", prefix, _counter++);
    }
    std::string name_or_new(const std::string& given, const std::string& prefix) {
        return given.empty() ? new_name(prefix) : given;
    }
    // For suppress(until_window_closes): the grace period of the windowed aggregation whose
    // node is `node`, recorded by the aggregation when it is added.
    void record_window_grace(const std::string& node, int64_t grace_ms) {
        _window_grace[node] = grace_ms;
    }
    std::optional<int64_t> window_grace(const std::string& node) const {
        auto it = _window_grace.find(node);
        return it == _window_grace.end() ? std::nullopt : std::optional<int64_t>(it->second);
    }

private:
    logical_graph _graph;
    int _counter = 0;
    std::map<std::string, int64_t> _window_grace;
};

} // namespace brook

#include "operators/stream.h"

namespace brook {

template <class K, class V, class KS, class VS>
brook::stream<K, V> stream_builder::stream_of(std::vector<std::string> topics,
                                              consumed<K, V, KS, VS> options) {
    const std::string name = name_or_new(options.name, "KSTREAM-SOURCE-");
    _graph.add_source<K, V, KS, VS>(name, std::move(topics), std::move(options.key_serde),
                                    std::move(options.value_serde), std::move(options.extractor),
                                    std::move(options.due_time));
    return brook::stream<K, V>(this, name, false);
}

} // namespace brook
