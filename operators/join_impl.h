#pragma once

// Definitions of stream<K,V>'s joins. Included at the end of stream.h; not for direct use.
//
// The user's joiner takes values (inner), or a value and an optional (left), or two
// optionals (outer), with or without the key first. The DSL adapts it to the one shape
// the join processors call, VR(const K&, const VLeft*, const VRight*), with nullptr for a
// missing side, so the processors never copy a value they only pass through.

#include <chrono>
#include <concepts>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "engine/store/locked_key_value_store.h"
#include "operators/foreign_key_join.h"
#include "operators/global_table.h"
#include "operators/join_time_tracker.h"
#include "operators/join_values.h"
#include "operators/join_window.h"
#include "operators/stream_builder.h"
#include "operators/stream_stream_join.h"
#include "operators/stream_table_join.h"
#include "operators/table.h"
#include "operators/table_map.h"
#include "operators/table_result.h"
#include "operators/table_table_join.h"
#include "operators/table_transform_values.h"

namespace brook {

namespace detail {

// The argument each side passes to the user's joiner for a join kind.
template <join_kind Kind, class V>
using left_arg_t = std::conditional_t<Kind == join_kind::outer, std::optional<V>, V>;
template <join_kind Kind, class V>
using right_arg_t = std::conditional_t<Kind == join_kind::inner, V, std::optional<V>>;

template <class F, class K, class A, class B>
concept joiner_with_key = std::invocable<const F&, const K&, const A&, const B&> &&
    !std::is_void_v<std::invoke_result_t<const F&, const K&, const A&, const B&>>;
template <class F, class A, class B>
concept joiner_without_key = std::invocable<const F&, const A&, const B&> &&
    !std::is_void_v<std::invoke_result_t<const F&, const A&, const B&>>;
template <class F, class K, class A, class B>
concept value_joiner = joiner_with_key<F, K, A, B> || joiner_without_key<F, A, B>;

template <class F, class K, class A, class B>
decltype(auto) invoke_joiner(const F& f, const K& k, const A& a, const B& b) {
    if constexpr (joiner_with_key<F, K, A, B>) {
        return f(k, a, b);
    } else {
        return f(a, b);
    }
}

template <class F, class K, class A, class B>
struct joiner_result {
    using type = void;
};
template <class F, class K, class A, class B>
requires value_joiner<F, K, A, B>
struct joiner_result<F, K, A, B> {
    using type =
        std::decay_t<decltype(invoke_joiner(std::declval<const F&>(), std::declval<const K&>(),
                                            std::declval<const A&>(), std::declval<const B&>()))>;
};

// Passes a side as the user's joiner wants it: by reference when always present, else as
// an optional (a copy: only left and outer joins pay it, and only for that side).
template <class Want, class V>
decltype(auto) joiner_arg(const V* v) {
    if constexpr (std::is_same_v<Want, V>) {
        return (*v);
    } else {
        return v != nullptr ? std::optional<V>(*v) : std::optional<V>();
    }
}

template <join_kind Kind, class K, class VL, class VRt, class F>
auto adapt_joiner(F f) {
    using A = left_arg_t<Kind, VL>;
    using B = right_arg_t<Kind, VRt>;
    return [f = std::move(f)](const K& key, const VL* l, const VRt* r) {
        return invoke_joiner(f, key, joiner_arg<A>(l), joiner_arg<B>(r));
    };
}

// The user's joiner of a lookup join (stream-table, stream-global table) as the processor
// calls it: VR(const K&, const V&, const std::optional<VT>&).
template <bool Left, class K, class V, class VT, class F>
auto lookup_joiner(F f) {
    return [f = std::move(f)](const K& key, const V& value, const std::optional<VT>& found) {
        if constexpr (Left) {
            return invoke_joiner(f, key, value, found);
        } else {
            return invoke_joiner(f, key, value, *found);
        }
    };
}

inline const char* join_name(join_kind kind) {
    switch (kind) {
    case join_kind::inner:
        return "join";
    case join_kind::left:
        return "left_join";
    case join_kind::outer:
        return "outer_join";
    }
    return "join";
}

} // namespace detail

template <class K, class V>
template <class TV, class F, class KS, class VS>
auto stream<K, V>::join(const table<K, TV>& other, F joiner, joined<K, V, KS, VS> options) const {
    return join_table<false>(other, std::move(joiner), std::move(options));
}

template <class K, class V>
template <class TV, class F, class KS, class VS>
auto stream<K, V>::left_join(const table<K, TV>& other, F joiner,
                             joined<K, V, KS, VS> options) const {
    return join_table<true>(other, std::move(joiner), std::move(options));
}

template <class K, class V>
template <bool Left, class TV, class F, class KS, class VS>
auto stream<K, V>::join_table(const table<K, TV>& other, F joiner,
                              joined<K, V, KS, VS> options) const {
    using VT = typename detail::table_row<TV>::type;
    using B = std::conditional_t<Left, std::optional<VT>, VT>;
    static_assert(!detail::is_windowed_key<K>::value,
                  "join: a windowed table cannot be joined; join its to_stream() instead");
    static_assert(detail::value_joiner<F, K, V, B>,
                  "join(table): the joiner must be callable as VR(const V& value, const VT& "
                  "table_value) or VR(const K&, const V&, const VT&); left_join passes "
                  "const std::optional<VT>& as the table value");
    using VR = typename detail::joiner_result<F, K, V, B>::type;
    if (&other.builder() != _builder) {
        throw topology_error("join: the stream and the table must come from the same builder");
    }
    const std::string name = _builder->name_or_new(options.name, "KSTREAM-JOIN-");
    stream input = *this;
    if (_key_changed) {
        repartitioned<K, V, KS, VS> r;
        r.key_serde = options.key_serde;
        r.value_serde = options.value_serde;
        r.name = name + "-left";
        input = detail::auto_repartition(*this, std::move(r));
    }
    auto adapted = detail::lookup_joiner<Left, K, V, VT>(std::move(joiner));
    auto own_key = [](const K& key, const V&) -> const K& { return key; };
    using P =
        stream_table_join_processor<K, V, K, VT, VR, decltype(own_key), decltype(adapted), KS, VS>;
    const std::string store = other.store_name();
    detail::require_materialized_table(store, other.node_name());
    std::optional<typename P::buffer_type> buffer;
    std::string buffer_store;
    if (options.grace_period) {
        const int64_t grace = options.grace_period->count();
        const store_spec* table_store = _builder->graph().find_store(store);
        if (grace < 0) {
            throw std::invalid_argument("join: the grace period must not be negative");
        }
        if (table_store == nullptr || !table_store->history_retention_ms) {
            throw topology_error(fmt::format(
                "join '{}': a grace period needs a versioned table; materialize the table "
                "with materialized<...>::versioned(history_retention)",
                name));
        }
        if (grace > *table_store->history_retention_ms) {
            throw topology_error(fmt::format(
                "join '{}': the table's history retention ({} ms) must be at least the grace "
                "period ({} ms)",
                name, *table_store->history_retention_ms, grace));
        }
        buffer_store = name + "-Buffer";
        buffer.emplace(buffer_store, grace, options.key_serde, options.value_serde);
    }
    _builder->graph().template add_processor<P>(
        name, std::function<std::unique_ptr<P>()>([name, store, own_key, adapted, buffer] {
            return std::make_unique<P>(name, store, own_key, adapted, Left, buffer);
        }),
        {input.node_name()});
    _builder->graph().connect_store(store, {name});
    if (!buffer_store.empty()) {
        _builder->graph().add_state_store(
            stores::key_value_store_builder<std::string, std::string>(buffer_store)
                .with_caching_disabled()
                .build(),
            {name});
    }
    return stream<K, VR>(_builder, name, false);
}

template <class K, class V>
template <class VO, class F, class KS, class VS, class VOS>
auto stream<K, V>::join(const stream<K, VO>& other, F joiner, const join_windows& windows,
                        stream_joined<K, V, VO, KS, VS, VOS> options) const {
    return join_streams<join_kind::inner>(other, std::move(joiner), windows, std::move(options));
}

template <class K, class V>
template <class VO, class F, class KS, class VS, class VOS>
auto stream<K, V>::left_join(const stream<K, VO>& other, F joiner, const join_windows& windows,
                             stream_joined<K, V, VO, KS, VS, VOS> options) const {
    return join_streams<join_kind::left>(other, std::move(joiner), windows, std::move(options));
}

template <class K, class V>
template <class VO, class F, class KS, class VS, class VOS>
auto stream<K, V>::outer_join(const stream<K, VO>& other, F joiner, const join_windows& windows,
                              stream_joined<K, V, VO, KS, VS, VOS> options) const {
    return join_streams<join_kind::outer>(other, std::move(joiner), windows, std::move(options));
}

template <class K, class V>
template <join_kind Kind, class VO, class F, class KS, class VS, class VOS>
auto stream<K, V>::join_streams(const stream<K, VO>& other, F joiner, const join_windows& windows,
                                stream_joined<K, V, VO, KS, VS, VOS> options) const {
    using A = detail::left_arg_t<Kind, V>;
    using B = detail::right_arg_t<Kind, VO>;
    static_assert(detail::value_joiner<F, K, A, B>,
                  "join(stream): the joiner must be callable as VR(const V&, const VO&) or "
                  "VR(const K&, const V&, const VO&); left_join passes the other value as "
                  "const std::optional<VO>&, outer_join passes both as optionals");
    using VR = typename detail::joiner_result<F, K, A, B>::type;
    if (&other.builder() != _builder) {
        throw topology_error("join: both streams must come from the same stream_builder");
    }
    stream_builder& b = *_builder;
    const std::string& n = options.name;
    const bool this_outer = Kind != join_kind::inner;
    const bool other_outer = Kind == join_kind::outer;

    stream left = *this;
    stream<K, VO> right = other;
    if (_key_changed) {
        repartitioned<K, V, KS, VS> r{options.key_serde, options.value_serde,
                                      n.empty() ? std::string() : n + "-left", std::nullopt};
        left = detail::auto_repartition(*this, std::move(r));
    }
    if (other.key_changed()) {
        repartitioned<K, VO, KS, VOS> r{options.key_serde, options.other_value_serde,
                                        n.empty() ? std::string() : n + "-right", std::nullopt};
        right = detail::auto_repartition(other, std::move(r));
    }

    // Kafka Streams' order and names (KStreamImplJoin).
    const std::string this_windowed =
        n.empty() ? b.new_name("KSTREAM-WINDOWED-") : n + "-this-windowed";
    const std::string other_windowed =
        n.empty() ? b.new_name("KSTREAM-WINDOWED-") : n + "-other-windowed";
    const std::string this_generated =
        b.new_name(other_outer ? "KSTREAM-OUTERTHIS-" : "KSTREAM-JOINTHIS-");
    const std::string other_generated =
        b.new_name(this_outer ? "KSTREAM-OUTEROTHER-" : "KSTREAM-JOINOTHER-");
    const std::string this_join = n.empty() ? this_generated : n + "-this-join";
    const std::string other_join =
        n.empty() ? other_generated : n + (this_outer ? "-outer-other-join" : "-other-join");
    const std::string store_base = !options.store_name.empty() ? options.store_name : n;
    const std::string this_store =
        store_base.empty() ? this_generated + "-store" : store_base + "-this-join-store";
    const std::string other_store =
        store_base.empty() ? other_generated + "-store" : store_base + "-other-join-store";
    std::string outer_store;
    if (this_outer) {
        outer_store = store_base.empty() ? b.new_name("KSTREAM-OUTERSHARED-") + "-store"
                                         : store_base + "-outer-shared-join-store";
    }
    const std::string merge = n.empty() ? b.new_name("KSTREAM-MERGE-") : n + "-merge";

    // Both sides' windows, kept long enough for the other side's latest possible match.
    const auto retention = std::chrono::milliseconds(windows.size_ms() + windows.grace_ms());
    const auto size = std::chrono::milliseconds(windows.size_ms());
    auto finish = [&](auto builder) {
        options.type == store_type::rocksdb ? builder.persistent() : builder.in_memory();
        builder.with_caching_disabled();
        if (options.logging) {
            builder.with_logging_enabled(options.changelog_config);
        } else {
            builder.with_logging_disabled();
        }
        return builder.build();
    };
    using this_list = join_list_serde<VS>;
    using other_list = join_list_serde<VOS>;
    store_spec this_spec = finish(stores::window_store_builder<K, std::vector<V>, KS, this_list>(
        this_store, retention, size, options.key_serde, this_list(options.value_serde)));
    store_spec other_spec = finish(stores::window_store_builder<K, std::vector<VO>, KS, other_list>(
        other_store, retention, size, options.key_serde, other_list(options.other_value_serde)));

    using this_window = join_window_processor<K, V>;
    using other_window = join_window_processor<K, VO>;
    b.graph().template add_processor<this_window>(
        this_windowed, std::function<std::unique_ptr<this_window>()>([this_store] {
            return std::make_unique<this_window>(this_store);
        }),
        {left.node_name()});
    b.graph().add_state_store(std::move(this_spec), {this_windowed});
    b.graph().template add_processor<other_window>(
        other_windowed, std::function<std::unique_ptr<other_window>()>([other_store] {
            return std::make_unique<other_window>(other_store);
        }),
        {right.node_name()});
    b.graph().add_state_store(std::move(other_spec), {other_windowed});

    auto adapted = detail::adapt_joiner<Kind, K, V, VO>(std::move(joiner));
    using J = decltype(adapted);
    using left_join_p = stream_stream_join_processor<join_side::left, K, V, VO, VR, J, KS, VS, VOS>;
    using right_join_p =
        stream_stream_join_processor<join_side::right, K, VO, V, VR, J, KS, VOS, VS>;
    auto trackers = std::make_shared<join_time_trackers>();
    typename left_join_p::settings ls{this_join,           other_store,
                                      outer_store,         this_outer,
                                      windows.before_ms(), windows.after_ms(),
                                      windows.grace_ms(),  windows.after_ms(),
                                      windows.before_ms(), trackers};
    typename right_join_p::settings rs{other_join,          this_store,
                                       outer_store,         other_outer,
                                       windows.after_ms(),  windows.before_ms(),
                                       windows.grace_ms(),  windows.after_ms(),
                                       windows.before_ms(), trackers};
    b.graph().template add_processor<left_join_p>(
        this_join, std::function<std::unique_ptr<left_join_p>()>([ls, adapted, options] {
            return std::make_unique<left_join_p>(ls, adapted, options.key_serde,
                                                 options.value_serde, options.other_value_serde);
        }),
        {this_windowed});
    b.graph().template add_processor<right_join_p>(
        other_join, std::function<std::unique_ptr<right_join_p>()>([rs, adapted, options] {
            return std::make_unique<right_join_p>(rs, adapted, options.key_serde,
                                                  options.other_value_serde, options.value_serde);
        }),
        {other_windowed});
    b.graph().connect_store(other_store, {this_join});
    b.graph().connect_store(this_store, {other_join});
    if (!outer_store.empty()) {
        b.graph().add_state_store(
            finish(stores::key_value_store_builder<std::string, std::string>(outer_store)),
            {this_join, other_join});
    }
    b.graph().template add_processor<pass_through_processor<K, VR>>(
        merge, std::function<std::unique_ptr<pass_through_processor<K, VR>>()>([] {
            return std::make_unique<pass_through_processor<K, VR>>();
        }),
        {this_join, other_join});
    return stream<K, VR>(&b, merge, false);
}

template <class K, class V>
template <class VO, class F>
auto table<K, V>::join(const table<K, VO>& other, F joiner, const std::string& name) const {
    return join_tables<join_kind::inner>(other, std::move(joiner), name);
}

template <class K, class V>
template <class VO, class F>
auto table<K, V>::left_join(const table<K, VO>& other, F joiner, const std::string& name) const {
    return join_tables<join_kind::left>(other, std::move(joiner), name);
}

template <class K, class V>
template <class VO, class F>
auto table<K, V>::outer_join(const table<K, VO>& other, F joiner, const std::string& name) const {
    return join_tables<join_kind::outer>(other, std::move(joiner), name);
}

template <class K, class V>
template <join_kind Kind, class VO, class F>
auto table<K, V>::join_tables(const table<K, VO>& other, F joiner, const std::string& name) const {
    using VT = typename detail::table_row<V>::type;
    using VOT = typename detail::table_row<VO>::type;
    using A = detail::left_arg_t<Kind, VT>;
    using B = detail::right_arg_t<Kind, VOT>;
    static_assert(!detail::is_windowed_key<K>::value,
                  "join: windowed tables cannot be joined; join their to_stream() instead");
    static_assert(detail::value_joiner<F, K, A, B>,
                  "join(table, table): the joiner must be callable as VR(const VT&, const VOT&) "
                  "or VR(const K&, const VT&, const VOT&); left_join passes the other row as "
                  "const std::optional<VOT>&, outer_join passes both as optionals");
    using VR = typename detail::joiner_result<F, K, A, B>::type;
    if (&other.builder() != _builder) {
        throw topology_error("join: both tables must come from the same stream_builder");
    }
    stream_builder& b = *_builder;
    const std::string this_join =
        name.empty() ? b.new_name("KTABLE-JOINTHIS-") : name + "-join-this";
    const std::string other_join =
        name.empty() ? b.new_name("KTABLE-JOINOTHER-") : name + "-join-other";
    const std::string merge = name.empty() ? b.new_name("KTABLE-MERGE-") : name;
    const std::string store = merge + "-store";

    auto adapted = detail::adapt_joiner<Kind, K, VT, VOT>(std::move(joiner));
    using J = decltype(adapted);
    using this_p = table_table_join_processor<join_side::left, Kind, K, V, VT, VOT, VR, J>;
    using other_p = table_table_join_processor<join_side::right, Kind, K, VO, VOT, VT, VR, J>;
    using result_p = table_result_processor<K, VR>;
    const std::string this_store = _store_name;
    const std::string other_store = other.store_name();
    detail::require_materialized_table(this_store, _node);
    detail::require_materialized_table(other_store, other.node_name());
    b.graph().template add_processor<this_p>(
        this_join, std::function<std::unique_ptr<this_p>()>([this_join, other_store, adapted] {
            return std::make_unique<this_p>(this_join, other_store, adapted);
        }),
        {_node});
    b.graph().template add_processor<other_p>(
        other_join, std::function<std::unique_ptr<other_p>()>([other_join, this_store, adapted] {
            return std::make_unique<other_p>(other_join, this_store, adapted);
        }),
        {other.node_name()});
    b.graph().connect_store(other_store, {this_join});
    b.graph().connect_store(this_store, {other_join});
    b.graph().template add_processor<result_p>(merge,
                                               std::function<std::unique_ptr<result_p>()>([store] {
                                                   return std::make_unique<result_p>(store);
                                               }),
                                               {this_join, other_join});
    b.graph().add_state_store(
        stores::timestamped_key_value_store_builder<K, VR>(store).with_caching_disabled().build(),
        {merge});
    return table<K, std::optional<VR>>(_builder, merge, store);
}

template <class K, class V>
template <class VR, class Step>
table<K, std::optional<VR>> table<K, V>::derive(const std::string& given, const char* prefix,
                                                Step step) const {
    using VT = typename detail::table_row<V>::type;
    using P = table_map_processor<K, V, VT, VR, Step>;
    return derive_with<VR>(_builder->name_or_new(given, prefix), [&](const std::string& name) {
        _builder->graph().template add_processor<P>(
            name, std::function<std::unique_ptr<P>()>([name, step] {
                return std::make_unique<P>(name, step);
            }),
            {_node});
    });
}

template <class K, class V>
template <class T>
auto table<K, V>::transform_values(std::function<std::unique_ptr<T>()> supplier,
                                   const std::vector<std::string>& stores,
                                   const std::string& given) const {
    using VT = typename detail::table_row<V>::type;
    using VR = typename T::result_type;
    static_assert(std::is_base_of_v<value_transformer_with_key<K, VT, VR>, T>,
                  "transform_values: the supplier must make a value_transformer_with_key<K, "
                  "VT, VR>, VT the table's row type");
    using P = table_transform_values_processor<K, V, VT, VR>;
    std::function<std::unique_ptr<value_transformer_with_key<K, VT, VR>>()> make =
        [supplier =
             std::move(supplier)]() -> std::unique_ptr<value_transformer_with_key<K, VT, VR>> {
        return supplier();
    };
    return derive_with<VR>(_builder->name_or_new(given, "KTABLE-TRANSFORMVALUES-"),
                           [&](const std::string& name) {
                               _builder->graph().template add_processor<P>(
                                   name, std::function<std::unique_ptr<P>()>([name, make] {
                                       return std::make_unique<P>(name, make);
                                   }),
                                   {_node});
                               if (!stores.empty()) {
                                   _builder->graph().connect_store_names(stores, name);
                               }
                           });
}

template <class K, class V>
template <class VR, class AddNode>
table<K, std::optional<VR>> table<K, V>::derive_with(const std::string& name,
                                                     AddNode add_node) const {
    static_assert(!detail::is_windowed_key<K>::value,
                  "filter / map_values / transform_values on a windowed table: use "
                  "to_stream() first");
    using result_p = table_result_processor<K, VR>;
    stream_builder& b = *_builder;
    const std::string result = name + "-result";
    const std::string store = name + "-store";
    add_node(name);
    b.graph().template add_processor<result_p>(result,
                                               std::function<std::unique_ptr<result_p>()>([store] {
                                                   return std::make_unique<result_p>(store);
                                               }),
                                               {name});
    b.graph().add_state_store(
        stores::timestamped_key_value_store_builder<K, VR>(store).with_caching_disabled().build(),
        {result});
    return table<K, std::optional<VR>>(_builder, result, store);
}

template <class K, class V>
template <class F>
auto table<K, V>::filter(F predicate, const std::string& name) const {
    return filtered<true>(std::move(predicate), name);
}

template <class K, class V>
template <class F>
auto table<K, V>::filter_not(F predicate, const std::string& name) const {
    return filtered<false>(std::move(predicate), name);
}

template <class K, class V>
template <bool Keep, class F>
auto table<K, V>::filtered(F predicate, const std::string& name) const {
    using VT = typename detail::table_row<V>::type;
    static_assert(key_value_predicate<F, K, VT>,
                  "table filter / filter_not: the predicate must be callable as bool(const K& "
                  "key, const VT& row)");
    return derive<VT>(name, "KTABLE-FILTER-",
                      [predicate](const K& key, const VT& row) -> std::optional<VT> {
                          if (static_cast<bool>(predicate(key, row)) != Keep) {
                              return std::nullopt;
                          }
                          return row;
                      });
}

template <class K, class V>
template <class F>
auto table<K, V>::map_values(F mapper, const std::string& name) const {
    using VT = typename detail::table_row<V>::type;
    static_assert(value_mapper<F, VT> || value_mapper_with_key<F, K, VT>,
                  "table map_values: the mapper must be callable as VR(const VT& row) or "
                  "VR(const K& key, const VT& row)");
    using VR = std::decay_t<mapped_value_t<F, K, VT>>;
    return derive<VR>(name, "KTABLE-MAPVALUES-",
                      [mapper](const K& key, const VT& row) -> std::optional<VR> {
                          return invoke_value_mapper(mapper, key, row);
                      });
}

template <class K, class V, class KS, class VS>
brook::global_table<K, V> stream_builder::global_table(const std::string& topic,
                                                       consumed<K, V, KS, VS> options,
                                                       const std::string& given_store) {
    if (topic.empty()) {
        throw topology_error("global_table: the topic name is empty");
    }
    const std::string store = name_or_new(given_store, topic + "-STATE-STORE-");
    store_spec spec = stores::timestamped_key_value_store_builder<K, V, KS, VS>(
                          store, options.key_serde, options.value_serde)
                          .with_caching_disabled()
                          .with_logging_disabled()
                          .build();
    // Read by the stream threads while the updater thread writes: every call under a lock.
    spec.factory = [inner = std::move(spec.factory)]() -> std::unique_ptr<state::state_store> {
        std::unique_ptr<state::state_store> made = inner();
        auto* typed = dynamic_cast<timestamped_key_value_store<K, V>*>(made.get());
        if (typed == nullptr) {
            throw topology_error("global_table: the store builder made an unexpected store");
        }
        made.release();
        return std::make_unique<locked_key_value_store<K, value_and_timestamp<V>>>(
            std::unique_ptr<timestamped_key_value_store<K, V>>(typed));
    };
    global_store_spec g;
    g.topic = topic;
    g.store = std::move(spec);
    g.apply = [ks = options.key_serde, vs = options.value_serde](state::state_store& s,
                                                                 const raw_record& r) {
        if (!r.key) {
            // Kafka Streams skips these too; here they are counted with unreadable records.
            throw serde_error("a global table's record needs a key; this one has a null key");
        }
        auto& table = get_store<timestamped_key_value_store<K, V>>(s);
        K key = ks.deserialize(r.key);
        if (!r.value) {
            table.remove(key);
            return;
        }
        table.put(key, value_and_timestamp<V>{vs.deserialize(r.value), r.timestamp});
    };
    _graph.add_global_store(std::move(g));
    return brook::global_table<K, V>(this, store, topic);
}

template <class K, class V>
template <class KG, class VG, class FK, class F>
auto stream<K, V>::join(const global_table<KG, VG>& other, FK key_selector, F joiner,
                        const std::string& name) const {
    return join_global<false>(other, std::move(key_selector), std::move(joiner), name);
}

template <class K, class V>
template <class KG, class VG, class FK, class F>
auto stream<K, V>::left_join(const global_table<KG, VG>& other, FK key_selector, F joiner,
                             const std::string& name) const {
    return join_global<true>(other, std::move(key_selector), std::move(joiner), name);
}

template <class K, class V>
template <bool Left, class KG, class VG, class FK, class F>
auto stream<K, V>::join_global(const global_table<KG, VG>& other, FK key_selector, F joiner,
                               const std::string& given) const {
    static_assert(std::is_invocable_r_v<KG, const FK&, const K&, const V&>,
                  "join(global_table): the key selector must be callable as "
                  "KG(const K& key, const V& value), KG being the global table's key type");
    using B = std::conditional_t<Left, std::optional<VG>, VG>;
    static_assert(detail::value_joiner<F, K, V, B>,
                  "join(global_table): the joiner must be callable as VR(const V&, const VG&) "
                  "or VR(const K&, const V&, const VG&); left_join passes "
                  "const std::optional<VG>& as the table's row");
    using VR = typename detail::joiner_result<F, K, V, B>::type;
    if (&other.builder() != _builder) {
        throw topology_error("join: the stream and the global table must come from the same "
                             "builder");
    }
    const std::string name = _builder->name_or_new(given, "KSTREAM-JOIN-");
    auto adapted = detail::lookup_joiner<Left, K, V, VG>(std::move(joiner));
    using P = stream_table_join_processor<K, V, KG, VG, VR, FK, decltype(adapted)>;
    const std::string store = other.store_name();
    _builder->graph().template add_processor<P>(
        name, std::function<std::unique_ptr<P>()>([name, store, key_selector, adapted] {
            return std::make_unique<P>(name, store, key_selector, adapted, Left);
        }),
        {_node});
    // The node keeps its stream's partitioning: it forwards under the record's own key.
    return stream<K, VR>(_builder, name, _key_changed);
}

} // namespace brook

