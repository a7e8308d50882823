#pragma once

// record_collector: where sink nodes hand serialized records. The runtime's collector
// produces them to Kafka through the thread's producer; the test driver's keeps them.

#include <cstdint>
#include <optional>
#include <string_view>

#include "engine/record.h"

namespace brook {

class record_collector {
public:
    virtual ~record_collector() = default;
    // `partition` nullopt: Kafka's default partitioner (murmur2 of the key bytes; a null
    // key lets the producer pick). Throws on failures the task cannot survive.
    virtual void send(std::string_view topic, nullable_bytes key, nullable_bytes value,
                      int64_t timestamp, const headers& hdrs, std::optional<int32_t> partition) = 0;
    // Number of partitions of `topic`, for user partitioners. Throws if unknown.
    virtual int32_t partition_count(std::string_view topic) = 0;
    // The largest record (key, value and headers) send() accepts; nullopt: no limit.
    virtual std::optional<size_t> record_size_limit() const { return std::nullopt; }
};

} // namespace brook
