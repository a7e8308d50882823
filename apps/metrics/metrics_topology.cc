#include "apps/metrics/metrics_topology.h"

#include <algorithm>
#include <cctype>

namespace brook::apps {

namespace {

std::string trim_lower(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())) != 0) {
        s.remove_prefix(1);
    }
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())) != 0) {
        s.remove_suffix(1);
    }
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

bool blank(const std::string& s) {
    return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isspace(c) != 0; });
}

// The processor API inside the DSL: parsing needs the record's timestamp as the default
// event time, which a plain map_values does not see.
class parse_processor final
    : public processor<std::optional<std::string>, std::optional<std::string>,
                       std::optional<std::string>, parsed_metric> {
public:
    void process(record<std::optional<std::string>, std::optional<std::string>>&& r) override {
        parsed_metric parsed;
        if (r.value) {
            parsed = parse_metric(*r.value, r.timestamp);
        } else {
            parsed.error = "value is null";
        }
        parsed.raw = std::move(r.value); // moved, not copied: only the DLQ needs it
        context().forward(record<std::optional<std::string>, parsed_metric>{
            std::move(r.key), std::move(parsed), r.timestamp, std::move(r.headers)});
    }
};

} // namespace

parsed_metric parse_metric(std::string_view raw, int64_t record_ts) {
    parsed_metric out;
    nlohmann::json doc;
    try {
        doc = nlohmann::json::parse(raw);
    } catch (const nlohmann::json::exception& e) { // parse_error, or out_of_range on overflow
        // Also where a number overflows a double (1e999): JSON has no other way to write a
        // non-finite value, so parsed numbers are always finite.
        out.error = std::string("value is not valid JSON: ") + e.what();
        return out;
    }
    if (!doc.is_object()) {
        out.error = "value is not a JSON object";
        return out;
    }
    for (const char* field : {"name", "host", "value"}) {
        if (!doc.contains(field)) {
            out.error = std::string("missing field '") + field + "'";
            return out;
        }
    }
    if (!doc["name"].is_string() || !doc["host"].is_string()) {
        out.error = "'name' and 'host' must be strings";
        return out;
    }
    if (!doc["value"].is_number()) {
        out.error = "'value' must be a number";
        return out;
    }
    metric m;
    m.name = doc["name"].get<std::string>();
    m.host = doc["host"].get<std::string>();
    m.value = doc["value"].get<double>();
    if (blank(m.name) || blank(m.host)) {
        out.error = "'name' and 'host' must not be empty";
        return out;
    }
    m.ts = record_ts;
    if (doc.contains("ts")) {
        if (!doc["ts"].is_number_integer() || doc["ts"].get<int64_t>() < 0) {
            out.error = "'ts' must be non-negative epoch milliseconds";
            return out;
        }
        m.ts = doc["ts"].get<int64_t>();
    }
    if (doc.contains("unit")) {
        if (!doc["unit"].is_string()) {
            out.error = "'unit' must be a string";
            return out;
        }
        m.unit = doc["unit"].get<std::string>();
    }
    if (doc.contains("tags")) {
        if (!doc["tags"].is_object()) {
            out.error = "'tags' must be an object";
            return out;
        }
        m.tags = doc["tags"];
    }
    out.ok = std::move(m);
    return out;
}

metric normalise(metric m) {
    m.name = trim_lower(m.name);
    if (m.unit) {
        const std::string unit = trim_lower(*m.unit);
        if (unit == "ms") {
            m.value /= 1000.0;
            m.unit = "s";
        } else if (unit == "percent" || unit == "%") {
            m.value /= 100.0;
            m.unit = "ratio";
        }
    }
    return m;
}

nlohmann::json to_json(const metric& m) {
    nlohmann::json j{{"name", m.name}, {"host", m.host}, {"value", m.value}, {"ts", m.ts}};
    if (m.unit) {
        j["unit"] = *m.unit;
    }
    if (!m.tags.empty()) {
        j["tags"] = m.tags;
    }
    return j;
}

void build_metrics_pipeline(stream_builder& builder, const metrics_topics& topics) {
    using key = std::optional<std::string>;
    auto branches =
        builder.stream<key, std::optional<std::string>>({topics.input})
            .process<parse_processor>([] { return std::make_unique<parse_processor>(); }, {},
                                      "parse-metric")
            .split("metrics-")
            .branch([](const key&, const parsed_metric& p) { return p.ok.has_value(); }, "valid")
            .default_branch("invalid");

    branches.at("metrics-valid")
        .map_values([](const parsed_metric& p) { return to_json(normalise(*p.ok)); },
                    "normalise-metric")
        .to(topics.output);

    branches.at("metrics-invalid")
        .with_dead_letter_headers([](const key&, const parsed_metric& p) { return p.error; },
                                  "dead-letter-headers")
        .map_values([](const parsed_metric& p) { return p.raw; }, "original-value")
        .to(topics.dead_letter);
}

} // namespace brook::apps
