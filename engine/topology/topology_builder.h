#pragma once

// topology_builder: the processor API's way to build a topology by hand, node by node,
// like Kafka Streams' Topology class. The DSL (stream_builder) builds on it too.
//
// Lifecycle: add nodes and stores in any order that names parents before children, then
// build() once (the builder may keep being used; each build() is a snapshot).
// Threading: not thread-safe; build on one thread. Every add_* throws topology_error for
// a duplicate name or an unknown parent.

#include <concepts>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/serde/serdes.h"
#include "engine/topology/topology.h"

namespace brook {

template <class P>
concept processor_type = requires {
    typename P::key_in;
    typename P::value_in;
    typename P::key_out;
    typename P::value_out;
}
&&std::derived_from<P, processor<typename P::key_in, typename P::value_in, typename P::key_out,
                                 typename P::value_out>>;

class topology_builder {
public:
    // `due_time`, when given, makes the source delayed: each record waits until the wall
    // clock reaches the time it answers (see due_time.h).
    template <class K, class V, class KS = default_serde<K>, class VS = default_serde<V>>
    topology_builder& add_source(const std::string& name, std::vector<std::string> topics,
                                 KS key_serde = {}, VS value_serde = {},
                                 timestamp_extractor<K, V> extractor = {},
                                 due_time_extractor due_time = {}) {
        static_assert(serde_for<KS, K>, "add_source: the key serde does not serialize K");
        static_assert(serde_for<VS, V>, "add_source: the value serde does not serialize V");
        node_spec spec;
        spec.name = name;
        spec.kind = node_kind::source;
        spec.topics = std::move(topics);
        spec.delayed = static_cast<bool>(due_time);
        spec.factory = [name, key_serde, value_serde, extractor, due_time] {
            return std::make_unique<source_node<K, V, KS, VS>>(name, key_serde, value_serde,
                                                               extractor, due_time);
        };
        add_node(std::move(spec));
        return *this;
    }

    // `supplier` makes a new processor for each task.
    template <processor_type P>
    topology_builder& add_processor(const std::string& name,
                                    std::function<std::unique_ptr<P>()> supplier,
                                    std::vector<std::string> parents) {
        using node_t = processor_node<typename P::key_in, typename P::value_in, typename P::key_out,
                                      typename P::value_out>;
        node_spec spec;
        spec.name = name;
        spec.kind = node_kind::processor;
        spec.parents = std::move(parents);
        spec.factory = [name, supplier] { return std::make_unique<node_t>(name, supplier()); };
        add_node(std::move(spec));
        return *this;
    }

    template <class K, class V, class KS = default_serde<K>, class VS = default_serde<V>>
    topology_builder& add_sink(const std::string& name, const std::string& topic,
                               std::vector<std::string> parents, KS key_serde = {},
                               VS value_serde = {}, stream_partitioner<K, V> partitioner = {}) {
        return add_sink_impl<K, V, KS, VS>(name, topic, false, {}, std::move(parents),
                                           std::move(key_serde), std::move(value_serde),
                                           std::move(partitioner));
    }

    // A sink whose topic is chosen per record.
    template <class K, class V, class KS = default_serde<K>, class VS = default_serde<V>>
    topology_builder& add_sink(const std::string& name, topic_extractor<K, V> extractor,
                               std::vector<std::string> parents, KS key_serde = {},
                               VS value_serde = {}, stream_partitioner<K, V> partitioner = {}) {
        return add_sink_impl<K, V, KS, VS>(name, "", false, std::move(extractor),
                                           std::move(parents), std::move(key_serde),
                                           std::move(value_serde), std::move(partitioner));
    }

    // Repartitioning (used by the DSL): a sink to and a source from the internal topic
    // "<application.id>-<topic_suffix>".
    template <class K, class V, class KS = default_serde<K>, class VS = default_serde<V>>
    topology_builder& add_internal_sink(const std::string& name, const std::string& topic_suffix,
                                        std::vector<std::string> parents, KS key_serde = {},
                                        VS value_serde = {}) {
        return add_sink_impl<K, V, KS, VS>(name, topic_suffix, true, {}, std::move(parents),
                                           std::move(key_serde), std::move(value_serde), {});
    }
    template <class K, class V, class KS = default_serde<K>, class VS = default_serde<V>>
    topology_builder& add_internal_source(const std::string& name, const std::string& topic_suffix,
                                          KS key_serde = {}, VS value_serde = {}) {
        add_source<K, V, KS, VS>(name, {topic_suffix}, std::move(key_serde),
                                 std::move(value_serde));
        _nodes.back().internal_topics = true;
        return *this;
    }
    void add_internal_topic(internal_topic_spec spec) {
        _internal_topics.push_back(std::move(spec));
    }

    // Registers a global store (topology.h). Throws topology_error for a name a store
    // already has, or a topic a global store already reads.
    topology_builder& add_global_store(global_store_spec spec);

    // Registers a store and connects it to the named processors (which must exist).
    topology_builder& add_state_store(store_spec store, const std::vector<std::string>& processors);
    // The store added under `name` (not global stores); null when there is none.
    const store_spec* find_store(const std::string& name) const;
    // Connects each named store (already added) to one processor.
    topology_builder& connect_store_names(const std::vector<std::string>& stores,
                                          const std::string& processor) {
        for (const auto& s : stores) {
            connect_store(s, {processor});
        }
        return *this;
    }
    // Connects an existing store to more processors.
    topology_builder& connect_store(const std::string& store,
                                    const std::vector<std::string>& processors);

    // The untyped core every typed add_* ends in.
    void add_node(node_spec spec);
    bool has_node(const std::string& name) const;

    // Throws topology_error if the graph is empty or has no source.
    topology build() const;

protected:
    // The recorded graph, for logical_graph's rewrites before it builds.
    std::vector<node_spec> _nodes;
    std::vector<store_spec> _stores;
    std::map<std::string, std::vector<std::string>> _store_users;
    std::vector<internal_topic_spec> _internal_topics;
    std::vector<global_store_spec> _global_stores;

private:
    template <class K, class V, class KS, class VS>
    topology_builder& add_sink_impl(const std::string& name, const std::string& topic,
                                    bool internal, topic_extractor<K, V> extractor,
                                    std::vector<std::string> parents, KS key_serde, VS value_serde,
                                    stream_partitioner<K, V> partitioner) {
        static_assert(serde_for<KS, K>, "add_sink: the key serde does not serialize K");
        static_assert(serde_for<VS, V>, "add_sink: the value serde does not serialize V");
        node_spec spec;
        spec.name = name;
        spec.kind = node_kind::sink;
        spec.parents = std::move(parents);
        if (!topic.empty()) {
            spec.topics = {topic};
        }
        spec.internal_topics = internal;
        spec.factory = [=] {
            return std::make_unique<sink_node<K, V, KS, VS>>(name, topic, internal, extractor,
                                                             key_serde, value_serde, partitioner);
        };
        add_node(std::move(spec));
        return *this;
    }
};

} // namespace brook
