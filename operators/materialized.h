#pragma once

// materialized<K, V, KS, VS>: how an aggregation or table keeps its state, as Kafka Streams'
// Materialized: the store's name (so processors and tests can find it with get_store), its
// serdes, its kind (RocksDB or in-memory), change-logging, caching, and for windowed
// stores the retention.
//
//   g.count(materialized<std::string, int64_t>::as("counts").with_caching_disabled())
//
// Defaults are Kafka Streams': a generated name, RocksDB, logging on, caching on, and for
// windows a retention of window size (sliding: 2 * time difference) plus grace period.
// The key serde is for K, also in windowed aggregations (the store keys by K and window).

#include <chrono>
#include <map>
#include <optional>
#include <string>

#include "engine/serde/serdes.h"
#include "engine/store/stores.h"

namespace brook {

template <class K, class V, class KS = default_serde<K>, class VS = default_serde<V>>
struct materialized {
    std::string store_name{}; // empty: generated (KSTREAM-AGGREGATE-STATE-STORE-0000000001)
    KS key_serde{};
    VS value_serde{};
    store_type type = store_type::rocksdb;
    bool logging = true;
    std::map<std::string, std::string> changelog_config{}; // overrides, with logging on
    bool caching = true;
    // Windowed stores only: how long windows are kept; at least size + grace.
    std::optional<std::chrono::milliseconds> retention{};
    // A table read from a topic only: keep every version for this long (a versioned store,
    // KIP-889), so stream-table joins look up the value a key had at each record's time.
    std::optional<std::chrono::milliseconds> history_retention{};

    static materialized as(std::string name) {
        materialized m;
        m.store_name = std::move(name);
        return m;
    }
    materialized& with_store_type(store_type t) {
        type = t;
        return *this;
    }
    materialized& in_memory() { return with_store_type(store_type::in_memory); }
    materialized& with_logging_enabled(std::map<std::string, std::string> config = {}) {
        logging = true;
        changelog_config = std::move(config);
        return *this;
    }
    materialized& with_logging_disabled() {
        logging = false;
        changelog_config.clear();
        return *this;
    }
    materialized& with_caching_enabled() {
        caching = true;
        return *this;
    }
    materialized& with_caching_disabled() {
        caching = false;
        return *this;
    }
    materialized& with_retention(std::chrono::milliseconds r) {
        retention = r;
        return *this;
    }
    // A versioned store (Kafka Streams' Stores.persistentVersionedKeyValueStore): never
    // cached; out-of-order updates are kept as history but not forwarded downstream.
    materialized& versioned(std::chrono::milliseconds history) {
        history_retention = history;
        caching = false;
        return *this;
    }
};

} // namespace brook
