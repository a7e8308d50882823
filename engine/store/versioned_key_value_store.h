#pragma once

// brook::versioned_key_value_store<K, V>: the typed versioned store, as Kafka Streams'
// VersionedKeyValueStore (KIP-889): every version of a key within the store's history
// retention, so that a lookup can ask for the value a key had at a given time. The rules
// (refused late writes, out-of-order versions, expiry) are state::versioned_key_value_store's.
//
// It is also a timestamped_key_value_store<K, V> of the latest versions, so everything that
// reads a table (joins, queries, get_store<timestamped_key_value_store<K, V>>) reads it
// unchanged. Through that face, put(key, {value, ts}) adds a version at ts, and remove(key)
// deletes at the store's observed stream time (a table's writer uses the versioned calls).
//
// Lifecycle and threading: those of state::state_store. Made by
// stores::versioned_key_value_store_builder, or by materialized<...>::versioned().

#include <cstdint>
#include <optional>

#include "engine/store/key_value_store.h"

namespace brook {

template <class V>
struct versioned_record {
    V value{};
    int64_t timestamp = 0;
    bool operator==(const versioned_record&) const = default;
};

template <class K, class V>
class versioned_key_value_store : public key_value_store<K, value_and_timestamp<V>> {
public:
    static constexpr int64_t put_is_latest = -1;
    static constexpr int64_t put_not_put = INT64_MIN;

    using key_value_store<K, value_and_timestamp<V>>::put;
    using key_value_store<K, value_and_timestamp<V>>::get;
    using key_value_store<K, value_and_timestamp<V>>::remove;

    // Adds a version (nullopt: a delete) at `timestamp`. Returns put_is_latest when it is
    // the key's newest version, put_not_put when it is older than the history retention
    // allows, else the timestamp until which the (out-of-order) version is valid.
    virtual int64_t put(const K& key, const std::optional<V>& value, int64_t timestamp) = 0;
    // The version valid at `as_of` (the newest with timestamp <= as_of); nullopt when there
    // is none, it is a delete, or as_of is older than the retention keeps.
    virtual std::optional<versioned_record<V>> get(const K& key, int64_t as_of) = 0;
    // Deletes at `timestamp`; returns the version that was valid then.
    virtual std::optional<versioned_record<V>> remove(const K& key, int64_t timestamp) = 0;
    virtual int64_t history_retention_ms() const = 0;
    // The largest timestamp the store has been given; -1 before the first.
    virtual int64_t observed_stream_time() = 0;
};

} // namespace brook
