#include "apps/metrics/metrics_topology.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>
#include <utility>

#include "apps/common/json_fields.h"
#include "apps/metrics/metric_reader.h"
#include "engine/serde/json_serde.h"
#include "engine/serde/serdes.h"
#include "engine/text/safe_text.h"

namespace brook::apps {

namespace {

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
        // The metric's own time is its event time from here on: the windows go by it.
        const int64_t ts = parsed.ok ? parsed.ok->ts : r.timestamp;
        context().forward(record<std::optional<std::string>, parsed_metric>{
            std::move(r.key), std::move(parsed), ts, std::move(r.headers)});
    }
};

} // namespace

parsed_metric parse_metric(std::string_view raw, int64_t record_ts) {
    parsed_metric out;
    if (!check_json_text(raw, out.error)) {
        return out;
    }
    metric_reader in;
    // Strict: the whole of `raw` is the value; anything after it is an error.
    if (!nlohmann::json::sax_parse(raw.begin(), raw.end(), &in,
                                   nlohmann::json::input_format_t::json, true)) {
        out.error = "value is not valid JSON: " + in.error_message;
        return out;
    }
    if (!in.top_level_object) {
        out.error = "value is not a JSON object";
        return out;
    }
    // The checks of parse_metric_with_document, in its order.
    using kind = metric_field::kind;
    for (const auto& [field, name] : {std::pair{&in.name, "name"}, std::pair{&in.host, "host"},
                                      std::pair{&in.value, "value"}}) {
        if (field->type == kind::absent) {
            out.error = std::string("missing field '") + name + "'";
            return out;
        }
    }
    if (in.name.type != kind::string || in.host.type != kind::string) {
        out.error = "'name' and 'host' must be strings";
        return out;
    }
    if (!in.value.is_number()) {
        out.error = "'value' must be a number";
        return out;
    }
    if (const double v = in.value.as_double(); !(std::abs(v) <= max_metric_value)) {
        out.error = "'value' must be a number from -1e300 to 1e300";
        return out;
    }
    metric m;
    m.name = std::move(in.name.text);
    m.host = std::move(in.host.text);
    m.value = in.value.as_double();
    if (blank(m.name) || blank(m.host)) {
        out.error = "'name' and 'host' must not be empty";
        return out;
    }
    std::optional<uint64_t> ts;
    if (in.ts.type == kind::unsigned_integer) {
        ts = in.ts.unsigned_integer;
    }
    if (!read_event_time(in.ts.type != kind::absent, ts, record_ts, m.ts, out.error)) {
        return out;
    }
    if (in.unit.type != kind::absent) {
        if (in.unit.type != kind::string) {
            out.error = "'unit' must be a string";
            return out;
        }
        m.unit = std::move(in.unit.text);
    }
    if (in.tags_field.type != kind::absent) {
        if (in.tags_field.type != kind::object) {
            out.error = "'tags' must be an object";
            return out;
        }
        m.tags = std::move(in.tags);
    }
    out.ok = std::move(m);
    return out;
}

