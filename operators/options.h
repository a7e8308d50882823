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
