#pragma once

// stream<K,V>: a typed handle on one node of the graph being built (a KStream). Each
// operator adds a node as a child of this one and returns a handle on the new node;
// handles are cheap values and may be used more than once (each use adds a branch).
//
// key_changed() tells whether an operator since the last (re)partitioning may have
// changed the key (map, flat_map, select_key); a grouping then repartitions first.
//
// group_by_key() / group_by() lead to aggregations (grouped_stream.h), windowed ones
// (time_windowed_stream.h, session_windowed_stream.h) and tables (table.h).

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "operators/aggregation_support.h"
#include "operators/branch.h"
#include "operators/callables.h"
#include "operators/dead_letter.h"
#include "operators/filter.h"
#include "operators/flat_map.h"
#include "operators/flat_map_values.h"
#include "operators/grouped.h"
#include "operators/join_windows.h"
#include "operators/joined.h"
#include "operators/map.h"
#include "operators/map_values.h"
#include "operators/materialized.h"
#include "operators/options.h"
#include "operators/peek.h"
#include "operators/select_key.h"

namespace brook {

class stream_builder;

template <class K, class V>
class branched_stream;
template <class K, class V>
class table;
template <class K, class V>
class global_table;
template <class K, class V, class KS, class VS>
class grouped_stream;

// The key type a group_by selector returns (void_value when it is not callable, so that the
// static_assert in group_by is the error the user sees).
template <class F, class K, class V>
struct selected_key {
    using type = void_value;
};
template <class F, class K, class V>
requires std::invocable<const F&, const K&, const V&>
struct selected_key<F, K, V> {
    using type = std::decay_t<std::invoke_result_t<const F&, const K&, const V&>>;
};

template <class K, class V>
class stream {
public:
    using key_type = K;
    using value_type = V;

    stream(stream_builder* builder, std::string node, bool key_changed)
        : _builder(builder), _node(std::move(node)), _key_changed(key_changed) {}

    const std::string& node_name() const { return _node; }
    bool key_changed() const { return _key_changed; }
    stream_builder& builder() const { return *_builder; }

    // Keeps records for which predicate(key, value) is true.
    template <class F>
    stream filter(F predicate, const std::string& name = {}) const {
        static_assert(
            key_value_predicate<F, K, V>,
            "filter: the predicate must be callable as bool(const K& key, const V& value)");
        return add<K, V>(name, "KSTREAM-FILTER-", key_change::keeps, [predicate] {
            return std::make_unique<filter_processor<K, V, F>>(predicate, false);
        });
    }

    // Keeps records for which predicate(key, value) is false.
    template <class F>
    stream filter_not(F predicate, const std::string& name = {}) const {
        static_assert(
            key_value_predicate<F, K, V>,
            "filter_not: the predicate must be callable as bool(const K& key, const V& value)");
        return add<K, V>(name, "KSTREAM-FILTER-", key_change::keeps, [predicate] {
            return std::make_unique<filter_processor<K, V, F>>(predicate, true);
        });
    }

    // New key and value: mapper(key, value) returns key_value<K2, V2>.
    template <class F>
    auto map(F mapper, const std::string& name = {}) const {
        static_assert(
            key_value_mapper<F, K, V>,
            "map: the mapper must be callable as key_value<K2, V2>(const K& key, const V& value)");
        using result = std::invoke_result_t<const F&, const K&, const V&>;
        using K2 = decltype(result::key);
        using V2 = decltype(result::value);
        return add<K2, V2>(name, "KSTREAM-MAP-", key_change::changes, [mapper] {
            return std::make_unique<map_processor<K, V, K2, V2, F>>(mapper);
        });
    }

    // New value: mapper(value) or mapper(key, value) returns the new value.
    template <class F>
    auto map_values(F mapper, const std::string& name = {}) const {
        static_assert(value_mapper<F, V> || value_mapper_with_key<F, K, V>,
                      "map_values: the mapper must be callable as V2(const V& value) or "
                      "V2(const K& key, const V& value)");
        using V2 = std::decay_t<mapped_value_t<F, K, V>>;
        return add<K, V2>(name, "KSTREAM-MAPVALUES-", key_change::keeps, [mapper] {
            return std::make_unique<map_values_processor<K, V, V2, F>>(mapper);
        });
    }

