#pragma once

// retry_history: what the retry router remembers about a failed record, carried in the
// headers of every record it writes to a retry tier or the dead-letter topic.
//
// Headers (values are text; times are epoch milliseconds, decimal):
//
//   attempt             failed attempts so far: handler calls that failed (0 for a record
//                       the deserializer could not read, whose handler never ran)
//   error               why the last attempt failed (text::safe: valid UTF-8, control
//                       characters escaped, at most about 512 bytes)
//   first-failure-ts    when the first attempt failed (kept through every tier)
//   last-failure-ts     when the last attempt failed (also the record's Kafka timestamp)
//   original-topic      where the record first came in: topic, partition and offset of
//   original-partition  the input record, kept through every tier
//   original-offset
//   original-timestamp  the Kafka timestamp of the input record
//   event-type          the record's event type, when the handler's side knew it (replay
//                       filters on it)
//   due-ts              retry tiers only: not to be processed before this time (one
//                       too far ahead is dead-lettered instead: retry_due_time.h)
//   dead-letter-cause   dead-letter topic only: retries-exhausted, non-retriable or
//                       unreadable
//
// Lifecycle: a plain value. Threading: none of its own.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "engine/record.h"

namespace brook::apps {

namespace retry_header {
inline constexpr std::string_view attempt = "attempt";
inline constexpr std::string_view error = "error";
inline constexpr std::string_view first_failure_ts = "first-failure-ts";
inline constexpr std::string_view last_failure_ts = "last-failure-ts";
inline constexpr std::string_view original_topic = "original-topic";
inline constexpr std::string_view original_partition = "original-partition";
inline constexpr std::string_view original_offset = "original-offset";
inline constexpr std::string_view original_timestamp = "original-timestamp";
inline constexpr std::string_view event_type = "event-type";
inline constexpr std::string_view due_ts = "due-ts";
inline constexpr std::string_view dead_letter_cause = "dead-letter-cause";
// Every header the router writes (what a replay renames).
inline constexpr std::array<std::string_view, 11> all = {attempt,          error,
                                                         first_failure_ts, last_failure_ts,
                                                         original_topic,   original_partition,
                                                         original_offset,  original_timestamp,
                                                         event_type,       due_ts,
                                                         dead_letter_cause};
} // namespace retry_header

struct retry_history {
    int64_t attempt = 0; // failed attempts so far
    std::string error;
    int64_t first_failure_ts = -1; // -1: no failure yet
    int64_t last_failure_ts = -1;
    std::string original_topic;
    int32_t original_partition = -1;
    int64_t original_offset = -1;
    int64_t original_timestamp = -1;

    // The history `hdrs` carry. A header that is missing or unreadable (not a decimal
    // integer in range: times and offsets >= 0, attempt from 0 to `max_attempt`) takes its
    // value from `fallback`, so a tier record written by hand or by an older version is
    // still routed rather than lost, and no count from a header can overflow.
    static retry_history read(const headers& hdrs, const retry_history& fallback,
                              int64_t max_attempt);
    // Sets every history header in `hdrs` (replacing what was there).
    void write(headers& hdrs) const;
};

} // namespace brook::apps
