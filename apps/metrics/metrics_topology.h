#pragma once

// The metrics pipeline: raw-metrics -> processed-metrics, with unreadable or invalid
// records sent unchanged to raw-metrics.dlq with headers that say why.
//
// Input values are JSON: {"name": string, "host": string, "value": number,
// "ts": epoch ms (optional, else the record timestamp), "unit": string (optional),
// "tags": object (optional)}. Output values are the normalised metric as JSON: name
// trimmed and lower-cased; unit "ms" becomes "s" (value / 1000), "percent" or "%"
// becomes "ratio" (value / 100); other units pass through.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

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
metric normalise(metric m);
nlohmann::json to_json(const metric& m);

struct metrics_topics {
    std::string input = "raw-metrics";
    std::string output = "processed-metrics";
    std::string dead_letter = "raw-metrics.dlq";
};

// Adds the pipeline to `builder`.
void build_metrics_pipeline(stream_builder& builder, const metrics_topics& topics);

} // namespace brook::apps