    // Zero or more records per input: mapper(key, value) returns a range of key_value<K2, V2>.
    template <class F>
    auto flat_map(F mapper, const std::string& name = {}) const {
        static_assert(key_value_flat_mapper<F, K, V>,
                      "flat_map: the mapper must be callable as a range of key_value<K2, V2>"
                      "(const K& key, const V& value), e.g. std::vector<key_value<K2, V2>>");
        using kv = std::ranges::range_value_t<std::invoke_result_t<const F&, const K&, const V&>>;
        using K2 = decltype(kv::key);
        using V2 = decltype(kv::value);
        return add<K2, V2>(name, "KSTREAM-FLATMAP-", key_change::changes, [mapper] {
            return std::make_unique<flat_map_processor<K, V, K2, V2, F>>(mapper);
        });
    }

    // Zero or more values per input, same key: mapper returns a range of V2.
    template <class F>
    auto flat_map_values(F mapper, const std::string& name = {}) const {
        static_assert(value_mapper<F, V> || value_mapper_with_key<F, K, V>,
                      "flat_map_values: the mapper must be callable as a range of V2"
                      "(const V& value) or (const K& key, const V& value)");
        using out_range = std::decay_t<mapped_value_t<F, K, V>>;
        static_assert(std::ranges::range<out_range>,
                      "flat_map_values: the mapper must return a range, e.g. std::vector<V2>");
        using V2 = std::decay_t<std::ranges::range_value_t<out_range>>;
        return add<K, V2>(name, "KSTREAM-FLATMAPVALUES-", key_change::keeps, [mapper] {
            return std::make_unique<flat_map_values_processor<K, V, V2, F>>(mapper);
        });
    }

    // New key from selector(key, value); the value stays.
    template <class F>
    auto select_key(F selector, const std::string& name = {}) const {
        static_assert(
            std::invocable<const F&, const K&, const V&>,
            "select_key: the selector must be callable as K2(const K& key, const V& value)");
        using K2 = std::decay_t<std::invoke_result_t<const F&, const K&, const V&>>;
        return add<K2, V>(name, "KSTREAM-KEY-SELECT-", key_change::changes, [selector] {
            return std::make_unique<select_key_processor<K, V, K2, F>>(selector);
        });
    }

    // Calls action(key, value) for each record and passes it on unchanged.
    template <class F>
    stream peek(F action, const std::string& name = {}) const {
        static_assert(key_value_action<F, K, V>,
                      "peek: the action must be callable as void(const K& key, const V& value)");
        return add<K, V>(name, "KSTREAM-PEEK-", key_change::keeps, [action] {
            return std::make_unique<peek_processor<K, V, F>>(action, true);
        });
    }

    // Calls action(key, value) for each record; ends this branch of the graph.
    template <class F>
    void foreach (F action, const std::string& name = {}) const {
        static_assert(key_value_action<F, K, V>,
                      "foreach: the action must be callable as void(const K& key, const V& value)");
        add<K, V>(name, "KSTREAM-FOREACH-", key_change::keeps,
                  [action] { return std::make_unique<peek_processor<K, V, F>>(action, false); });
    }

    // Adds dead-letter headers (error = reason(key, value), source-topic, -partition,
    // -offset) to each record; follow it with to(<dead-letter topic>).
    template <class F>
    stream with_dead_letter_headers(F reason, const std::string& name = {}) const {
        static_assert(std::invocable<const F&, const K&, const V&>,
                      "with_dead_letter_headers: reason must be callable as "
                      "std::string(const K& key, const V& value)");
        return add<K, V>(name, "KSTREAM-DEADLETTER-", key_change::keeps, [reason] {
            return std::make_unique<dead_letter_processor<K, V, F>>(reason);
        });
    }

    // Routes each record to the first matching branch: see branched_stream.
    branched_stream<K, V> split(const std::string& prefix = {}) const;

    // Records of both streams, interleaved as they arrive.
    stream merge(const stream& other, const std::string& name = {}) const;

    // Writes to a topic.
    template <class KS = default_serde<K>, class VS = default_serde<V>>
    void to(const std::string& topic, produced<K, V, KS, VS> options = {}) const;
    // Writes each record to the topic extractor(record) names.
    template <class KS = default_serde<K>, class VS = default_serde<V>>
    void to(topic_extractor<K, V> extractor, produced<K, V, KS, VS> options = {}) const;

    // Writes through an internal topic "<application.id>-<name>-repartition" and reads it
    // back, so that records with equal keys meet in one task.
    template <class KS = default_serde<K>, class VS = default_serde<V>>
    stream repartition(repartitioned<K, V, KS, VS> options = {}) const;

