#pragma once

// The metrics pipeline: raw-metrics -> processed-metrics, with unreadable or invalid
// records sent unchanged to raw-metrics.dlq with headers that say why (error, the reason,
// through text::safe: valid UTF-8 and at most about 512 bytes however long the input).
//
// Input values are JSON: {"name": string, "host": string, "value": number,
// "ts": epoch ms from 1 to the end of 9999 (optional, else the record timestamp, which
// must be in that range too: json_fields.h), "unit": string (optional),
// "tags": object (optional)}, read whole (nothing may follow it) and at most 64 levels
// deep (json_fields.h). Each valid metric is normalised: name trimmed and
// lower-cased; unit "ms" becomes "s" (value / 1000), "percent" or "%" becomes "ratio"
// (value / 100); other units pass through. Then it is aggregated per (host, name) in
// tumbling event-time windows, into processed-metrics as JSON
// {"host","name","unit","window_start","window_end","count","sum","min","max","avg"},
// keyed by host. Window bounds are epoch ms, [start, end).
//
// Metrics of one name that arrive in units that do not normalise to one another (say
// "bytes" and no unit) are aggregated apart, one result per unit: values of different
// units are never summed.
//
// Arithmetic never leaves the doubles JSON can write (it has no inf or nan, and nlohmann
// writes them as null): a "value" must be within +-1e300 (max_metric_value), else the
// record is invalid ("'value' must be a number from -1e300 to 1e300"). Normalising only
// divides, and min and max are values, so only the sum can grow past a double: a sum that
// would pass +-DBL_MAX is pinned there and stays pinned for the rest of its window (its true
// value is no longer known), and the window's result then carries "sum_saturated": true,
// which says that "sum" and "avg" are lower bounds of their magnitude. Count, min and max
// stay exact. (Reaching it takes over 10^8 values near the limit in one window.)

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "engine/serde/json_serde.h"
#include "operators/stream_builder.h"

namespace brook::apps {

struct metric {
    std::string name;
    std::string host;
    double value = 0;
    int64_t ts = 0;
    std::optional<std::string> unit;
    nlohmann::json tags = nlohmann::json::object();
};

// A parsed input value, or why it could not be parsed, with the input value as it came
// (null stays null) for the DLQ.
struct parsed_metric {
    std::optional<metric> ok;
    std::string error;
    std::optional<std::string> raw;
};

// Parses and validates one input value; `record_ts` is used when "ts" is absent. Leaves
// `raw` empty: the caller owns the input.
parsed_metric parse_metric(std::string_view raw, int64_t record_ts);
// The same reading through a whole nlohmann document: the reference parse_metric (one
// pass, no document; metric_reader.h) is tested and measured against. Same answers.
parsed_metric parse_metric_with_document(std::string_view raw, int64_t record_ts);
metric normalise(metric m);
nlohmann::json to_json(const metric& m);

// What a window is aggregated by: a normalised metric's host, name and unit ("" for none).
struct metric_key {
    std::string host;
    std::string name;
    std::string unit;
    auto operator<=>(const metric_key&) const = default;
    // "host|name|unit", as the HTTP endpoint takes it (a host containing '|' cannot be
    // written this way; the name may contain '|'). nullopt when it has fewer than two '|'.
    static std::optional<metric_key> parse(std::string_view text);
};

// Length-prefixed, so no host or name can collide with another.
struct metric_key_serde {
    nullable_bytes serialize(const metric_key& k, std::string& buffer) const;
    metric_key deserialize(nullable_bytes in) const;
};

// The largest magnitude a metric value may have (see above).
inline constexpr double max_metric_value = 1e300;

// One window's aggregate.
struct metric_stats {
    int64_t count = 0;
    double sum = 0;
    double min = 0;
    double max = 0;
};

// Fixed 32 bytes: the aggregate is read and written for every record.
struct metric_stats_serde {
    nullable_bytes serialize(const metric_stats& s, std::string& buffer) const;
    metric_stats deserialize(nullable_bytes in) const;
};

// `stats` with `value` (finite, within max_metric_value) added; the sum saturates as above.
metric_stats add(metric_stats stats, double value);
// Whether the sum of `stats` was pinned at +-DBL_MAX (or is not finite: stats written by an
// older version).
bool sum_saturated(const metric_stats& stats);
// The window's result. Every number in it is finite; "sum_saturated": true is added only
// when sum_saturated(stats).
nlohmann::json to_json(const metric_key& key, const metric_stats& stats, int64_t window_start,
                       int64_t window_end);

struct metrics_topics {
    std::string input = "raw-metrics";
    std::string output = "processed-metrics";
    std::string dead_letter = "raw-metrics.dlq";
};

struct metrics_options {
    std::chrono::milliseconds window{std::chrono::seconds(60)};
    std::chrono::milliseconds grace{std::chrono::seconds(10)};
    // true: exactly one result per window, when it closes (stream time passes its end
    // plus the grace). false: a result on every change, de-duplicated by the cache
    // between commits.
    bool emit_final = true;
};

// The window store, "metrics-windows": metric_key -> value_and_timestamp<metric_stats>.
inline constexpr const char* metrics_store = "metrics-windows";

// Adds the pipeline to `builder`.
void build_metrics_pipeline(stream_builder& builder, const metrics_topics& topics,
                            const metrics_options& options = {});

} // namespace brook::apps
