#pragma once

// table<K, V>: a typed handle on a table node of the graph being built (a KTable): the
// result of an aggregation or of stream_builder.table(). Its node forwards each update of
// the table as record<K, V>; tables that can delete keys (tables read from a topic, session
// aggregations) have an optional value type and forward nullopt for a deleted key.
//
// Handles are cheap values; the builder must outlive them until build().

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "engine/errors.h"
#include "operators/aggregation_support.h"
#include "operators/branch.h"
#include "operators/grouped_table.h"
#include "operators/joined.h"
#include "operators/suppressed.h"

namespace brook {

namespace detail {
// What a table.group_by selector returns: key_value<K2, V2>.
template <class F, class K, class V>
struct regrouped {
    using result = std::invoke_result_t<const F&, const K&, const typename table_row<V>::type&>;
    using key = std::decay_t<decltype(std::declval<result>().key)>;
    using value = std::decay_t<decltype(std::declval<result>().value)>;
};
// Joins look a table up in its store; a suppressed table has none.
inline void require_materialized_table(const std::string& store, const std::string& node) {
    if (store.empty()) {
        throw topology_error("join: the table of '" + node +
                             "' is not materialized (a suppressed table keeps only its "
                             "buffer): join the table before suppress(), or write it to a "
                             "topic and read that as a table");
    }
}
} // namespace detail

class stream_builder;
template <class K, class V>
class stream;

template <class K, class V>
class table {
public:
    using key_type = K;
    using value_type = V;

    table(stream_builder* builder, std::string node, std::string store_name)
        : _builder(builder), _node(std::move(node)), _store_name(std::move(store_name)) {}

    const std::string& node_name() const { return _node; }
    stream_builder& builder() const { return *_builder; }
    // The store holding the table (a timestamped store; session aggregations: a session
    // store), to look up with get_store().
    const std::string& store_name() const { return _store_name; }

    // The table's updates as a stream (Kafka Streams' toStream()).
    stream<K, V> to_stream(const std::string& name = {}) const;

    // The rows for which predicate(key, row) holds (Kafka Streams' KTable#filter), as a
    // table: a row that stops passing, or is deleted, is forwarded as nullopt once. `row`
    // is the value as the table holds it (unwrapped from std::optional for a table read
    // from a topic). Kept in "<name>-store" (or KTABLE-FILTER-<n>-store), logged, so it is
    // queried, restored and joined like any table; rows need a default serde.
    template <class F>
    auto filter(F predicate, const std::string& name = {}) const;
    // The rows for which predicate(key, row) does not hold.
    template <class F>
    auto filter_not(F predicate, const std::string& name = {}) const;
    // Each row as mapper(row) or mapper(key, row) (Kafka Streams' KTable#mapValues), as a
    // table kept like filter's (KTABLE-MAPVALUES-<n>-store).
    template <class F>
    auto map_values(F mapper, const std::string& name = {}) const;

    // Each row through a value transformer (Kafka Streams' KTable#transformValues): the
    // supplier makes one T (a value_transformer_with_key<K, VT, VR>, see
    // value_transformer.h) per task; its init() gets the task, to find the stores named
    // in `stores` and schedule punctuations, and transform(key, row) gives the derived row
    // (nullopt: none). A deleted row is deleted in the result without a call. Kept like
    // filter's (<name>-store, or KTABLE-TRANSFORMVALUES-<n>-store).
    template <class T>
    auto transform_values(std::function<std::unique_ptr<T>()> supplier,
                          const std::vector<std::string>& stores = {},
                          const std::string& name = {}) const;

    // Regroups the rows by selector(key, row), which returns key_value<K2, V2> (the group
    // key and the value to aggregate), for aggregate / reduce / count with a subtractor
    // (Kafka Streams' KTable#groupBy): see grouped_table.h. A row's previous value is kept
    // in "<KTABLE-SELECT-n>-store" to subtract it when the row changes. Always repartitions.
    template <class F, class K2 = typename detail::regrouped<F, K, V>::key,
              class V2 = typename detail::regrouped<F, K, V>::value, class KS = default_serde<K2>,
              class VS = default_serde<V2>>
    grouped_table<K2, V2, KS, VS> group_by(F selector, grouped<K2, V2, KS, VS> options = {}) const;

    // Holds updates back and forwards them later (Kafka Streams' KTable#suppress), as
    // `how` says: until_window_closes (one final result per window of a windowed table,
    // once its end plus the windowed aggregation's grace has passed) or until_time_limit
    // (a key's newest value once the limit has passed since it was first held back). Time
    // is the stream time of the suppression's own input. The buffer is a logged in-memory
    // store, "<name>-store" (or KTABLE-SUPPRESS-STATE-STORE-<n>), read and written with
    // key_serde and value_serde. The result is not materialized: use to_stream(). Throws
    // topology_error for until_window_closes on a table that is not a windowed
    // aggregation's result. See suppressed.h and table_suppress.h.
    template <class KS = default_serde<K>, class VS = default_serde<V>>
    table suppress(suppressed how, KS key_serde = {}, VS value_serde = {}) const;

