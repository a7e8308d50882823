#pragma once

// session_windowed_stream<K, V, KS, VS>: a grouped stream windowed by session_windows, as
// Kafka Streams' SessionWindowedKStream. Its aggregations return
// table<windowed<K>, std::optional<VR>>: one aggregate per session, and (when emitting on
// update) nullopt for a session that a later record merged into a bigger one.
//
//   builder.stream<std::string, std::string>({"clicks"})
//       .group_by_key()
//       .windowed_by(session_windows::of_inactivity_gap_and_grace(5min, 1min))
//       .count()
//       .to_stream()
//       .to("sessions");
//
// Stores are session stores (retention defaults to gap + grace). Merging, late records and
// the two emit strategies are described in session_window_aggregate.h.
//
// A cheap value; emit_strategy() returns a copy. Operations throw topology_error or
// std::invalid_argument for an invalid graph or option.

#include <optional>
#include <type_traits>
#include <utility>

#include "operators/emit_strategy.h"
#include "operators/grouped_stream.h"
#include "operators/session_window_aggregate.h"

namespace brook {

template <class K, class V, class KS, class VS>
class session_windowed_stream {
public:
    session_windowed_stream(aggregation_input<K, V, KS, VS> input, session_windows windows)
        : _input(std::move(input)), _windows(windows) {}

    // When results are forwarded: on_window_update() (the default) or on_window_close().
    session_windowed_stream emit_strategy(brook::emit_strategy strategy) const {
        session_windowed_stream copy = *this;
        copy._emit = strategy;
        return copy;
    }

    // Records per session; merged sessions add their counts.
    table<windowed<K>, std::optional<int64_t>> count() const {
        return count(default_materialized<int64_t>());
    }
    template <class MKS, class MVS>
    table<windowed<K>, std::optional<int64_t>> count(materialized<K, int64_t, MKS, MVS> m) const {
        return build<int64_t>("KSTREAM-AGGREGATE-", std::move(m), count_aggregation{});
    }

    // reducer(aggregate, value); merged sessions are combined with the reducer too.
    template <class R>
    table<windowed<K>, std::optional<V>> reduce(R reducer) const {
        materialized<K, V, KS, VS> m;
        m.key_serde = _input.options().key_serde;
        m.value_serde = _input.options().value_serde;
        return reduce(std::move(reducer), std::move(m));
    }
    template <class R, class MKS, class MVS>
    table<windowed<K>, std::optional<V>> reduce(R reducer, materialized<K, V, MKS, MVS> m) const {
        static_assert(reducer_fn<R, V>, "reduce: the reducer must be callable as "
                                        "V(const V& aggregate, const V& value)");
        return build<V>("KSTREAM-REDUCE-", std::move(m),
                        reduce_aggregation<V, R>{std::move(reducer)});
    }

    // initializer() starts a session's aggregate, adder(key, value, aggregate) adds a
    // record, merger(key, aggregate1, aggregate2) combines two sessions being merged.
    template <class I, class A, class M>
    auto aggregate(I initializer, A adder, M merger) const {
        static_assert(initializer_fn<I>, "aggregate: the initializer must be callable as VR()");
        using VR = std::decay_t<std::invoke_result_t<const I&>>;
        return aggregate(std::move(initializer), std::move(adder), std::move(merger),
                         default_materialized<VR>());
    }
    template <class I, class A, class M, class VR, class MKS, class MVS>
    table<windowed<K>, std::optional<VR>> aggregate(I initializer, A adder, M merger,
                                                    materialized<K, VR, MKS, MVS> m) const {
        static_assert(initializer_fn<I>, "aggregate: the initializer must be callable as VR()");
        static_assert(std::is_convertible_v<std::invoke_result_t<const I&>, VR>,
                      "aggregate: the initializer must return the materialized value type VR");
        static_assert(aggregator_fn<A, K, V, VR>,
                      "aggregate: the adder must be callable as "
                      "VR(const K& key, const V& value, const VR& aggregate)");
        static_assert(merger_fn<M, K, VR>,
                      "aggregate: the session merger must be callable as "
                      "VR(const K& key, const VR& aggregate1, const VR& aggregate2)");
        return build<VR>("KSTREAM-AGGREGATE-", std::move(m),
                         user_aggregation<VR, I, A, M>{std::move(initializer), std::move(adder),
                                                       std::move(merger)});
    }

private:
    template <class VR>
    materialized<K, VR, KS, default_serde<VR>> default_materialized() const {
        materialized<K, VR, KS, default_serde<VR>> m;
        m.key_serde = _input.options().key_serde;
        return m;
    }

    template <class VR, class MKS, class MVS, class Fn>
    table<windowed<K>, std::optional<VR>> build(const std::string& prefix,
                                                materialized<K, VR, MKS, MVS> m, Fn fn) const;

    aggregation_input<K, V, KS, VS> _input;
    session_windows _windows;
    brook::emit_strategy _emit = brook::emit_strategy::on_window_update();
};

} // namespace brook
