#pragma once

// Kafka's default key partitioner, bit for bit, so that Brook writes a key to the same
// partition a Java producer or Kafka Streams would. Co-partitioned joins and a repartition
// topic shared with Java applications depend on this. Pure functions, safe from any thread.

#include <cstdint>
#include <string_view>

namespace brook {

// The 32-bit murmur2 hash of `data` exactly as org.apache.kafka.common.utils.Utils.murmur2
// computes it (seed 0x9747b28c), returned as the same signed value Java returns.
int32_t murmur2(std::string_view data) noexcept;

// `v` with its sign bit cleared (Utils.toPositive): not abs(), so INT32_MIN maps to 0.
constexpr int32_t to_positive(int32_t v) noexcept {
    return v & 0x7fffffff;
}

// The partition for a non-null serialized key among `num_partitions`, as Kafka's
// BuiltInPartitioner.partitionForKey: to_positive(murmur2(key)) % num_partitions.
// Throws std::invalid_argument if num_partitions is not positive. Null keys are not
// hashed by Kafka (the producer picks a sticky partition), so they have no overload here.
int32_t default_partition(std::string_view key_bytes, int32_t num_partitions);

} // namespace brook
