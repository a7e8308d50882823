#pragma once

// Options of DSL operators, named as in Kafka Streams: consumed (source), produced
// (sink), repartitioned. Serdes are template parameters with defaults from default_serde.

#include <optional>
#include <string>

#include "engine/serde/serdes.h"
#include "engine/topology/node.h"

namespace brook {

template <class K, class V, class KS = default_serde<K>, class VS = default_serde<V>>
struct consumed {
    KS key_serde{};
    VS value_serde{};
    timestamp_extractor<K, V> extractor{}; // empty: the record's own timestamp
    std::string name{};                    // empty: a generated name
    // Delayed source (engine/topology/due_time.h): a record is not processed before the
    // wall-clock time this answers from its bytes and headers. Empty: processed as it comes.
    due_time_extractor due_time{};

    // These options, reading each record's due time from header `header` (decimal epoch
    // ms; a record without a readable one is due at once).
    consumed with_due_time_header(std::string header) const {
        consumed out = *this;
        out.due_time = due_time_from_header(std::move(header));
        return out;
    }
};

template <class K, class V, class KS = default_serde<K>, class VS = default_serde<V>>
struct produced {
    KS key_serde{};
    VS value_serde{};
    stream_partitioner<K, V> partitioner{}; // empty: murmur2 of the key, like Kafka's default
    std::string name{};
};

template <class K, class V, class KS = default_serde<K>, class VS = default_serde<V>>
struct repartitioned {
    KS key_serde{};
    VS value_serde{};
    std::string name{};            // names the topic "<application.id>-<name>-repartition"
    std::optional<int> partitions; // default: as many as the upstream source topics
};

} // namespace brook
