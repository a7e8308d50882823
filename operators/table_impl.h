#pragma once

// Definitions of table<K,V>::group_by and grouped_table<K,V>'s aggregations. Included at
// the end of stream.h; not for direct use.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>

#include "engine/errors.h"
#include "engine/store/stores.h"
#include "operators/grouped_table.h"
#include "operators/materialize.h"
#include "operators/stream_builder.h"
#include "operators/table.h"
#include "operators/table_regroup.h"
#include "operators/table_suppress.h"

namespace brook {

template <class K, class V>
template <class F, class K2, class V2, class KS, class VS>
grouped_table<K2, V2, KS, VS> table<K, V>::group_by(F selector,
                                                    grouped<K2, V2, KS, VS> options) const {
    using VT = typename detail::table_row<V>::type;
    static_assert(std::is_invocable_v<const F&, const K&, const VT&>,
                  "table group_by: the selector must be callable as key_value<K2, V2>(const K& "
                  "key, const VT& row)");
    stream_builder& b = *_builder;
    const std::string name = b.new_name("KTABLE-SELECT-");
    const std::string previous = name + "-store";
    using P = table_regroup_processor<K, V, VT, K2, V2, F>;
    b.graph().template add_processor<P>(
        name, std::function<std::unique_ptr<P>()>([name, previous, selector] {
            return std::make_unique<P>(name, previous, selector);
        }),
        {_node});
    b.graph().add_state_store(stores::timestamped_key_value_store_builder<K, VT>(previous)
                                  .with_caching_disabled()
                                  .build(),
                              {name});
    return grouped_table<K2, V2, KS, VS>(_builder, name, std::move(options));
}

template <class K, class V>
template <class KS, class VS>
table<K, V> table<K, V>::suppress(suppressed how, KS key_serde, VS value_serde) const {
    static_assert(serde_for<KS, K>, "suppress: the key serde must serialize K");
    static_assert(serde_for<VS, V>, "suppress: the value serde must serialize V");
    stream_builder& b = *_builder;
    int64_t delay_ms = how.time_limit_ms();
    if (how.type() == suppressed::kind::until_window_closes) {
        const std::optional<int64_t> grace = b.window_grace(_node);
        if (!grace) {
            throw topology_error(fmt::format(
                "suppress(until_window_closes) after '{}': final results need a windowed "
                "table straight from a windowed aggregation (windowed_by(...).count(), "
                "aggregate() or reduce()); for other tables use until_time_limit",
                _node));
        }
        delay_ms = *grace;
    }
    const std::string name = b.name_or_new(how.name(), "KTABLE-SUPPRESS-");
    const std::string store =
        how.name().empty() ? b.new_name("KTABLE-SUPPRESS-STATE-STORE-") : how.name() + "-store";
    using P = table_suppress_processor<K, V, KS, VS>;
    b.graph().template add_processor<P>(
        name, std::function<std::unique_ptr<P>()>([store, how, delay_ms, key_serde, value_serde] {
            return std::make_unique<P>(store, how, delay_ms, key_serde, value_serde);
        }),
        {_node});
    b.graph().add_state_store(
        stores::key_value_store_builder<K, suppress_entry<V>, KS, suppress_entry_serde<VS>>(
            store, key_serde, suppress_entry_serde<VS>(value_serde))
            .in_memory()
            .with_caching_disabled()
            .build(),
        {name});
    return table<K, V>(_builder, name, std::string());
}

template <class K, class V, class KS, class VS>
template <bool Reduce, class VR, class I, class A, class S, class MKS, class MVS>
table<K, VR> grouped_table<K, V, KS, VS>::build(I initializer, A adder, S subtractor,
                                                materialized<K, VR, MKS, MVS> m,
                                                const char* prefix) const {
    static_assert(std::is_invocable_r_v<VR, const A&, const K&, const V&, const VR&>,
                  "table aggregation: the adder must be callable as VR(const K& key, const V& "
                  "value, const VR& aggregate)");
    static_assert(std::is_invocable_r_v<VR, const S&, const K&, const V&, const VR&>,
                  "table aggregation: the subtractor must be callable as VR(const K& key, const "
                  "V& value, const VR& aggregate)");
    stream_builder& b = *_builder;
    const std::string store = b.name_or_new(m.store_name, prefix);
    const std::string base = _grouped.name.empty() ? store : _grouped.name;
    const std::string topic = base + "-repartition";
    const std::string sink = base + "-sink";
    const std::string source = base + "-source";
    using change_serde = group_change_serde<VS>;
    b.graph().add_internal_topic({topic, std::nullopt});
    b.graph().template add_internal_sink<K, group_change<V>, KS, change_serde>(
        sink, topic, {_node}, _grouped.key_serde, change_serde(_grouped.value_serde));
    b.graph().template add_internal_source<K, group_change<V>, KS, change_serde>(
        source, topic, _grouped.key_serde, change_serde(_grouped.value_serde));
    // Each change is forwarded as it comes: a cached store would merge them per commit.
    m.caching = false;
    store_spec spec = detail::key_value_store_spec(store, m);
    using P = table_aggregate_processor<Reduce, K, V, VR, I, A, S>;
    const std::string node = store + "-aggregate";
    b.graph().template add_processor<P>(
        node, std::function<std::unique_ptr<P>()>([store, initializer, adder, subtractor] {
            return std::make_unique<P>(store, initializer, adder, subtractor);
        }),
        {source});
    b.graph().add_state_store(std::move(spec), {node});
    return table<K, VR>(_builder, node, store);
}

template <class K, class V, class KS, class VS>
template <class I, class A, class S, class MKS, class MVS>
table<K, std::invoke_result_t<const I&>> grouped_table<K, V, KS, VS>::aggregate(
    I initializer, A adder, S subtractor,
    materialized<K, std::invoke_result_t<const I&>, MKS, MVS> m) const {
    using VR = std::invoke_result_t<const I&>;
    return build<false, VR>(std::move(initializer), std::move(adder), std::move(subtractor),
                            std::move(m), "KTABLE-AGGREGATE-STATE-STORE-");
}

template <class K, class V, class KS, class VS>
template <class A, class S, class MKS, class MVS>
table<K, V> grouped_table<K, V, KS, VS>::reduce(A adder, S subtractor,
                                                materialized<K, V, MKS, MVS> m) const {
    auto unused = [] { return V{}; };
    return build<true, V>(unused, std::move(adder), std::move(subtractor), std::move(m),
                          "KTABLE-REDUCE-STATE-STORE-");
}

template <class K, class V, class KS, class VS>
template <class MKS, class MVS>
table<K, int64_t> grouped_table<K, V, KS, VS>::count(materialized<K, int64_t, MKS, MVS> m) const {
    return build<false, int64_t>([] { return int64_t{0}; },
                                 [](const K&, const V&, int64_t n) { return n + 1; },
                                 [](const K&, const V&, int64_t n) { return n - 1; }, std::move(m),
                                 "KTABLE-AGGREGATE-STATE-STORE-");
}

} // namespace brook
