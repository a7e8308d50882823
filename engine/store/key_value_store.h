#pragma once

// brook::key_value_store<K, V>: the typed key-value store a processor uses, as Kafka
// Streams' KeyValueStore<K, V>. It sits on top of a byte-level stack (state/) and is
// implemented by metered_key_value_store, which (de)serializes with the store's serdes.
// Entries are ordered by their serialized key bytes (unsigned, lexicographic), which for
// the built-in big-endian number serdes is not numeric order for negative numbers.
//
// A store that the DSL's aggregations and tables use holds value_and_timestamp<V>: ask for
// timestamped_key_value_store<K, V>.
//
// Lifecycle and threading: those of state::state_store (opened by the task before the
// processors' init(), one task's thread only). Processors get one with get_store().

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>

#include "engine/store/value_and_timestamp.h"
#include "state/state_store.h"

namespace brook {

template <class K, class V>
class key_value_store : public state::state_store {
public:
    using key_type = K;
    using value_type = V;
    // Called for each entry in key order; return false to stop.
    using visitor = std::function<bool(const K& key, const V& value)>;
    // Told of each entry a caching layer writes down: value nullopt means removed.
    using flush_listener =
        std::function<void(const K& key, std::optional<V> value, int64_t timestamp)>;

    // nullopt when absent. Throws serde_error when the stored bytes cannot be read.
    virtual std::optional<V> get(const K& key) = 0;
    // Inserts or replaces. A value its serde writes as null removes the key instead.
    virtual void put(const K& key, const V& value) = 0;
    // Puts only when the key is absent; returns the value that was there (nullopt: put).
    virtual std::optional<V> put_if_absent(const K& key, const V& value) = 0;
    // Removes the key; returns the value it had (Kafka Streams' delete).
    virtual std::optional<V> remove(const K& key) = 0;
    // Entries with from <= key <= to (both inclusive, by serialized bytes).
    virtual void range(const K& from, const K& to, const visitor& visit) = 0;
    virtual void all(const visitor& visit) = 0;
    // Exact for in-memory stores, an estimate for RocksDB.
    virtual size_t approximate_num_entries() = 0;
    // Typed form of set_cache_flush_listener: false when the stack has no active cache
    // (the caller must then forward each update itself).
    virtual bool set_flush_listener(flush_listener listener) = 0;
};

// The store of an aggregation or table: the value and the timestamp of its newest record.
template <class K, class V>
using timestamped_key_value_store = key_value_store<K, value_and_timestamp<V>>;

} // namespace brook
