#pragma once

// Reads a whole partition from the beginning up to its end as seen at the time of the
// call: for tests that check exactly what a topic holds, and for tools that show it.

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <librdkafka/rdkafka.h>

#include "engine/kafka/client_config.h"

namespace brook::kafka {

struct read_record {
    std::optional<std::string> key;
    std::optional<std::string> value;
    int64_t offset = 0;
    int64_t timestamp = -1; // -1: none
    // In order; a value may be null.
    std::vector<std::pair<std::string, std::optional<std::string>>> headers;
};

// A consumed message's headers, in order (null values as nullopt).
std::vector<std::pair<std::string, std::optional<std::string>>>
message_headers(rd_kafka_message_t& msg);

// `isolation` is "read_committed" or "read_uncommitted". Stops at the partition's end
// (for read_committed: the last stable offset). Throws std::runtime_error if the end is
// not reached within `timeout`.
std::vector<read_record>
read_partition(const client_config& base, const std::string& topic, int32_t partition,
               const std::string& isolation,
               std::chrono::milliseconds timeout = std::chrono::seconds(30));

} // namespace brook::kafka
