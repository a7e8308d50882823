#pragma once

// Definitions of grouped_stream, time_windowed_stream, session_windowed_stream, table and
// the grouping members of stream that need the complete stream_builder. Included at the
// end of stream.h; not for direct use.

#include <algorithm>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "operators/grouped_stream.h"
#include "operators/select_key.h"
#include "operators/session_windowed_stream.h"
#include "operators/stream_builder.h"
#include "operators/table.h"
#include "operators/table_source.h"
#include "operators/time_windowed_stream.h"

namespace brook {

namespace detail {

// Adds `processor` (made by `make`) under `parent` and registers `spec` for it.
template <class P, class Make>
void add_stateful_processor(stream_builder& b, const std::string& name, const std::string& parent,
                            store_spec spec, Make make) {
    b.graph().template add_processor<P>(name, std::function<std::unique_ptr<P>()>(std::move(make)),
                                        {parent});
    b.graph().add_state_store(std::move(spec), {name});
}

// Kafka Streams' rule for repartition node names: generated names when the topic is named
// after a generated store, names derived from the topic otherwise.
// A generated name is "KSTREAM" ... "-" and a 10-digit counter (KSTREAM.*-[0-9]{10}).
inline bool is_generated_name(const std::string& name) {
    constexpr std::string_view prefix = "KSTREAM";
    constexpr size_t digits = 10;
    if (name.size() < prefix.size() + 1 + digits || !name.starts_with(prefix) ||
        name[name.size() - digits - 1] != '-') {
        return false;
    }
    return std::all_of(name.end() - digits, name.end(),
                       [](char c) { return c >= '0' && c <= '9'; });
}

// A table's record -> its store's row, for source_changelog (topology.h): the row the
// table source makes of the record, its key read by `ks` and written by `store_ks`, its
// value read by `vs` and written with the record's timestamp by `store_vs`. A null key, a
// null key value or bytes the serdes cannot read (serde_error) make no row, as the table
// skips them; what else a serde throws fails the restore, as it fails processing.
template <class K, class V, class OKS, class OVS, class SKS, class SVS>
struct table_row_of_record {
    OKS ks;
    OVS vs;
    SKS store_ks;
    SVS store_vs;

