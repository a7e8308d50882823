#pragma once

// grouped_table<K, V>: a table regrouped by table.group_by(selector) (Kafka Streams'
// KGroupedTable), to aggregate with an adder and a subtractor: when a row's group or value
// changes, its old value is subtracted from the old group and its new value added to the
// new one, so each group's aggregate always reflects the rows now in it. The regrouped
// rows go through "<application.id>-<store>-repartition", keyed by group.
//
// Handles are cheap values; the builder must outlive them until build().

#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>

#include "operators/grouped.h"
#include "operators/materialized.h"

namespace brook {

class stream_builder;
template <class K, class V>
class table;

template <class K, class V, class KS = default_serde<K>, class VS = default_serde<V>>
class grouped_table {
public:
    grouped_table(stream_builder* builder, std::string regroup_node, grouped<K, V, KS, VS> options)
        : _builder(builder), _node(std::move(regroup_node)), _grouped(std::move(options)) {}

    // aggregate: initializer() -> VR, adder(key, value, agg) -> VR and
    // subtractor(key, value, agg) -> VR.
    template <class I, class A, class S, class MKS = KS,
              class MVS = default_serde<std::invoke_result_t<const I&>>>
    table<K, std::invoke_result_t<const I&>>
    aggregate(I initializer, A adder, S subtractor,
              materialized<K, std::invoke_result_t<const I&>, MKS, MVS> m = {}) const;
    // reduce: the first value of a group is its aggregate; adder(key, value, agg) -> V and
    // subtractor(key, value, agg) -> V after that.
    template <class A, class S, class MKS = KS, class MVS = VS>
    table<K, V> reduce(A adder, S subtractor, materialized<K, V, MKS, MVS> m = {}) const;
    // How many rows each group has.
    template <class MKS = KS, class MVS = default_serde<int64_t>>
    table<K, int64_t> count(materialized<K, int64_t, MKS, MVS> m = {}) const;

private:
    template <bool Reduce, class VR, class I, class A, class S, class MKS, class MVS>
    table<K, VR> build(I initializer, A adder, S subtractor, materialized<K, VR, MKS, MVS> m,
                       const char* prefix) const;

    stream_builder* _builder;
    std::string _node;
    grouped<K, V, KS, VS> _grouped;
};

} // namespace brook
