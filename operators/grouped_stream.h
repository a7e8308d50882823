#pragma once

// grouped_stream<K, V, KS, VS>: the result of stream.group_by_key() / group_by() (a
// KGroupedStream): records grouped by key, ready to be aggregated into a table, or to be
// windowed first with windowed_by().
//
//   auto counts = builder.stream<std::string, std::string>({"words"})
//                     .group_by_key()
//                     .count(materialized<std::string, int64_t>::as("word-counts"));
//
// Repartitioning: when the key may have changed since the stream was last partitioned
// (stream.key_changed(), and always after group_by), each aggregation first writes its
// input through "<application.id>-<name>-repartition" and reads it back, so that equal
// keys meet in one task. <name> is grouped.name, else the aggregation's store name (as in
// Kafka Streams); aggregations of one grouped_stream with a grouped.name share the topic.
//
// Names (deterministic, as Kafka Streams generates them): the store is
// KSTREAM-AGGREGATE-STATE-STORE-<n> (reduce: KSTREAM-REDUCE-STATE-STORE-<n>) unless
// materialized names it, the processor KSTREAM-AGGREGATE-<n+1> (KSTREAM-REDUCE-<n+1>).
//
// Handles are cheap values; the builder must outlive them until build(). Every operation
// throws topology_error or std::invalid_argument for an invalid graph or option.

#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "operators/aggregation_functions.h"
#include "operators/callables.h"
#include "operators/filter.h"
#include "operators/grouped.h"
#include "operators/materialize.h"
#include "operators/materialized.h"
#include "operators/stream_aggregate.h"
#include "operators/table.h"
#include "operators/windows.h"

namespace brook {

class stream_builder;
template <class K, class V, class KS, class VS, class W>
class time_windowed_stream;
template <class K, class V, class KS, class VS>
class session_windowed_stream;
template <class K, class VOut, class KS>
class cogrouped_stream;

// Lets only records with a key through (a std::optional key may be null): the filter in
// front of a repartition topic.
struct non_null_key {
    template <class K, class V>
    bool operator()(const K& key, const V& /*value*/) const {
        return !is_null_value(key);
    }
};

// Where an aggregation of a grouped stream reads its input: the grouped node itself, or
// the source of a repartition topic added in front of the aggregation. Shared by
// grouped_stream and the windowed streams made from it.
template <class K, class V, class KS, class VS>
class aggregation_input {
public:
    aggregation_input(stream_builder* builder, std::string node, bool repartition,
                      grouped<K, V, KS, VS> options)
        : _builder(builder), _node(std::move(node)), _repartition(repartition),
          _grouped(std::move(options)), _shared_source(std::make_shared<std::string>()) {}

    stream_builder& builder() const { return *_builder; }
    const grouped<K, V, KS, VS>& options() const { return _grouped; }

    // The node the aggregation keeping `store_name` must read from; adds the repartition
    // (null-key filter -> sink -> internal topic -> source) when one is needed.
    std::string node_for(const std::string& store_name) const;

private:
    stream_builder* _builder;
    std::string _node;
    bool _repartition;
    grouped<K, V, KS, VS> _grouped;
    // The repartition source made for a named grouping, reused by its later aggregations.
    std::shared_ptr<std::string> _shared_source;
};

template <class K, class V, class KS = default_serde<K>, class VS = default_serde<V>>
class grouped_stream {
public:
    grouped_stream(stream_builder* builder, std::string node, bool repartition,
                   grouped<K, V, KS, VS> options)
        : _input(builder, std::move(node), repartition, std::move(options)) {}

    // Records per key (Kafka Streams' count()).
    table<K, int64_t> count() const { return count(default_materialized<int64_t>()); }
    template <class MKS, class MVS>
    table<K, int64_t> count(materialized<K, int64_t, MKS, MVS> m) const {
        return build<int64_t>("KSTREAM-AGGREGATE-", std::move(m), count_aggregation{});
    }

    // reducer(aggregate, value) combines a key's values into one of the same type; the
    // first value of a key is taken as it is.
    template <class R>
    table<K, V> reduce(R reducer) const {
        return reduce(std::move(reducer), reduce_materialized());
    }
    template <class R, class MKS, class MVS>
    table<K, V> reduce(R reducer, materialized<K, V, MKS, MVS> m) const {
        static_assert(reducer_fn<R, V>, "reduce: the reducer must be callable as "
                                        "V(const V& aggregate, const V& value)");
        return build<V>("KSTREAM-REDUCE-", std::move(m),
                        reduce_aggregation<V, R>{std::move(reducer)});
    }

    // initializer() starts a key's aggregate; adder(key, value, aggregate) returns the new one.
    template <class I, class A>
    auto aggregate(I initializer, A adder) const {
        static_assert(initializer_fn<I>, "aggregate: the initializer must be callable as VR()");
        using VR = std::decay_t<std::invoke_result_t<const I&>>;
        return aggregate(std::move(initializer), std::move(adder), default_materialized<VR>());
    }
    template <class I, class A, class VR, class MKS, class MVS>
    table<K, VR> aggregate(I initializer, A adder, materialized<K, VR, MKS, MVS> m) const {
        static_assert(initializer_fn<I>, "aggregate: the initializer must be callable as VR()");
        static_assert(std::is_convertible_v<std::invoke_result_t<const I&>, VR>,
                      "aggregate: the initializer must return the materialized value type VR");
        static_assert(aggregator_fn<A, K, V, VR>,
                      "aggregate: the adder must be callable as "
                      "VR(const K& key, const V& value, const VR& aggregate)");
        return build<VR>("KSTREAM-AGGREGATE-", std::move(m),
                         user_aggregation<VR, I, A>{std::move(initializer), std::move(adder)});
    }

    // Starts a cogroup (Kafka Streams' KGroupedStream#cogroup): this stream with
    // `aggregator`, callable as VOut(const K& key, const V& value, const VOut& aggregate);
    // add more grouped streams with .cogroup(other, aggregator), then aggregate(). See
    // cogrouped_stream.h.
    template <class VOut, class A>
    cogrouped_stream<K, VOut, KS> cogroup(A aggregator) const;

    // Tumbling or hopping windows.
    time_windowed_stream<K, V, KS, VS, time_windows> windowed_by(time_windows windows) const;
    // Sliding windows.
    time_windowed_stream<K, V, KS, VS, sliding_windows> windowed_by(sliding_windows windows) const;
    // Session windows.
    session_windowed_stream<K, V, KS, VS> windowed_by(session_windows windows) const;

    // For operators (cogroup): where the aggregation reads from.
    const aggregation_input<K, V, KS, VS>& input() const { return _input; }

private:
    // Kafka Streams' defaults: the grouping's key serde, and default_serde<VR> for the
    // aggregate (count: int64).
    template <class VR>
    materialized<K, VR, KS, default_serde<VR>> default_materialized() const {
        materialized<K, VR, KS, default_serde<VR>> m;
        m.key_serde = _input.options().key_serde;
        return m;
    }
    // reduce keeps values of the stream's type: the grouping's serdes for both.
    materialized<K, V, KS, VS> reduce_materialized() const {
        materialized<K, V, KS, VS> m;
        m.key_serde = _input.options().key_serde;
        m.value_serde = _input.options().value_serde;
        return m;
    }

    template <class VR, class MKS, class MVS, class Fn>
    table<K, VR> build(const std::string& prefix, materialized<K, VR, MKS, MVS> m, Fn fn) const;

    aggregation_input<K, V, KS, VS> _input;
};

} // namespace brook