parsed_metric parse_metric_with_document(std::string_view raw, int64_t record_ts) {
    parsed_metric out;
    nlohmann::json doc;
    // Also refuses a number that overflows a double (1e999), so "value" is always finite.
    if (!parse_json_object(raw, doc, out.error)) {
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
    if (const double v = doc["value"].get<double>(); !(std::abs(v) <= max_metric_value)) {
        out.error = "'value' must be a number from -1e300 to 1e300";
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
    if (!read_event_time(doc, record_ts, m.ts, out.error)) {
        return out;
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

std::optional<metric_key> metric_key::parse(std::string_view text) {
    const size_t first = text.find('|');
    const size_t last = text.rfind('|');
    if (first == std::string_view::npos || first == last) {
        return std::nullopt;
    }
    return metric_key{std::string(text.substr(0, first)),
                      std::string(text.substr(first + 1, last - first - 1)),
                      std::string(text.substr(last + 1))};
}

namespace {

void put_u32(std::string& out, uint32_t v) {
    for (int i = 3; i >= 0; --i) {
        out.push_back(static_cast<char>(v >> (8 * i)));
    }
}

uint32_t get_u32(std::string_view in) {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
        v = (v << 8) | static_cast<unsigned char>(in[static_cast<size_t>(i)]);
    }
    return v;
}

// Reads one length-prefixed field from the front of `in`.
std::string take_field(std::string_view& in) {
    if (in.size() < 4 || in.size() - 4 < get_u32(in)) {
        throw serde_error("a metric key must be three length-prefixed fields; the bytes are cut");
    }
    const uint32_t n = get_u32(in);
    std::string field(in.substr(4, n));
    in.remove_prefix(4 + n);
    return field;
}

} // namespace

nullable_bytes metric_key_serde::serialize(const metric_key& k, std::string& buffer) const {
    buffer.clear();
    for (const std::string* field : {&k.host, &k.name, &k.unit}) {
        put_u32(buffer, static_cast<uint32_t>(field->size()));
        buffer.append(*field);
    }
    return nullable_bytes(std::string_view(buffer));
}

metric_key metric_key_serde::deserialize(nullable_bytes in) const {
    if (!in) {
        throw serde_error("a metric key cannot be null");
    }
    std::string_view rest = *in;
    metric_key k;
    k.host = take_field(rest);
    k.name = take_field(rest);
    k.unit = take_field(rest);
    if (!rest.empty()) {
        throw serde_error("a metric key has bytes after its three fields");
    }
    return k;
}

nullable_bytes metric_stats_serde::serialize(const metric_stats& s, std::string& buffer) const {
    static_assert(std::endian::native == std::endian::little,
                  "metric_stats_serde writes the host's byte order; add swapping for big-endian");
    buffer.resize(32);
    std::memcpy(buffer.data(), &s.count, 8);
    std::memcpy(buffer.data() + 8, &s.sum, 8);
    std::memcpy(buffer.data() + 16, &s.min, 8);
    std::memcpy(buffer.data() + 24, &s.max, 8);
    return nullable_bytes(std::string_view(buffer));
}

metric_stats metric_stats_serde::deserialize(nullable_bytes in) const {
    if (!in || in->size() != 32) {
        throw serde_error("metric stats must be 32 bytes");
    }
    metric_stats s;
    std::memcpy(&s.count, in->data(), 8);
    std::memcpy(&s.sum, in->data() + 8, 8);
    std::memcpy(&s.min, in->data() + 16, 8);
    std::memcpy(&s.max, in->data() + 24, 8);
    return s;
}

namespace {

constexpr double max_sum = std::numeric_limits<double>::max();

// A sum as JSON can write it: a non-finite one (only from stats an older version wrote) is
// shown pinned like a saturated one.
double finite_sum(double sum) {
    return std::isfinite(sum) ? sum : std::copysign(max_sum, sum);
}

} // namespace

bool sum_saturated(const metric_stats& stats) {
    return !(std::abs(stats.sum) < max_sum);
}

metric_stats add(metric_stats stats, double value) {
    stats.min = stats.count == 0 ? value : std::min(stats.min, value);
    stats.max = stats.count == 0 ? value : std::max(stats.max, value);
    // Once pinned, the true sum is unknown: adding to the pin would make up a value.
    if (!sum_saturated(stats)) {
        stats.sum = finite_sum(stats.sum + value);
    }
    ++stats.count;
    return stats;
}

nlohmann::json to_json(const metric_key& key, const metric_stats& stats, int64_t window_start,
                       int64_t window_end) {
    const double sum = finite_sum(stats.sum);
    nlohmann::json out{
        {"host", key.host},
        {"name", key.name},
        {"unit", key.unit.empty() ? nlohmann::json() : nlohmann::json(key.unit)},
        {"window_start", window_start},
        {"window_end", window_end},
        {"count", stats.count},
        {"sum", sum},
        {"min", stats.min},
        {"max", stats.max},
        {"avg", stats.count > 0 ? sum / static_cast<double>(stats.count) : 0.0},
    };
    if (sum_saturated(stats)) {
        out["sum_saturated"] = true;
    }
    return out;
}

void build_metrics_pipeline(stream_builder& builder, const metrics_topics& topics,
                            const metrics_options& options) {
    using key = std::optional<std::string>;
    auto branches =
        builder.stream<key, std::optional<std::string>>({topics.input})
            .process<parse_processor>([] { return std::make_unique<parse_processor>(); }, {},
                                      "parse-metric")
            .split("metrics-")
            .branch([](const key&, const parsed_metric& p) { return p.ok.has_value(); }, "valid")
            .default_branch("invalid");

    branches.at("metrics-valid")
        .map(
            [](const key&, const parsed_metric& p) {
                // Without the tags: they are not aggregated, and copying a document is work
                // for each record (bounded by max_json_depth, so never a stack overflow).
                const metric& in = *p.ok;
                metric m = normalise(
                    metric{in.name, in.host, in.value, in.ts, in.unit, nlohmann::json::object()});
                return key_value<metric_key, double>{
                    {std::move(m.host), std::move(m.name), m.unit.value_or("")}, m.value};
            },
            "normalise-metric")
        .group_by_key(grouped<metric_key, double, metric_key_serde>::as("metrics-by-host-name"))
        .windowed_by(time_windows::of_size_and_grace(options.window, options.grace))
        .emit_strategy(options.emit_final ? emit_strategy::on_window_close()
                                          : emit_strategy::on_window_update())
        .aggregate([] { return metric_stats{}; },
                   [](const metric_key&, double value, const metric_stats& stats) {
                       return add(stats, value);
                   },
                   materialized<metric_key, metric_stats, metric_key_serde, metric_stats_serde>::as(
                       metrics_store))
        .to_stream()
        .map(
            [](const windowed<metric_key>& w, const metric_stats& stats) {
                return key_value<std::string, nlohmann::json>{
                    w.key.host, to_json(w.key, stats, w.start, w.end)};
            },
            "metrics-to-json")
        .to(topics.output);

    branches.at("metrics-invalid")
        .with_dead_letter_headers(
            [](const key&, const parsed_metric& p) { return brook::text::safe(p.error); },
            "dead-letter-headers")
        .map_values([](const parsed_metric& p) { return p.raw; }, "original-value")
        .to(topics.dead_letter);
}

} // namespace brook::apps
