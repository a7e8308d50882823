#pragma once

// Definitions of stream<K,V> and branched_stream<K,V> members that need the complete
// stream_builder. Included at the end of stream.h; not for direct use.

#include "operators/stream_builder.h"

namespace brook {

template <class K, class V>
template <class K2, class V2, class Factory>
stream<K2, V2> stream<K, V>::add(const std::string& given, const char* prefix, key_change change,
                                 Factory make) const {
    using P = typename decltype(make())::element_type;
    const std::string name = _builder->name_or_new(given, prefix);
    _builder->graph().template add_processor<P>(
        name, std::function<std::unique_ptr<P>()>(std::move(make)), {_node});
    if (change == key_change::changes) {
        _builder->graph().mark_key_changing(name, record_types::of<K2, V2>());
    }
    return stream<K2, V2>(_builder, name, change == key_change::changes || _key_changed);
}

template <class K, class V>
branched_stream<K, V> stream<K, V>::split(const std::string& prefix) const {
    auto branches = std::make_shared<typename branch_processor<K, V>::branches>();
    std::shared_ptr<const typename branch_processor<K, V>::branches> shared = branches;
    const std::string name = _builder->new_name("KSTREAM-BRANCH-");
    _builder->graph().template add_processor<branch_processor<K, V>>(
        name, std::function<std::unique_ptr<branch_processor<K, V>>()>([shared] {
            return std::make_unique<branch_processor<K, V>>(shared);
        }),
        {_node});
    return branched_stream<K, V>(_builder, name, prefix.empty() ? name + "-" : prefix, _key_changed,
                                 branches);
}

template <class K, class V>
void branched_stream<K, V>::add_branch(typename branch_processor<K, V>::predicate p,
                                       const std::string& name) {
    const std::string branch_name =
        _prefix + (name.empty() ? std::to_string(_branches->names.size() + 1) : name);
    if (_result.contains(branch_name)) {
        throw topology_error(fmt::format("split: a branch named '{}' exists already", branch_name));
    }
    _builder->graph().template add_processor<pass_through_processor<K, V>>(
        branch_name, std::function<std::unique_ptr<pass_through_processor<K, V>>()>([] {
            return std::make_unique<pass_through_processor<K, V>>();
        }),
        {_split_node});
    _branches->predicates.push_back(std::move(p));
    _branches->names.push_back(branch_name);
    _result.emplace(branch_name, stream<K, V>(_builder, branch_name, _key_changed));
}

template <class K, class V>
stream<K, V> stream<K, V>::merge(const stream& other, const std::string& given) const {
    if (other._builder != _builder) {
        throw topology_error("merge: both streams must come from the same stream_builder");
    }
    const std::string name = _builder->name_or_new(given, "KSTREAM-MERGE-");
    _builder->graph().template add_processor<pass_through_processor<K, V>>(
        name, std::function<std::unique_ptr<pass_through_processor<K, V>>()>([] {
            return std::make_unique<pass_through_processor<K, V>>();
        }),
        {_node, other._node});
    // Records of a re-keyed input meet here: for the logical graph the merge is where
    // the key changed, so the groupings after it can share one repartition topic.
    if (_key_changed || other._key_changed) {
        _builder->graph().mark_key_changing(name, record_types::of<K, V>());
    }
    return stream(_builder, name, _key_changed || other._key_changed);
}

template <class K, class V>
template <class KS, class VS>
void stream<K, V>::to(const std::string& topic, produced<K, V, KS, VS> options) const {
    if (topic.empty()) {
        throw topology_error("to: the topic name is empty");
    }
    const std::string name = _builder->name_or_new(options.name, "KSTREAM-SINK-");
    _builder->graph().template add_sink<K, V, KS, VS>(
        name, topic, {_node}, std::move(options.key_serde), std::move(options.value_serde),
        std::move(options.partitioner));
}

template <class K, class V>
template <class KS, class VS>
void stream<K, V>::to(topic_extractor<K, V> extractor, produced<K, V, KS, VS> options) const {
    if (!extractor) {
        throw topology_error("to: the topic extractor is empty");
    }
    const std::string name = _builder->name_or_new(options.name, "KSTREAM-SINK-");
    _builder->graph().template add_sink<K, V, KS, VS>(
        name, std::move(extractor), {_node}, std::move(options.key_serde),
        std::move(options.value_serde), std::move(options.partitioner));
}

namespace detail {

// The nodes of one repartition: a sink writing "<name>-repartition", a source reading it.
struct repartition_nodes {
    std::string sink;
    std::string source;
    std::string topic;
};

template <class K, class V, class KS, class VS>
repartition_nodes add_repartition_nodes(stream_builder& b, const std::string& input,
                                        repartitioned<K, V, KS, VS> options) {
    const std::string base = b.name_or_new(options.name, "KSTREAM-REPARTITION-");
    repartition_nodes n{base + "-sink", base + "-source", base + "-repartition"};
    b.graph().add_internal_topic({n.topic, options.partitions});
    b.graph().template add_internal_sink<K, V, KS, VS>(n.sink, n.topic, {input}, options.key_serde,
                                                       options.value_serde);
    b.graph().template add_internal_source<K, V, KS, VS>(
        n.source, n.topic, std::move(options.key_serde), std::move(options.value_serde));
    return n;
}

// A repartition the DSL adds on its own (before a join, a to_table()): the same nodes as
// stream.repartition(), recorded in the logical graph as one it may merge with others of
// the same key change (merge.repartition.topics).
template <class K, class V, class KS, class VS>
stream<K, V> auto_repartition(const stream<K, V>& s, repartitioned<K, V, KS, VS> options) {
    stream_builder& b = s.builder();
    const repartition_nodes n = add_repartition_nodes(b, s.node_name(), std::move(options));
    b.graph().add_repartition(dsl_repartition{s.node_name(), std::nullopt, n.sink, n.source,
                                              n.topic, record_types::of<K, V>()});
    return stream<K, V>(&b, n.source, false);
}

} // namespace detail

template <class K, class V>
template <class KS, class VS>
stream<K, V> stream<K, V>::repartition(repartitioned<K, V, KS, VS> options) const {
    // The user's own repartition: never merged, as in Kafka Streams.
    return stream(_builder,
                  detail::add_repartition_nodes(*_builder, _node, std::move(options)).source,
                  false);
}

template <class K, class V>
template <class P>
auto stream<K, V>::process(std::function<std::unique_ptr<P>()> supplier,
                           const std::vector<std::string>& stores, const std::string& given) const {
    // A processor may forward any key, whatever its type, so (as in Kafka Streams) a
    // grouping after it must repartition.
    return add_processor<P>(std::move(supplier), stores, given, key_change::changes);
}

template <class K, class V>
template <class P>
auto stream<K, V>::process_values(std::function<std::unique_ptr<P>()> supplier,
                                  const std::vector<std::string>& stores,
                                  const std::string& given) const {
    static_assert(std::is_same_v<typename P::key_out, K>,
                  "process_values: the processor must forward the stream's key type K");
    return add_processor<P>(std::move(supplier), stores, given, key_change::keeps);
}

template <class K, class V>
template <class P>
auto stream<K, V>::add_processor(std::function<std::unique_ptr<P>()> supplier,
                                 const std::vector<std::string>& stores, const std::string& given,
                                 key_change change) const {
    static_assert(std::is_same_v<typename P::key_in, K> && std::is_same_v<typename P::value_in, V>,
                  "process: the processor's input types must be the stream's K and V");
    using KO = typename P::key_out;
    using VO = typename P::value_out;
    const std::string name = _builder->name_or_new(given, "KSTREAM-PROCESSOR-");
    _builder->graph().template add_processor<P>(name, std::move(supplier), {_node});
    if (!stores.empty()) {
        _builder->graph().connect_store_names(stores, name);
    }
    if (change == key_change::changes) {
        _builder->graph().mark_key_changing(name, record_types::of<KO, VO>());
    }
    return stream<KO, VO>(_builder, name, change == key_change::changes || _key_changed);
}

} // namespace brook