    source_changelog::row operator()(nullable_bytes key, nullable_bytes value, int64_t timestamp,
                                     std::string& key_out, std::string& value_out) const {
        using row = source_changelog::row;
        try {
            std::optional<K> k = ks.deserialize(key);
            if (!k || is_null_value(*k)) {
                return row::skip;
            }
            key_out = serialize_to_string(store_ks, *k);
            std::optional<V> v = vs.deserialize(value);
            if (!v) {
                return row::remove;
            }
            // A record without a timestamp (-1) is processed at 0 (stream_task.cc).
            value_out = serialize_to_string(
                store_vs, value_and_timestamp<V>{std::move(*v), std::max<int64_t>(timestamp, 0)});
            return row::put;
        } catch (const serde_error&) {
            return row::skip; // the table skipped it too (its deserialization handler decided)
        }
    }
};

} // namespace detail

template <class K, class V, class KS, class VS>
std::string aggregation_input<K, V, KS, VS>::node_for(const std::string& store_name) const {
    if (!_repartition) {
        return _node;
    }
    stream_builder& b = *_builder;
    const std::string prefix = _grouped.name.empty() ? store_name : _grouped.name;
    const std::string suffix = "-repartition";
    const std::string topic = prefix.ends_with(suffix) ? prefix : prefix + suffix;
    // Generated even when unused, so the counter (and every later name) is the same
    // whichever names are used, as in Kafka Streams.
    const std::string generated_sink = b.new_name("KSTREAM-SINK-");
    const std::string generated_filter = b.new_name("KSTREAM-FILTER-");
    const std::string generated_source = b.new_name("KSTREAM-SOURCE-");
    if (!_grouped.name.empty() && !_shared_source->empty()) {
        return *_shared_source; // a named grouping's later aggregations share its topic
    }
    const bool generated = detail::is_generated_name(prefix);
    const std::string sink = generated ? generated_sink : topic + "-sink";
    const std::string filter = generated ? generated_filter : topic + "-filter";
    const std::string source = generated ? generated_source : topic + "-source";

    b.graph().template add_processor<filter_processor<K, V, non_null_key>>(
        filter, std::function<std::unique_ptr<filter_processor<K, V, non_null_key>>()>([] {
            return std::make_unique<filter_processor<K, V, non_null_key>>(non_null_key{}, false);
        }),
        {_node});
    b.graph().add_internal_topic({topic, std::nullopt});
    b.graph().template add_internal_sink<K, V, KS, VS>(sink, topic, {filter}, _grouped.key_serde,
                                                       _grouped.value_serde);
    b.graph().template add_internal_source<K, V, KS, VS>(source, topic, _grouped.key_serde,
                                                         _grouped.value_serde);
    b.graph().add_repartition(
        dsl_repartition{_node, filter, sink, source, topic, record_types::of<K, V>()});
    if (!_grouped.name.empty()) {
        *_shared_source = source;
    }
    return source;
}

template <class K, class V, class KS, class VS>
template <class VR, class MKS, class MVS, class Fn>
table<K, VR> grouped_stream<K, V, KS, VS>::build(const std::string& prefix,
                                                 materialized<K, VR, MKS, MVS> m, Fn fn) const {
    stream_builder& b = _input.builder();
    const std::string store = b.name_or_new(m.store_name, prefix + "STATE-STORE-");
    const std::string name = b.new_name(prefix);
    const std::string parent = _input.node_for(store);
    using P = stream_aggregate_processor<K, V, Fn>;
    detail::add_stateful_processor<P>(
        b, name, parent, detail::key_value_store_spec(store, m),
        [name, store, fn] { return std::make_unique<P>(name, store, fn); });
    return table<K, VR>(&b, name, store);
}

template <class K, class V, class KS, class VS>
time_windowed_stream<K, V, KS, VS, time_windows>
grouped_stream<K, V, KS, VS>::windowed_by(time_windows windows) const {
    return time_windowed_stream<K, V, KS, VS, time_windows>(_input, windows);
}

template <class K, class V, class KS, class VS>
time_windowed_stream<K, V, KS, VS, sliding_windows>
grouped_stream<K, V, KS, VS>::windowed_by(sliding_windows windows) const {
    return time_windowed_stream<K, V, KS, VS, sliding_windows>(_input, windows);
}

template <class K, class V, class KS, class VS>
session_windowed_stream<K, V, KS, VS>
grouped_stream<K, V, KS, VS>::windowed_by(session_windows windows) const {
    return session_windowed_stream<K, V, KS, VS>(_input, windows);
}

template <class K, class V, class KS, class VS, class W>
template <class VR, class MKS, class MVS, class Fn>
table<windowed<K>, VR> time_windowed_stream<K, V, KS, VS, W>::build(const std::string& prefix,
                                                                    materialized<K, VR, MKS, MVS> m,
                                                                    Fn fn) const {
    stream_builder& b = _input.builder();
    const std::string store = b.name_or_new(m.store_name, prefix + "STATE-STORE-");
    const std::string name = b.new_name(prefix);
    // The store spec first: it validates the retention before the graph changes.
    store_spec spec = detail::window_store_spec(store, m, _windows);
    const std::string parent = _input.node_for(store);
    using P = std::conditional_t<std::is_same_v<W, time_windows>,
                                 time_window_aggregate_processor<K, V, Fn>,
                                 sliding_window_aggregate_processor<K, V, Fn>>;
    detail::add_stateful_processor<P>(
        b, name, parent, std::move(spec), [name, store, windows = _windows, emit = _emit, fn] {
            return std::make_unique<P>(name, store, windows, emit, fn);
        });
    b.record_window_grace(name, _windows.grace_ms());
    return table<windowed<K>, VR>(&b, name, store);
}

template <class K, class V, class KS, class VS>
template <class VR, class MKS, class MVS, class Fn>
table<windowed<K>, std::optional<VR>>
session_windowed_stream<K, V, KS, VS>::build(const std::string& prefix,
                                             materialized<K, VR, MKS, MVS> m, Fn fn) const {
    stream_builder& b = _input.builder();
    const std::string store = b.name_or_new(m.store_name, prefix + "STATE-STORE-");
    const std::string name = b.new_name(prefix);
    store_spec spec = detail::session_store_spec(store, m, _windows);
    const std::string parent = _input.node_for(store);
    using P = session_window_aggregate_processor<K, V, Fn>;
    detail::add_stateful_processor<P>(
        b, name, parent, std::move(spec), [name, store, windows = _windows, emit = _emit, fn] {
            return std::make_unique<P>(name, store, windows, emit, fn);
        });
    // A session may still grow by a record up to the gap after its end: it closes at
    // end + gap + grace (Kafka Streams' GraphGraceSearchUtil counts the same).
    b.record_window_grace(name, _windows.grace_ms() + _windows.inactivity_gap_ms());
    return table<windowed<K>, std::optional<VR>>(&b, name, store);
}

template <class K, class V>
stream<K, V> table<K, V>::to_stream(const std::string& given) const {
    const std::string name = _builder->name_or_new(given, "KTABLE-TOSTREAM-");
    _builder->graph().template add_processor<pass_through_processor<K, V>>(
        name, std::function<std::unique_ptr<pass_through_processor<K, V>>()>([] {
            return std::make_unique<pass_through_processor<K, V>>();
        }),
        {_node});
    return stream<K, V>(_builder, name, false);
}

template <class K, class V>
template <class KS, class VS>
grouped_stream<K, V, KS, VS> stream<K, V>::group_by_key(grouped<K, V, KS, VS> options) const {
    return grouped_stream<K, V, KS, VS>(_builder, _node, _key_changed, std::move(options));
}

template <class K, class V>
template <class F, class K2, class KS, class VS>
grouped_stream<K2, V, KS, VS> stream<K, V>::group_by(F selector,
                                                     grouped<K2, V, KS, VS> options) const {
    static_assert(std::invocable<const F&, const K&, const V&>,
                  "group_by: the selector must be callable as K2(const K& key, const V& value)");
    const std::string name = _builder->name_or_new(options.name, "KSTREAM-KEY-SELECT-");
    _builder->graph().template add_processor<select_key_processor<K, V, K2, F>>(
        name, std::function<std::unique_ptr<select_key_processor<K, V, K2, F>>()>([selector] {
            return std::make_unique<select_key_processor<K, V, K2, F>>(selector);
        }),
        {_node});
    _builder->graph().mark_key_changing(name, record_types::of<K2, V>());
    return grouped_stream<K2, V, KS, VS>(_builder, name, true, std::move(options));
}

template <class K, class V, class KS, class VS>
brook::table<K, std::optional<V>> stream_builder::table(const std::string& topic,
                                                        consumed<K, V, KS, VS> options) {
    materialized<K, V, KS, VS> m;
    m.key_serde = options.key_serde;
    m.value_serde = options.value_serde;
    return table<K, V, KS, VS, KS, VS>(topic, std::move(options), std::move(m));
}

template <class K, class V, class KS, class VS, class MKS, class MVS>
brook::table<K, std::optional<V>> stream_builder::table(const std::string& topic,
                                                        consumed<K, V, KS, VS> options,
                                                        materialized<K, V, MKS, MVS> m) {
    if (topic.empty()) {
        throw topology_error("table: the topic name is empty");
    }
    // Kafka Streams' order: the store's name, then the source's, then the table node's.
    const std::string store = name_or_new(m.store_name, topic + "-STATE-STORE-");
    store_spec spec = detail::table_store_spec(store, m);
    const std::string source = name_or_new(options.name, "KSTREAM-SOURCE-");
    const std::string name =
        options.name.empty() ? new_name("KTABLE-SOURCE-") : options.name + "-table-source";

    // The source reads null values (deletes) and null keys (skipped by the table) as
    // nullopt, whatever the key's and value's own serdes do with them.
    using OK = std::optional<K>;
    using OV = std::optional<V>;
    // reuse.ktable.source.topics: the topic can be the store's changelog when its records
    // become the store's rows by the same serdes and at their own timestamps, and the store
    // is a plain logged one (a versioned store's changelog has a layout of its own).
    std::optional<store_spec> reusable;
    if constexpr (std::is_same_v<KS, MKS> && std::is_same_v<VS, MVS>) {
        if (m.logging && !m.history_retention && !options.extractor && !options.due_time) {
            materialized<K, V, MKS, MVS> unlogged = m;
            unlogged.with_logging_disabled();
            store_spec reused = detail::table_store_spec(store, unlogged);
            reused.source = source_changelog{
                topic,
                detail::table_row_of_record<K, V, optional_serde<KS>, optional_serde<VS>, MKS,
                                            value_and_timestamp_serde<MVS>>{
                    optional_serde<KS>(options.key_serde), optional_serde<VS>(options.value_serde),
                    m.key_serde, value_and_timestamp_serde<MVS>(m.value_serde)}};
            reusable = std::move(reused);
        }
    }
    timestamp_extractor<OK, OV> extractor;
    if (options.extractor) {
        extractor = [inner = std::move(options.extractor)](const record<OK, OV>& r) -> int64_t {
            if (!r.key || !r.value) {
                return r.timestamp; // skipped, or a delete with no value to take a time from
            }
            return inner(record<K, V>{*r.key, *r.value, r.timestamp, r.headers});
        };
    }
    _graph.add_source<OK, OV, optional_serde<KS>, optional_serde<VS>>(
        source, {topic}, optional_serde<KS>(std::move(options.key_serde)),
        optional_serde<VS>(std::move(options.value_serde)), std::move(extractor),
        std::move(options.due_time));
    using P = table_source_processor<K, V>;
    detail::add_stateful_processor<P>(*this, name, source, std::move(spec),
                                      [name, store] { return std::make_unique<P>(name, store); });
    if (reusable) {
        _graph.add_reusable_table_store(std::move(*reusable));
    }
    return brook::table<K, OV>(this, name, store);
}

template <class K, class V>
template <class MKS, class MVS>
table<K, std::optional<typename stream<K, V>::row_type>>
stream<K, V>::to_table(materialized<K, row_type, MKS, MVS> m, const std::string& given) const {
    using X = row_type;
    // The stream's values through a repartition topic: X's serde, or its null-aware form
    // when the stream carries std::optional<X>.
    using VS = std::conditional_t<std::is_same_v<V, X>, MVS, optional_serde<MVS>>;
    stream_builder& b = *_builder;
    // Kafka Streams' order: the node's name, then the store's.
    const std::string name = b.name_or_new(given, "KSTREAM-TOTABLE-");
    const std::string store = b.name_or_new(m.store_name, "KSTREAM-TOTABLE-STATE-STORE-");
    store_spec spec = detail::table_store_spec(store, m);
    std::string parent = _node;
    if (_key_changed) {
        repartitioned<K, V, MKS, VS> r;
        r.key_serde = m.key_serde;
        r.value_serde = VS(m.value_serde);
        r.name = name; // "<name>-repartition", as Kafka Streams names it
        parent = detail::auto_repartition(*this, std::move(r)).node_name();
    }
    using P = table_source_processor<K, X, K, V>;
    detail::add_stateful_processor<P>(b, name, parent, std::move(spec),
                                      [name, store] { return std::make_unique<P>(name, store); });
    return table<K, std::optional<X>>(&b, name, store);
}

} // namespace brook
