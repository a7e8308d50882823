#pragma once

// time_windowed_stream<K, V, KS, VS, W>: a grouped stream windowed by time_windows
// (tumbling, hopping) or sliding_windows, as Kafka Streams' TimeWindowedKStream. Its
// aggregations return table<windowed<K>, VR>: one aggregate per key and window.
//
//   builder.stream<std::string, std::string>({"clicks"})
//       .group_by_key()
//       .windowed_by(time_windows::of_size_and_grace(1min, 10s))
//       .emit_strategy(emit_strategy::on_window_close())
//       .count(materialized<std::string, int64_t>::as("clicks-per-minute"))
//       .to_stream()
//       .to("clicks-per-minute");
//
// Stores are timestamped window stores (retention defaults to size + grace, sliding
// windows 2 * time difference + grace). Late records, grace and the two emit strategies
// are described in time_window_aggregate.h and sliding_window_aggregate.h.
//
// A cheap value; emit_strategy() returns a copy. Operations throw topology_error or
// std::invalid_argument for an invalid graph or option.

#include <type_traits>
#include <utility>

#include "operators/emit_strategy.h"
#include "operators/grouped_stream.h"
#include "operators/sliding_window_aggregate.h"
#include "operators/time_window_aggregate.h"

namespace brook {

template <class K, class V, class KS, class VS, class W>
class time_windowed_stream {
public:
    static_assert(std::is_same_v<W, time_windows> || std::is_same_v<W, sliding_windows>,
                  "time_windowed_stream: W must be time_windows or sliding_windows");

    time_windowed_stream(aggregation_input<K, V, KS, VS> input, W windows)
        : _input(std::move(input)), _windows(windows) {}

    // When results are forwarded: on_window_update() (the default) or on_window_close().
    time_windowed_stream emit_strategy(brook::emit_strategy strategy) const {
        time_windowed_stream copy = *this;
        copy._emit = strategy;
        return copy;
    }

    table<windowed<K>, int64_t> count() const { return count(default_materialized<int64_t>()); }
    template <class MKS, class MVS>
    table<windowed<K>, int64_t> count(materialized<K, int64_t, MKS, MVS> m) const {
        return build<int64_t>("KSTREAM-AGGREGATE-", std::move(m), count_aggregation{});
    }

    template <class R>
    table<windowed<K>, V> reduce(R reducer) const {
        materialized<K, V, KS, VS> m;
        m.key_serde = _input.options().key_serde;
        m.value_serde = _input.options().value_serde;
        return reduce(std::move(reducer), std::move(m));
    }
    template <class R, class MKS, class MVS>
    table<windowed<K>, V> reduce(R reducer, materialized<K, V, MKS, MVS> m) const {
        static_assert(reducer_fn<R, V>, "reduce: the reducer must be callable as "
                                        "V(const V& aggregate, const V& value)");
        return build<V>("KSTREAM-REDUCE-", std::move(m),
                        reduce_aggregation<V, R>{std::move(reducer)});
    }

    template <class I, class A>
    auto aggregate(I initializer, A adder) const {
        static_assert(initializer_fn<I>, "aggregate: the initializer must be callable as VR()");
        using VR = std::decay_t<std::invoke_result_t<const I&>>;
        return aggregate(std::move(initializer), std::move(adder), default_materialized<VR>());
    }
    template <class I, class A, class VR, class MKS, class MVS>
    table<windowed<K>, VR> aggregate(I initializer, A adder,
                                     materialized<K, VR, MKS, MVS> m) const {
        static_assert(initializer_fn<I>, "aggregate: the initializer must be callable as VR()");
        static_assert(std::is_convertible_v<std::invoke_result_t<const I&>, VR>,
                      "aggregate: the initializer must return the materialized value type VR");
        static_assert(aggregator_fn<A, K, V, VR>,
                      "aggregate: the adder must be callable as "
                      "VR(const K& key, const V& value, const VR& aggregate)");
        return build<VR>("KSTREAM-AGGREGATE-", std::move(m),
                         user_aggregation<VR, I, A>{std::move(initializer), std::move(adder)});
    }

private:
    template <class VR>
    materialized<K, VR, KS, default_serde<VR>> default_materialized() const {
        materialized<K, VR, KS, default_serde<VR>> m;
        m.key_serde = _input.options().key_serde;
        return m;
    }

    template <class VR, class MKS, class MVS, class Fn>
    table<windowed<K>, VR> build(const std::string& prefix, materialized<K, VR, MKS, MVS> m,
                                 Fn fn) const;

    aggregation_input<K, V, KS, VS> _input;
    W _windows;
    brook::emit_strategy _emit = brook::emit_strategy::on_window_update();
};

} // namespace brook