namespace brook {

template <class K, class V>
template <class KO, class VO, class FK, class F, class KS, class KOS, class VS, class VOS>
requires(!std::is_convertible_v<F, std::string>) auto table<K, V>::join(
    const table<KO, VO>& other, FK foreign_key, F joiner, const std::string& name, KS key_serde,
    KOS foreign_key_serde, VS row_serde, VOS other_row_serde) const {
    return join_foreign_key<join_kind::inner>(
        other, std::move(foreign_key), std::move(joiner), name, std::move(key_serde),
        std::move(foreign_key_serde), std::move(row_serde), std::move(other_row_serde));
}

template <class K, class V>
template <class KO, class VO, class FK, class F, class KS, class KOS, class VS, class VOS>
requires(!std::is_convertible_v<F, std::string>) auto table<K, V>::left_join(
    const table<KO, VO>& other, FK foreign_key, F joiner, const std::string& name, KS key_serde,
    KOS foreign_key_serde, VS row_serde, VOS other_row_serde) const {
    return join_foreign_key<join_kind::left>(other, std::move(foreign_key), std::move(joiner), name,
                                             std::move(key_serde), std::move(foreign_key_serde),
                                             std::move(row_serde), std::move(other_row_serde));
}

template <class K, class V>
template <join_kind Kind, class KO, class VO, class FK, class F, class KS, class KOS, class VS,
          class VOS>
auto table<K, V>::join_foreign_key(const table<KO, VO>& other, FK foreign_key, F joiner,
                                   const std::string& given, KS key_serde, KOS foreign_key_serde,
                                   VS row_serde, VOS other_row_serde) const {
    using VT = typename detail::table_row<V>::type;
    using VOT = typename detail::table_row<VO>::type;
    using B = detail::right_arg_t<Kind, VOT>;
    static_assert(!detail::is_windowed_key<K>::value && !detail::is_windowed_key<KO>::value,
                  "join: windowed tables cannot be joined; join their to_stream() instead");
    static_assert(std::is_invocable_v<const FK&, const VT&>,
                  "join(table, foreign_key, joiner): foreign_key must be callable as "
                  "KO(const VT& row)");
    using FKR = std::invoke_result_t<const FK&, const VT&>;
    static_assert(std::is_convertible_v<FKR, KO> ||
                      std::is_same_v<std::decay_t<FKR>, std::optional<KO>>,
                  "join(table, foreign_key, joiner): foreign_key must return the other "
                  "table's key type KO, or std::optional<KO> (nullopt: no foreign key)");
    static_assert(detail::value_joiner<F, K, VT, B>,
                  "join(table, foreign_key, joiner): the joiner must be callable as VR(const "
                  "VT&, const VOT&) or VR(const K&, const VT&, const VOT&); left_join passes "
                  "the other row as const std::optional<VOT>&");
    using VR = typename detail::joiner_result<F, K, VT, B>::type;
    if (&other.builder() != _builder) {
        throw topology_error("join: both tables must come from the same stream_builder");
    }
    detail::require_materialized_table(_store_name, _node);
    detail::require_materialized_table(other.store_name(), other.node_name());
    stream_builder& b = *_builder;
    const std::string name = b.name_or_new(given, "KTABLE-FK-JOIN-");
    const std::string send = name + "-subscription-send";
    const std::string registration = name + "-subscription-registration-topic";
    const std::string registration_sink = registration + "-sink";
    const std::string registration_source = registration + "-source";
    const std::string receive = name + "-subscription-receive";
    const std::string right_update = name + "-right-update";
    const std::string response = name + "-subscription-response-topic";
    const std::string response_sink = response + "-sink";
    const std::string response_source = response + "-source";
    const std::string resolver = name + "-response-resolver";
    const std::string subscriptions = name + "-subscription-store";
    const std::string previous = name + "-previous-store";
    const std::string result_store = name + "-store";
    const std::string left_store = _store_name;
    const std::string right_store = other.store_name();

    // Left side: subscribe each row to its foreign key.
    using send_p = fk_subscription_send_processor<K, V, VT, KO, FK, KOS, VS, VR>;
    // An inner join asks for an answer without a right row only when it has a result to
    // retract (connected to the result store below).
    const std::string send_result_store = Kind == join_kind::inner ? result_store : std::string();
    b.graph().template add_processor<send_p>(
        send,
        std::function<std::unique_ptr<send_p>()>(
            [previous, foreign_key, foreign_key_serde, row_serde, send_result_store] {
                return std::make_unique<send_p>(previous, foreign_key, foreign_key_serde, row_serde,
                                                send_result_store);
            }),
        {_node});
    b.graph().add_state_store(
        stores::key_value_store_builder<K, KO, KS, KOS>(previous, key_serde, foreign_key_serde)
            .with_caching_disabled()
            .build(),
        {send});
    using subscription_serde = fk_subscription_serde<KS>;
    b.graph().add_internal_topic({registration, std::nullopt});
    b.graph().template add_internal_sink<KO, fk_subscription<K>, KOS, subscription_serde>(
        registration_sink, registration, {send}, foreign_key_serde, subscription_serde(key_serde));
    b.graph().template add_internal_source<KO, fk_subscription<K>, KOS, subscription_serde>(
        registration_source, registration, foreign_key_serde, subscription_serde(key_serde));

    // Right side: keep the subscribers, answer them on subscription and on every update.
    using receive_p = fk_subscription_receive_processor<KO, K, VOT, KOS, KS>;
    b.graph().template add_processor<receive_p>(
        receive,
        std::function<std::unique_ptr<receive_p>()>(
            [subscriptions, right_store, foreign_key_serde, key_serde] {
                return std::make_unique<receive_p>(subscriptions, right_store, foreign_key_serde,
                                                   key_serde);
            }),
        {registration_source});
    using update_p = fk_right_update_processor<KO, VO, VOT, K, KOS, KS>;
    b.graph().template add_processor<update_p>(
        right_update,
        std::function<std::unique_ptr<update_p>()>([subscriptions, foreign_key_serde, key_serde] {
            return std::make_unique<update_p>(subscriptions, foreign_key_serde, key_serde);
        }),
        {other.node_name()});
    b.graph().add_state_store(
        stores::key_value_store_builder<std::string, std::string>(subscriptions)
            .with_caching_disabled()
            .build(),
        {receive, right_update});
    b.graph().connect_store(right_store, {receive});
    // Left side: deleted rows and rows without a foreign key answer themselves.
    const std::string self_answer = name + "-self-answer";
    using self_answer_p = fk_self_answer_processor<K, V, VT, KO, FK, VS, VOT>;
    b.graph().template add_processor<self_answer_p>(
        self_answer, std::function<std::unique_ptr<self_answer_p>()>([foreign_key, row_serde] {
            return std::make_unique<self_answer_p>(foreign_key, row_serde);
        }),
        {_node});
    using response_serde = fk_response_serde<VOS>;
    b.graph().add_internal_topic({response, std::nullopt});
    b.graph().template add_internal_sink<K, fk_response<VOT>, KS, response_serde>(
        response_sink, response, {receive, right_update}, key_serde,
        response_serde(other_row_serde));
    // A sink of its own: one sink under both sides would join them into one sub-topology,
    // which the tables, not co-partitioned, cannot share.
    b.graph().template add_internal_sink<K, fk_response<VOT>, KS, response_serde>(
        self_answer + "-sink", response, {self_answer}, key_serde, response_serde(other_row_serde));
    b.graph().template add_internal_source<K, fk_response<VOT>, KS, response_serde>(
        response_source, response, key_serde, response_serde(other_row_serde));

    // Left side again: join the answers that still fit the left row.
    auto adapted = [joiner = std::move(joiner)](const K& key, const VT& row, const VOT* right) {
        return detail::invoke_joiner(joiner, key, row, detail::joiner_arg<B>(right));
    };
    using resolver_p = fk_response_resolver_processor<Kind, K, VT, VOT, VR, decltype(adapted), VS>;
    b.graph().template add_processor<resolver_p>(
        resolver, std::function<std::unique_ptr<resolver_p>()>([left_store, adapted, row_serde] {
            return std::make_unique<resolver_p>(left_store, adapted, row_serde);
        }),
        {response_source});
    b.graph().connect_store(left_store, {resolver});
    using result_p = table_result_processor<K, VR>;
    b.graph().template add_processor<result_p>(
        name, std::function<std::unique_ptr<result_p>()>([result_store] {
            return std::make_unique<result_p>(result_store);
        }),
        {resolver});
    b.graph().add_state_store(
        stores::timestamped_key_value_store_builder<K, VR, KS>(result_store, key_serde)
            .with_caching_disabled()
            .build(),
        {name});
    if (!send_result_store.empty()) {
        b.graph().connect_store(result_store, {send});
    }
    return table<K, std::optional<VR>>(_builder, name, result_store);
}

} // namespace brook
