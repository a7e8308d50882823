#include "apps/retry_router/retry_history.h"

#include <charconv>
#include <limits>

#include "engine/text/safe_text.h"

namespace brook::apps {

namespace {

// The header as an integer in [min, max], or nullopt when absent or not one.
std::optional<int64_t> read_int(const headers& hdrs, std::string_view name, int64_t min,
                                int64_t max) {
    const std::optional<std::string_view> text = hdrs.last(name);
    if (!text) {
        return std::nullopt;
    }
    int64_t value = 0;
    const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
    if (ec != std::errc() || end != text->data() + text->size() || value < min || value > max) {
        return std::nullopt;
    }
    return value;
}

std::optional<std::string> read_text(const headers& hdrs, std::string_view name) {
    const std::optional<std::string_view> text = hdrs.last(name);
    return text ? std::optional<std::string>(*text) : std::nullopt;
}

} // namespace

retry_history retry_history::read(const headers& hdrs, const retry_history& fallback,
                                  int64_t max_attempt) {
    constexpr int64_t int64_max = std::numeric_limits<int64_t>::max();
    retry_history h;
    h.attempt = read_int(hdrs, retry_header::attempt, 0, max_attempt).value_or(fallback.attempt);
    h.error = read_text(hdrs, retry_header::error).value_or(fallback.error);
    h.first_failure_ts = read_int(hdrs, retry_header::first_failure_ts, 0, int64_max)
                             .value_or(fallback.first_failure_ts);
    h.last_failure_ts = read_int(hdrs, retry_header::last_failure_ts, 0, int64_max)
                            .value_or(fallback.last_failure_ts);
    h.original_topic =
        read_text(hdrs, retry_header::original_topic).value_or(fallback.original_topic);
    h.original_partition = static_cast<int32_t>(
        read_int(hdrs, retry_header::original_partition, 0, std::numeric_limits<int32_t>::max())
            .value_or(fallback.original_partition));
    h.original_offset = read_int(hdrs, retry_header::original_offset, 0, int64_max)
                            .value_or(fallback.original_offset);
    h.original_timestamp = read_int(hdrs, retry_header::original_timestamp, 0, int64_max)
                               .value_or(fallback.original_timestamp);
    return h;
}

void retry_history::write(headers& hdrs) const {
    hdrs.set(retry_header::attempt, std::to_string(attempt));
    // The reason can quote a record or come from a handler: bounded and valid UTF-8.
    hdrs.set(retry_header::error, text::safe(error));
    hdrs.set(retry_header::first_failure_ts, std::to_string(first_failure_ts));
    hdrs.set(retry_header::last_failure_ts, std::to_string(last_failure_ts));
    hdrs.set(retry_header::original_topic, original_topic);
    hdrs.set(retry_header::original_partition, std::to_string(original_partition));
    hdrs.set(retry_header::original_offset, std::to_string(original_offset));
    hdrs.set(retry_header::original_timestamp, std::to_string(original_timestamp));
}

} // namespace brook::apps
