#pragma once

// Definitions of grouped_stream::cogroup and cogrouped_stream's aggregations. Included at
// the end of stream.h; not for direct use.

#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "operators/cogrouped_stream.h"
#include "operators/stream_builder.h"
#include "operators/table.h"

namespace brook {

template <class K, class V, class KS, class VS>
template <class VOut, class A>
cogrouped_stream<K, VOut, KS> grouped_stream<K, V, KS, VS>::cogroup(A aggregator) const {
    return cogrouped_stream<K, VOut, KS>(&_input.builder(), _input.options().key_serde)
        .cogroup(*this, std::move(aggregator));
}

template <class K, class VOut, class KS>
template <class V, class GKS, class GVS, class A>
auto cogrouped_stream<K, VOut, KS>::make_adder(aggregation_input<K, V, GKS, GVS> input,
                                               A aggregator) -> input_adder {
    return [input = std::move(input),
            aggregator = std::move(aggregator)](const input_context& c) -> std::string {
        stream_builder& b = input.builder();
        const std::string parent = input.node_for(c.repartition_prefix);
        const std::string name = b.new_name("COGROUPKSTREAM-AGGREGATE-");
        using Fn = user_aggregation<VOut, std::function<VOut()>, A>;
        Fn fn{c.initializer, aggregator};
        if (c.sessions) {
            using SFn = user_aggregation<VOut, std::function<VOut()>, A,
                                         std::function<VOut(const K&, VOut&&, const VOut&)>>;
            using P = session_window_aggregate_processor<K, V, SFn>;
            SFn sfn{c.initializer, aggregator, c.merger};
            b.graph().template add_processor<P>(
                name,
                std::function<std::unique_ptr<P>()>(
                    [name, store = c.store, windows = *c.sessions, sfn] {
                        return std::make_unique<P>(name, store, windows,
                                                   emit_strategy::on_window_update(), sfn);
                    }),
                {parent});
        } else if (c.windows) {
            // Updates only: on_window_close would have every input's node emit each window.
            using P = time_window_aggregate_processor<K, V, Fn>;
            b.graph().template add_processor<P>(
                name,
                std::function<std::unique_ptr<P>()>(
                    [name, store = c.store, windows = *c.windows, fn] {
                        return std::make_unique<P>(name, store, windows,
                                                   emit_strategy::on_window_update(), fn);
                    }),
                {parent});
        } else {
            using P = stream_aggregate_processor<K, V, Fn>;
            b.graph().template add_processor<P>(
                name, std::function<std::unique_ptr<P>()>([name, store = c.store, fn] {
                    return std::make_unique<P>(name, store, fn);
                }),
                {parent});
        }
        return name;
    };
}

namespace detail {

// Adds every input's aggregation node on `store` (registered by `spec`) and the merge node
// that forwards all of them as one table (keyed by KOut: K, or windowed<K>); returns the
// merge node's name.
template <class KOut, class VMerged, class K, class VOut, class KS>
std::string
build_cogroup(stream_builder& b,
              const std::vector<typename cogrouped_stream<K, VOut, KS>::input_adder>& inputs,
              const std::string& store, store_spec spec,
              typename cogrouped_stream<K, VOut, KS>::input_context context) {
    if (inputs.empty()) {
        throw topology_error("cogroup: aggregate() needs at least one grouped stream");
    }
    std::vector<std::string> nodes;
    for (size_t i = 0; i < inputs.size(); ++i) {
        auto c = context;
        c.store = store;
        c.repartition_prefix = i == 0 ? store : store + "-" + std::to_string(i);
        nodes.push_back(inputs[i](c));
    }
    b.graph().add_state_store(std::move(spec), nodes);
    const std::string merge = b.new_name("COGROUPKSTREAM-MERGE-");
    using P = pass_through_processor<KOut, VMerged>;
    b.graph().template add_processor<P>(
        merge, std::function<std::unique_ptr<P>()>([] { return std::make_unique<P>(); }), nodes);
    return merge;
}

} // namespace detail

template <class K, class VOut, class KS>
template <class I, class MKS, class MVS>
table<K, VOut> cogrouped_stream<K, VOut, KS>::aggregate(I initializer,
                                                        materialized<K, VOut, MKS, MVS> m) const {
    static_assert(initializer_fn<I>, "aggregate: the initializer must be callable as VOut()");
    static_assert(std::is_convertible_v<std::invoke_result_t<const I&>, VOut>,
                  "aggregate: the initializer must return the cogroup's VOut");
    stream_builder& b = *_builder;
    const std::string store = b.name_or_new(m.store_name, "COGROUPKSTREAM-AGGREGATE-STATE-STORE-");
    store_spec spec = detail::key_value_store_spec(store, m);
    typename cogrouped_stream<K, VOut, KS>::input_context context;
    context.initializer = [i = std::move(initializer)] { return static_cast<VOut>(i()); };
    const std::string merge =
        detail::build_cogroup<K, VOut, K, VOut, KS>(b, _inputs, store, std::move(spec), context);
    return table<K, VOut>(&b, merge, store);
}

template <class K, class VOut, class KS>
template <class I, class MKS, class MVS>
table<brook::windowed<K>, VOut>
cogrouped_stream<K, VOut, KS>::windowed::aggregate(I initializer,
                                                   materialized<K, VOut, MKS, MVS> m) const {
    static_assert(initializer_fn<I>, "aggregate: the initializer must be callable as VOut()");
    static_assert(std::is_convertible_v<std::invoke_result_t<const I&>, VOut>,
                  "aggregate: the initializer must return the cogroup's VOut");
    stream_builder& b = _cogrouped.builder();
    const std::string store = b.name_or_new(m.store_name, "COGROUPKSTREAM-AGGREGATE-STATE-STORE-");
    store_spec spec = detail::window_store_spec(store, m, _windows);
    typename cogrouped_stream<K, VOut, KS>::input_context context;
    context.initializer = [i = std::move(initializer)] { return static_cast<VOut>(i()); };
    context.windows = _windows;
    const std::string merge = detail::build_cogroup<brook::windowed<K>, VOut, K, VOut, KS>(
        b, _cogrouped.inputs(), store, std::move(spec), context);
    b.record_window_grace(merge, _windows.grace_ms());
    return table<brook::windowed<K>, VOut>(&b, merge, store);
}

template <class K, class VOut, class KS>
template <class I, class M, class MKS, class MVS>
table<brook::windowed<K>, std::optional<VOut>>
cogrouped_stream<K, VOut, KS>::session_windowed::aggregate(
    I initializer, M merger, materialized<K, VOut, MKS, MVS> m) const {
    static_assert(initializer_fn<I>, "aggregate: the initializer must be callable as VOut()");
    static_assert(std::is_convertible_v<std::invoke_result_t<const I&>, VOut>,
                  "aggregate: the initializer must return the cogroup's VOut");
    static_assert(merger_fn<M, K, VOut>,
                  "aggregate: the merger must be callable as "
                  "VOut(const K& key, const VOut& aggregate, const VOut& other)");
    stream_builder& b = _cogrouped.builder();
    const std::string store = b.name_or_new(m.store_name, "COGROUPKSTREAM-AGGREGATE-STATE-STORE-");
    store_spec spec = detail::session_store_spec(store, m, _windows);
    typename cogrouped_stream<K, VOut, KS>::input_context context;
    context.initializer = [i = std::move(initializer)] { return static_cast<VOut>(i()); };
    context.sessions = _windows;
    context.merger = [merger = std::move(merger)](const K& key, VOut&& a, const VOut& o) {
        return static_cast<VOut>(merger(key, std::move(a), o));
    };
    const std::string merge =
        detail::build_cogroup<brook::windowed<K>, std::optional<VOut>, K, VOut, KS>(
            b, _cogrouped.inputs(), store, std::move(spec), context);
    // A session may still grow by a record up to the gap after its end.
    b.record_window_grace(merge, _windows.grace_ms() + _windows.inactivity_gap_ms());
    return table<brook::windowed<K>, std::optional<VOut>>(&b, merge, store);
}

} // namespace brook
