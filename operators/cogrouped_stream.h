#pragma once

// cogrouped_stream<K, VOut, KS>: several grouped streams aggregated into one table, each
// with its own aggregator (Kafka Streams' CogroupedKStream, KIP-150):
//
//   auto totals = clicks.group_by_key()
//                     .cogroup<int64_t>([](const std::string&, const click& c, int64_t agg) {
//                         return agg + 1; })
//                     .cogroup(purchases.group_by_key(),
//                              [](const std::string&, const purchase& p, int64_t agg) {
//                                  return agg + p.cents; })
//                     .aggregate([] { return int64_t{0}; });
//
// Every input updates the same store: one aggregate per key (or per key and window after
// windowed_by(time_windows), or per key and session after windowed_by(session_windows))
// that each input's records change with that input's
// aggregator, in the order the task processes them. Inputs whose key changed are
// repartitioned first (each through its own topic: the grouping's name, else the store's
// name, with "-<n>" for the n-th input after the first); all inputs end in one
// sub-topology, so their topics must be co-partitioned (checked at start()).
//
// A cheap value: cogroup() returns a copy with one more input. The graph changes only in
// aggregate(). Operations throw topology_error for an invalid graph.

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "engine/errors.h"
#include "operators/aggregation_functions.h"
#include "operators/grouped_stream.h"
#include "operators/materialize.h"
#include "operators/materialized.h"
#include "operators/session_window_aggregate.h"
#include "operators/stream_aggregate.h"
#include "operators/time_window_aggregate.h"
#include "operators/windows.h"

namespace brook {

class stream_builder;
template <class K, class V>
class table;

template <class K, class VOut, class KS = default_serde<K>>
class cogrouped_stream {
public:
    // How aggregate() adds one input: its processor on the shared store, named by `node`.
    struct input_context {
        std::string store;
        std::string repartition_prefix; // for node_for(): unique per input
        std::function<VOut()> initializer;
        std::optional<time_windows> windows;
        std::optional<session_windows> sessions;
        std::function<VOut(const K&, VOut&&, const VOut&)> merger; // sessions only
    };
    using input_adder = std::function<std::string(const input_context&)>;

    cogrouped_stream(stream_builder* builder, KS key_serde) : _builder(builder), _ks(key_serde) {}

    // Adds `grouped` with its aggregator, callable as
    // VOut(const K& key, const V& value, const VOut& aggregate).
    template <class V, class GKS, class GVS, class A>
    cogrouped_stream cogroup(const grouped_stream<K, V, GKS, GVS>& grouped, A aggregator) const {
        static_assert(aggregator_fn<A, K, V, VOut>,
                      "cogroup: the aggregator must be callable as "
                      "VOut(const K& key, const V& value, const VOut& aggregate)");
        if (&grouped.input().builder() != _builder) {
            throw topology_error("cogroup: every grouped stream must come from the same "
                                 "stream_builder");
        }
        cogrouped_stream copy = *this;
        copy._inputs.push_back(make_adder(grouped.input(), std::move(aggregator)));
        return copy;
    }

    // The table of aggregates, initializer() starting each key's.
    template <class I>
    table<K, VOut> aggregate(I initializer) const {
        return aggregate(std::move(initializer), default_materialized());
    }
    template <class I, class MKS, class MVS>
    table<K, VOut> aggregate(I initializer, materialized<K, VOut, MKS, MVS> m) const;

    // The same per window (tumbling or hopping), or per session: see below.
    class windowed;
    windowed windowed_by(time_windows windows) const { return windowed(*this, windows); }
    class session_windowed;
    session_windowed windowed_by(session_windows windows) const {
        return session_windowed(*this, windows);
    }

    // For cogrouped_stream's windowed form.
    const std::vector<input_adder>& inputs() const { return _inputs; }
    stream_builder& builder() const { return *_builder; }
    materialized<K, VOut, KS, default_serde<VOut>> default_materialized() const {
        materialized<K, VOut, KS, default_serde<VOut>> m;
        m.key_serde = _ks;
        return m;
    }

private:
    template <class V, class GKS, class GVS, class A>
    static input_adder make_adder(aggregation_input<K, V, GKS, GVS> input, A aggregator);

    stream_builder* _builder;
    KS _ks;
    std::vector<input_adder> _inputs;
};

// cogrouped_stream.windowed_by(time_windows): one aggregate per key and window, every
// input's records updating the window they fall in; late records (past the window's end
// plus grace in the input's stream time) are dropped and counted, as for one input.
template <class K, class VOut, class KS>
class cogrouped_stream<K, VOut, KS>::windowed {
public:
    windowed(cogrouped_stream cogrouped, time_windows windows)
        : _cogrouped(std::move(cogrouped)), _windows(windows) {}

    template <class I>
    table<brook::windowed<K>, VOut> aggregate(I initializer) const {
        return aggregate(std::move(initializer), _cogrouped.default_materialized());
    }
    template <class I, class MKS, class MVS>
    table<brook::windowed<K>, VOut> aggregate(I initializer,
                                              materialized<K, VOut, MKS, MVS> m) const;

private:
    cogrouped_stream _cogrouped;
    time_windows _windows;
};

// cogrouped_stream.windowed_by(session_windows): one aggregate per key and session, every
// input's records opening, extending or merging sessions of the shared session store;
// merger(key, aggregate, other) combines two sessions' aggregates. As for one input, a
// session merged into another is forwarded as nullopt.
template <class K, class VOut, class KS>
class cogrouped_stream<K, VOut, KS>::session_windowed {
public:
    session_windowed(cogrouped_stream cogrouped, session_windows windows)
        : _cogrouped(std::move(cogrouped)), _windows(windows) {}

    template <class I, class M>
    table<brook::windowed<K>, std::optional<VOut>> aggregate(I initializer, M merger) const {
        return aggregate(std::move(initializer), std::move(merger),
                         _cogrouped.default_materialized());
    }
    template <class I, class M, class MKS, class MVS>
    table<brook::windowed<K>, std::optional<VOut>>
    aggregate(I initializer, M merger, materialized<K, VOut, MKS, MVS> m) const;

private:
    cogrouped_stream _cogrouped;
    session_windows _windows;
};

} // namespace brook