    // Joins with another table on the key (Kafka Streams' KTable#join(KTable)): the result
    // is a table holding, per key, joiner(value, other value) while both tables have the
    // key. Every update of either side recomputes that key's row; a row that goes away is
    // forwarded as nullopt, once. The joiner is callable as VR(const VT&, const VOT&) or
    // VR(const K&, const VT&, const VOT&), VT and VOT the rows (unwrapped from
    // std::optional for tables read from topics). The result is kept in a logged store,
    // named `name` + "-store" (or KTABLE-MERGE-<n>-store), so it can be joined, queried and
    // restored like any table. Both tables must be co-partitioned.
    template <class VO, class F>
    auto join(const table<K, VO>& other, F joiner, const std::string& name = {}) const;
    // As join, with a row while this table has the key: the other row is a
    // const std::optional<VOT>&.
    template <class VO, class F>
    auto left_join(const table<K, VO>& other, F joiner, const std::string& name = {}) const;
    // As join, with a row while either table has the key: both rows are optionals.
    template <class VO, class F>
    auto outer_join(const table<K, VO>& other, F joiner, const std::string& name = {}) const;

    // Joins with a table keyed by another key, on a foreign key taken from this table's
    // rows (Kafka Streams' foreign-key KTable#join, KIP-213): the result is a table keyed
    // like this one holding, per key, joiner(row, other row) for the other table's row
    // under foreign_key(row), while both exist. `foreign_key` is callable as KO(const VT&
    // row), or std::optional<KO>(const VT& row) where nullopt means the row names no
    // other row (a left join then gives the row with none, as KIP-962); the joiner as
    // VR(const VT&, const VOT&) or VR(const K&, const VT&, const VOT&). A row whose foreign key
    // changes leaves the old one's row behind, and a change of either row updates the result; the
    // result is consistent once the internal topics are read (a response for a row that has changed
    // since is dropped). The tables need not be co-partitioned: the join talks through
    // "<name>-subscription-registration-topic" (partitioned like the other table) and
    // "<name>-subscription-response-topic" (like this one), and keeps "<name>-subscription-store",
    // "<name>-previous-store" and the result, "<name>-store" (name: KTABLE-FK-JOIN-<n> when empty).
    // Keys and rows are written with their default serdes (KS, KOS, VS for this table's rows, VOS
    // for the other's), which may be given. See foreign_key_join.h.
    template <class KO, class VO, class FK, class F, class KS = default_serde<K>,
              class KOS = default_serde<KO>,
              class VS = default_serde<typename detail::table_row<V>::type>,
              class VOS = default_serde<typename detail::table_row<VO>::type>>
    requires(!std::is_convertible_v<F, std::string>) auto join(
        const table<KO, VO>& other, FK foreign_key, F joiner, const std::string& name = {},
        KS key_serde = {}, KOS foreign_key_serde = {}, VS row_serde = {},
        VOS other_row_serde = {}) const;
    // As the foreign-key join, with a row while this table has the key: the joiner gets the
    // other row as a const std::optional<VOT>& (empty: none under the foreign key).
    template <class KO, class VO, class FK, class F, class KS = default_serde<K>,
              class KOS = default_serde<KO>,
              class VS = default_serde<typename detail::table_row<V>::type>,
              class VOS = default_serde<typename detail::table_row<VO>::type>>
    requires(!std::is_convertible_v<F, std::string>) auto left_join(
        const table<KO, VO>& other, FK foreign_key, F joiner, const std::string& name = {},
        KS key_serde = {}, KOS foreign_key_serde = {}, VS row_serde = {},
        VOS other_row_serde = {}) const;

private:
    template <join_kind Kind, class KO, class VO, class FK, class F, class KS, class KOS, class VS,
              class VOS>
    auto join_foreign_key(const table<KO, VO>& other, FK foreign_key, F joiner,
                          const std::string& name, KS key_serde, KOS foreign_key_serde,
                          VS row_serde, VOS other_row_serde) const;
    // filter (Keep: rows for which the predicate holds) and filter_not (the others).
    template <bool Keep, class F>
    auto filtered(F predicate, const std::string& name) const;
    template <class VR, class Step>
    table<K, std::optional<VR>> derive(const std::string& name, const char* prefix,
                                       Step step) const;
    // derive()'s graph: `node` (added by add_node under this table's node) then the result.
    template <class VR, class AddNode>
    table<K, std::optional<VR>> derive_with(const std::string& name, AddNode add_node) const;
    template <join_kind Kind, class VO, class F>
    auto join_tables(const table<K, VO>& other, F joiner, const std::string& name) const;

    stream_builder* _builder;
    std::string _node;
    std::string _store_name;
};

} // namespace brook