    // Groups by the current key, for count / reduce / aggregate (optionally windowed_by
    // first). Repartitions first when key_changed() (see grouped_stream.h).
    template <class KS = default_serde<K>, class VS = default_serde<V>>
    grouped_stream<K, V, KS, VS> group_by_key(grouped<K, V, KS, VS> options = {}) const;

    // The table of each key's latest value (Kafka Streams' KStream#toTable): each record
    // replaces its key's row; a null value (V = std::optional<X> and nullopt) deletes it, a
    // null key is skipped (logged once, counted). Repartitions first when key_changed().
    // The rows live in a timestamped key-value store named by `m` or
    // KSTREAM-TOTABLE-STATE-STORE-<n>; the table forwards updates as builder.table() does.
    using row_type = typename detail::table_row<V>::type;
    auto to_table(const std::string& name = {}) const {
        return to_table(materialized<K, row_type>{}, name);
    }
    template <class MKS, class MVS>
    table<K, std::optional<row_type>> to_table(materialized<K, row_type, MKS, MVS> m,
                                               const std::string& name = {}) const;

    // Groups by a new key, selector(key, value) -> K2; always repartitions. The selecting
    // node is named options.name, or KSTREAM-KEY-SELECT-<n>.
    template <class F, class K2 = typename selected_key<F, K, V>::type,
              class KS = default_serde<K2>, class VS = default_serde<V>>
    grouped_stream<K2, V, KS, VS> group_by(F selector, grouped<K2, V, KS, VS> options = {}) const;

    // Joins with a table (Kafka Streams' KStream#join(KTable)): each record looks its key
    // up in the table as the table stands when the record is processed, and the result is
    // joiner's value under the record's key and timestamp. The joiner is callable as
    // VR(const V&, const VT&) or VR(const K&, const V&, const VT&), VT being the table's
    // value (unwrapped from std::optional for a table read from a topic). Records whose key
    // is not in the table produce nothing. Repartitions this stream first when its key
    // changed (options.key_serde / value_serde write the topic). The stream and the table
    // must be co-partitioned: start() refuses sources whose partition counts differ.
    template <class TV, class F, class KS = default_serde<K>, class VS = default_serde<V>>
    auto join(const table<K, TV>& other, F joiner, joined<K, V, KS, VS> options = {}) const;
    // As join(table), but a record whose key is missing from the table (or null) still
    // produces a result: the joiner gets nullopt, as VR(const V&, const std::optional<VT>&)
    // or VR(const K&, const V&, const std::optional<VT>&).
    template <class TV, class F, class KS = default_serde<K>, class VS = default_serde<V>>
    auto left_join(const table<K, TV>& other, F joiner, joined<K, V, KS, VS> options = {}) const;

    // Joins with a global table (Kafka Streams' KStream#join(GlobalKTable, ...)): each
    // record looks up key_selector(key, value) in the instance's full copy of the table,
    // so no co-partitioning or repartitioning is needed. The joiner is callable as
    // VR(const V&, const VG&) or VR(const K&, const V&, const VG&); records whose looked-up
    // key is not in the table produce nothing.
    template <class KG, class VG, class FK, class F>
    auto join(const global_table<KG, VG>& other, FK key_selector, F joiner,
              const std::string& name = {}) const;
    // As join(global_table), keeping records whose looked-up key is missing: the joiner
    // gets const std::optional<VG>&.
    template <class KG, class VG, class FK, class F>
    auto left_join(const global_table<KG, VG>& other, FK key_selector, F joiner,
                   const std::string& name = {}) const;

    // Joins with another stream within join windows (Kafka Streams' KStream#join(KStream)):
    // a record of this stream at time t joins each record of `other` with the same key and
    // a timestamp in [t - before, t + after]; each pair produces joiner(v, vo) (or joiner(k,
    // v, vo)) at the later timestamp. Both sides are kept in window stores for
    // windows.size_ms() + grace_ms(). Repartitions a side whose key changed.
    template <class VO, class F, class KS = default_serde<K>, class VS = default_serde<V>,
              class VOS = default_serde<VO>>
    auto join(const stream<K, VO>& other, F joiner, const join_windows& windows,
              stream_joined<K, V, VO, KS, VS, VOS> options = {}) const;
    // As join(stream), and a record of this stream that no record of `other` joins is
    // emitted once, with nullopt for the other value, after its window and grace have
    // passed (by stream time): joiner(const V&, const std::optional<VO>&).
    template <class VO, class F, class KS = default_serde<K>, class VS = default_serde<V>,
              class VOS = default_serde<VO>>
    auto left_join(const stream<K, VO>& other, F joiner, const join_windows& windows,
                   stream_joined<K, V, VO, KS, VS, VOS> options = {}) const;
    // As left_join(stream), for both sides: joiner(const std::optional<V>&, const
    // std::optional<VO>&), exactly one of them nullopt for an unmatched record.
    template <class VO, class F, class KS = default_serde<K>, class VS = default_serde<V>,
              class VOS = default_serde<VO>>
    auto outer_join(const stream<K, VO>& other, F joiner, const join_windows& windows,
                    stream_joined<K, V, VO, KS, VS, VOS> options = {}) const;

