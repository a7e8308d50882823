#pragma once

// commit_metadata: what Brook commits beside each input partition's offset, so that a
// task made again (after a restart, a rebalance or an abort) goes on with the event time
// it had, instead of starting over at -1: with stream time forgotten, a window already
// emitted and removed would open again for a late record, and records judged late before
// would be counted now. As Kafka Streams commits a partition's time in the offset
// metadata, Brook commits
//
//   "brook1 t=<partition time>"                 for an input read as it comes
//   "brook1 t=<partition time> w=<watermark>"   for a repartition input, with the state
//                                               of its writers (fan_in_watermark::encode)
//
// The broker keeps at most offset.metadata.max.bytes (4096 by default) per partition, so
// the writers' state is left out when the text would be longer than max_bytes; the
// downstream task then learns it again from the writers' next progress markers.
//
// Value type. decode() accepts any text (it comes from the broker) and refuses what is
// not Brook's.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace brook {

struct commit_metadata {
    static constexpr size_t max_bytes = 3000;

    int64_t partition_time = -1;
    std::string watermark; // empty: none

    std::string encode() const;
    static std::optional<commit_metadata> decode(std::string_view text);
};

} // namespace brook
