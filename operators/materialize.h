#pragma once

// How the DSL turns materialized<...> options into the store_spec of an aggregation's or
// table's store (Kafka Streams' KeyValueStoreMaterializer, WindowStoreMaterializer,
// SlidingWindowStoreMaterializer and SessionStoreMaterializer). Retentions default to
// what each window kind needs at least, and a shorter one given by the user is refused
// with std::invalid_argument, as Kafka Streams refuses it.

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>

#include <fmt/format.h>

#include "engine/store/stores.h"
#include "operators/materialized.h"
#include "operators/windows.h"

namespace brook::detail {

template <class Builder, class M>
store_spec finish_store(Builder builder, const M& m) {
    m.type == store_type::rocksdb ? builder.persistent() : builder.in_memory();
    m.caching ? builder.with_caching_enabled() : builder.with_caching_disabled();
    if (m.logging) {
        builder.with_logging_enabled(m.changelog_config);
    } else {
        builder.with_logging_disabled();
    }
    return builder.build();
}

inline std::chrono::milliseconds window_retention(const std::string& store,
                                                  std::optional<std::chrono::milliseconds> given,
                                                  int64_t minimum, const char* what) {
    if (!given) {
        return std::chrono::milliseconds(minimum);
    }
    if (given->count() < minimum) {
        throw std::invalid_argument(
            fmt::format("the retention of store '{}' ({} ms) must be at least {} ({} ms)", store,
                        given->count(), what, minimum));
    }
    return *given;
}

// A timestamped key-value store of VR (grouped aggregations, derived tables). These cannot
// be versioned in Brook: only a table read from a topic can (versioned_table_store_spec).
template <class K, class VR, class KS, class VS>
store_spec key_value_store_spec(const std::string& name, const materialized<K, VR, KS, VS>& m) {
    if (m.history_retention) {
        throw topology_error(
            fmt::format("store '{}': only a table read from a topic (stream_builder::table) can be "
                        "versioned; materialize this result as a plain store",
                        name));
    }
    return finish_store(stores::timestamped_key_value_store_builder<K, VR, KS, VS>(
                            name, m.key_serde, m.value_serde),
                        m);
}

// A table's store read from a topic: versioned when m.history_retention is set.
template <class K, class VR, class KS, class VS>
store_spec table_store_spec(const std::string& name, const materialized<K, VR, KS, VS>& m) {
    if (!m.history_retention) {
        return key_value_store_spec(name, m);
    }
    stores::versioned_key_value_store_builder<K, VR, KS, VS> builder(name, *m.history_retention,
                                                                     m.key_serde, m.value_serde);
    m.type == store_type::rocksdb ? builder.persistent() : builder.in_memory();
    if (m.logging) {
        builder.with_logging_enabled(m.changelog_config);
    } else {
        builder.with_logging_disabled();
    }
    return builder.build();
}

// A timestamped window store of VR for tumbling or hopping windows.
template <class K, class VR, class KS, class VS>
store_spec window_store_spec(const std::string& name, const materialized<K, VR, KS, VS>& m,
                             const time_windows& w) {
    const auto retention = window_retention(name, m.retention, w.size_ms() + w.grace_ms(),
                                            "the window size plus the grace period");
    return finish_store(
        stores::timestamped_window_store_builder<K, VR, KS, VS>(
            name, retention, std::chrono::milliseconds(w.size_ms()), m.key_serde, m.value_serde),
        m);
}

// A timestamped window store of VR for sliding windows: it must keep windows back to
// 2 * time difference before a record within grace (what a new record may need).
template <class K, class VR, class KS, class VS>
store_spec window_store_spec(const std::string& name, const materialized<K, VR, KS, VS>& m,
                             const sliding_windows& w) {
    const auto retention =
        window_retention(name, m.retention, 2 * w.time_difference_ms() + w.grace_ms(),
                         "twice the time difference plus the grace period");
    return finish_store(stores::timestamped_window_store_builder<K, VR, KS, VS>(
                            name, retention, std::chrono::milliseconds(w.time_difference_ms()),
                            m.key_serde, m.value_serde),
                        m);
}

// A session store of VR.
template <class K, class VR, class KS, class VS>
store_spec session_store_spec(const std::string& name, const materialized<K, VR, KS, VS>& m,
                              const session_windows& w) {
    const auto retention = window_retention(name, m.retention, w.inactivity_gap_ms() + w.grace_ms(),
                                            "the inactivity gap plus the grace period");
    return finish_store(
        stores::session_store_builder<K, VR, KS, VS>(name, retention, m.key_serde, m.value_serde),
        m);
}

} // namespace brook::detail