    // The processor API inside the DSL: supplier() makes a processor<K, V, K2, V2> per
    // task; `stores` names stores (added to the builder's graph) it may use. The result is
    // marked key_changed(), since the processor may forward records under any key.
    template <class P>
    auto process(std::function<std::unique_ptr<P>()> supplier,
                 const std::vector<std::string>& stores = {}, const std::string& name = {}) const;
    // process() for a processor that forwards each record under the key it received (it
    // may change the value, drop records or forward several), as Kafka Streams'
    // processValues: the stream keeps its partitioning, so a grouping after it does not
    // repartition unless one was already due. Forwarding another key breaks that promise
    // and the grouping silently; use process() then.
    template <class P>
    auto process_values(std::function<std::unique_ptr<P>()> supplier,
                        const std::vector<std::string>& stores = {},
                        const std::string& name = {}) const;

private:
    template <join_kind Kind, class VO, class F, class KS, class VS, class VOS>
    auto join_streams(const stream<K, VO>& other, F joiner, const join_windows& windows,
                      stream_joined<K, V, VO, KS, VS, VOS> options) const;
    template <bool Left, class KG, class VG, class FK, class F>
    auto join_global(const global_table<KG, VG>& other, FK key_selector, F joiner,
                     const std::string& name) const;
    template <bool Left, class TV, class F, class KS, class VS>
    auto join_table(const table<K, TV>& other, F joiner, joined<K, V, KS, VS> options) const;

    // Whether an added operator forwards under other keys than it receives: one that does
    // is marked key-changing in the logical graph, and the stream after it key_changed().
    enum class key_change { keeps, changes };
    template <class K2, class V2, class Factory>
    stream<K2, V2> add(const std::string& given, const char* prefix, key_change change,
                       Factory make) const;
    template <class P>
    auto add_processor(std::function<std::unique_ptr<P>()> supplier,
                       const std::vector<std::string>& stores, const std::string& given,
                       key_change change) const;

    stream_builder* _builder;
    std::string _node;
    bool _key_changed;
};

// The result of stream.split(): add branches, then end with default_branch() or
// no_default_branch() to get the branch streams by name ("<prefix><branch name>").
template <class K, class V>
class branched_stream {
public:
    branched_stream(stream_builder* builder, std::string split_node, std::string prefix,
                    bool key_changed,
                    std::shared_ptr<typename branch_processor<K, V>::branches> branches)
        : _builder(builder), _split_node(std::move(split_node)), _prefix(std::move(prefix)),
          _key_changed(key_changed), _branches(std::move(branches)) {}

    // A branch for records where predicate(key, value) holds and no earlier one did.
    template <class F>
    branched_stream& branch(F predicate, const std::string& name = {}) {
        static_assert(
            key_value_predicate<F, K, V>,
            "branch: the predicate must be callable as bool(const K& key, const V& value)");
        add_branch(typename branch_processor<K, V>::predicate(predicate), name);
        return *this;
    }
    // Ends the split with a branch for records that matched no predicate.
    std::map<std::string, stream<K, V>> default_branch(const std::string& name = {}) {
        add_branch({}, name.empty() ? "0" : name);
        return std::move(_result);
    }
    // Ends the split; records that matched no predicate are dropped.
    std::map<std::string, stream<K, V>> no_default_branch() { return std::move(_result); }

private:
    void add_branch(typename branch_processor<K, V>::predicate p, const std::string& name);

    stream_builder* _builder;
    std::string _split_node;
    std::string _prefix;
    bool _key_changed;
    std::shared_ptr<typename branch_processor<K, V>::branches> _branches;
    std::map<std::string, stream<K, V>> _result;
};

} // namespace brook

#include "operators/stream_impl.h"
// Grouping, aggregations and tables, which need stream_impl.h's definitions.
#include "operators/aggregation_impl.h"
// Joins.
#include "operators/join_impl.h"
// Table regrouping and aggregation.
#include "operators/table_impl.h"
// Cogrouped aggregations.
#include "operators/cogroup_impl.h"
