#pragma once

#include <optional>
#include <string_view>

namespace brook {

// Bytes that may be null (a Kafka key or value): nullopt is null, "" is empty. One type
// from the serdes down to the producer, so serialized bytes pass through unconverted.
using nullable_bytes = std::optional<std::string_view>;

} // namespace brook
