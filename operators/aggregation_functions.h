#pragma once

// The three aggregations (count, reduce, aggregate) in the one shape the aggregation
// processors call, so that each window kind needs one processor, not three:
//
//   apply(key, value, old)   the new aggregate; `old` nullopt means "nothing aggregated yet"
//                            (a new key or window): count starts from 0, aggregate from
//                            initializer(), reduce takes the value as it is
//   initial()                what a session starts from before merging (nullopt for reduce)
//   merge(key, agg, other)   the aggregate of two sessions merged into one
//
// This follows Kafka Streams, whose reduce is an aggregation with a null initial value.
// Immutable values, copied into every task's processor.

#include <cstdint>
#include <optional>
#include <utility>

namespace brook {

struct count_aggregation {
    using result_type = int64_t;

    template <class K, class V>
    int64_t apply(const K& /*key*/, const V& /*value*/, std::optional<int64_t>&& old) const {
        return old.value_or(0) + 1;
    }
    std::optional<int64_t> initial() const { return int64_t{0}; }
    template <class K>
    std::optional<int64_t> merge(const K& /*key*/, std::optional<int64_t>&& agg,
                                 const int64_t& other) const {
        return agg.value_or(0) + other;
    }
};

// R: reducer(V&& aggregate, const V& value) -> V.
template <class V, class R>
struct reduce_aggregation {
    using result_type = V;
    R reducer;

    template <class K>
    V apply(const K& /*key*/, const V& value, std::optional<V>&& old) const {
        if (!old) {
            return value;
        }
        return static_cast<V>(reducer(std::move(*old), value));
    }
    std::optional<V> initial() const { return std::nullopt; }
    template <class K>
    std::optional<V> merge(const K& /*key*/, std::optional<V>&& agg, const V& other) const {
        if (!agg) {
            return other;
        }
        return static_cast<V>(reducer(std::move(*agg), other));
    }
};

// I: initializer() -> VR; A: adder(key, value, VR&&) -> VR; M: merger(key, VR&&, const VR&)
// -> VR, for session windows only (no_merger elsewhere).
struct no_merger {};

template <class VR, class I, class A, class M = no_merger>
struct user_aggregation {
    using result_type = VR;
    I initializer;
    A adder;
    [[no_unique_address]] M merger{};

    template <class K, class V>
    VR apply(const K& key, const V& value, std::optional<VR>&& old) const {
        return static_cast<VR>(
            adder(key, value, old ? std::move(*old) : static_cast<VR>(initializer())));
    }
    std::optional<VR> initial() const { return static_cast<VR>(initializer()); }
    template <class K>
    std::optional<VR> merge(const K& key, std::optional<VR>&& agg, const VR& other) const {
        return static_cast<VR>(
            merger(key, agg ? std::move(*agg) : static_cast<VR>(initializer()), other));
    }
};

} // namespace brook
