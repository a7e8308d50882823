#pragma once

// Concepts that check the user's callables in the DSL, so that a wrong lambda gives one
// readable static_assert message instead of pages of template errors. Where Kafka Streams
// has both a value-only and a key-and-value variant (ValueMapper / ValueMapperWithKey),
// Brook accepts either shape for the same operator.

#include <concepts>
#include <functional>
#include <ranges>
#include <type_traits>

#include "engine/record.h"

namespace brook {

template <class F, class K, class V>
concept key_value_predicate = std::invocable<const F&, const K&, const V&> && std::convertible_to <
                              std::invoke_result_t<const F&, const K&, const V&>,
bool > ;

template <class F, class K, class V>
concept value_mapper_with_key = std::invocable<const F&, const K&, const V&> &&
    !std::is_void_v<std::invoke_result_t<const F&, const K&, const V&>>;
template <class F, class V>
concept value_mapper =
    std::invocable<const F&, const V&> && !std::is_void_v<std::invoke_result_t<const F&, const V&>>;

// What map_values / flat_map_values callables return, whichever shape they have.
template <class F, class K, class V>
struct mapped_value {
    using type = void;
};
template <class F, class K, class V>
requires value_mapper_with_key<F, K, V>
struct mapped_value<F, K, V> {
    using type = std::invoke_result_t<const F&, const K&, const V&>;
};
template <class F, class K, class V>
requires(!value_mapper_with_key<F, K, V> && value_mapper<F, V>) struct mapped_value<F, K, V> {
    using type = std::invoke_result_t<const F&, const V&>;
};
template <class F, class K, class V>
using mapped_value_t = typename mapped_value<F, K, V>::type;

// Calls a value mapper of either shape.
template <class F, class K, class V>
decltype(auto) invoke_value_mapper(const F& f, const K& k, const V& v) {
    if constexpr (value_mapper_with_key<F, K, V>) {
        return f(k, v);
    } else {
        return f(v);
    }
}

template <class T>
struct is_key_value : std::false_type {};
template <class K, class V>
struct is_key_value<key_value<K, V>> : std::true_type {};

template <class F, class K, class V>
concept key_value_mapper = std::invocable<const F&, const K&, const V&> &&
    is_key_value<std::invoke_result_t<const F&, const K&, const V&>>::value;

template <class F, class K, class V>
concept key_value_flat_mapper = std::invocable<const F&, const K&, const V&> &&
    std::ranges::range<std::invoke_result_t<const F&, const K&, const V&>> && is_key_value<
        std::ranges::range_value_t<std::invoke_result_t<const F&, const K&, const V&>>>::value;

template <class F, class K, class V>
concept key_value_action = std::invocable<const F&, const K&, const V&>;

} // namespace brook

namespace brook {

// Aggregations (grouped_stream, time_windowed_stream, session_windowed_stream).

// initializer() returns the aggregate a new key or window starts from.
template <class F>
concept initializer_fn =
    std::invocable<const F&> && !std::is_void_v<std::invoke_result_t<const F&>>;

// adder(key, value, aggregate) returns the new aggregate (the old one is passed as an
// rvalue, so a callable taking VR by value may move from it).
template <class F, class K, class V, class VR>
concept aggregator_fn = std::invocable<const F&, const K&, const V&, VR&&> &&
    std::convertible_to<std::invoke_result_t<const F&, const K&, const V&, VR&&>, VR>;

// reducer(aggregate, value) returns the new aggregate, of the stream's value type.
template <class F, class V>
concept reducer_fn = std::invocable<const F&, V&&, const V&> &&
    std::convertible_to<std::invoke_result_t<const F&, V&&, const V&>, V>;

// merger(key, aggregate1, aggregate2) returns the aggregate of two merged sessions.
template <class F, class K, class VR>
concept merger_fn = std::invocable<const F&, const K&, VR&&, const VR&> &&
    std::convertible_to<std::invoke_result_t<const F&, const K&, VR&&, const VR&>, VR>;

} // namespace brook
