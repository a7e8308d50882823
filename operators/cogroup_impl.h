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
        if (c.windows) {
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
template <class KOut, class K, class VOut, class KS>
std::string
build_cogroup(stream_builder& b,
              const std::vector<typename cogrouped_stream<K, VOut, KS>::input_adder>& inputs,
              const std::string& store, store_spec spec, std::function<VOut()> initializer,
              std::optional<time_windows> windows) {
    if (inputs.empty()) {
        throw topology_error("cogroup: aggregate() needs at least one grouped stream");
    }
    std::vector<std::string> nodes;
    for (size_t i = 0; i < inputs.size(); ++i) {
        typename cogrouped_stream<K, VOut, KS>::input_context c{
            store, i == 0 ? store : store + "-" + std::to_string(i), initializer, windows};
        nodes.push_back(inputs[i](c));
    }
    b.graph().add_state_store(std::move(spec), nodes);
    const std::string merge = b.new_name("COGROUPKSTREAM-MERGE-");
    using P = pass_through_processor<KOut, VOut>;
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
    const std::string merge = detail::build_cogroup<K, K, VOut, KS>(
        b, _inputs, store, std::move(spec),
        std::function<VOut()>([i = std::move(initializer)] { return static_cast<VOut>(i()); }),
        std::nullopt);
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
    const std::string merge = detail::build_cogroup<brook::windowed<K>, K, VOut, KS>(
        b, _cogrouped.inputs(), store, std::move(spec),
        std::function<VOut()>([i = std::move(initializer)] { return static_cast<VOut>(i()); }),
        _windows);
    b.record_window_grace(merge, _windows.grace_ms());
    return table<brook::windowed<K>, VOut>(&b, merge, store);
}

} // namespace brook
