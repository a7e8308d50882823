// Fuzzes apps::parse_metric, the metrics app's reading of one input value (JSON text from
// any producer), and what follows it for a valid metric: normalise, the key serde and the
// window aggregate.
//
// Differential: parse_metric (one SAX pass) gives exactly what parse_metric_with_document
// (a whole nlohmann document) gives, the same metric or the same error, word for word.
//
// Invariants: an input is either a metric or an error, never both; a metric has a name and
// a host that are not blank, a finite value and ts from 1 ms to the end of 9999; writing it as JSON
// and parsing that again gives the same metric; normalise is idempotent and keeps the value finite;
// its key survives metric_key_serde; aggregating it keeps the sum finite.

#include <cmath>
#include <string>

#include <fmt/format.h>

#include "apps/common/json_fields.h"
#include "apps/metrics/metrics_topology.h"
#include "engine/serde/json_serde.h"
#include "fuzz/fuzz_support.h"

namespace {

using namespace brook;
using namespace brook::apps;

constexpr int64_t record_ts = 1700000000000;

bool same(const metric& a, const metric& b) {
    return a.name == b.name && a.host == b.host &&
           std::bit_cast<uint64_t>(a.value) == std::bit_cast<uint64_t>(b.value) && a.ts == b.ts &&
           a.unit == b.unit && a.tags == b.tags;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view raw = fuzz::as_text(data, size);
    const parsed_metric parsed = parse_metric(raw, record_ts);
    const parsed_metric reference = parse_metric_with_document(raw, record_ts);
    FUZZ_CHECK(parsed.error == reference.error,
               fmt::format("'{}' but the document reading says '{}': {}", parsed.error,
                           reference.error, fuzz::excerpt(raw)));
    FUZZ_CHECK(parsed.ok.has_value() == reference.ok.has_value() &&
                   (!parsed.ok || same(*parsed.ok, *reference.ok)),
               "the SAX and document readings differ: " + fuzz::excerpt(raw));
    FUZZ_CHECK(parsed.ok.has_value() != !parsed.error.empty(),
               fmt::format("ok={} error='{}'", parsed.ok.has_value(), parsed.error));
    FUZZ_CHECK(!parsed.raw.has_value(), "parse_metric must leave raw to the caller");
    if (!parsed.ok) {
        return 0;
    }
    const metric& m = *parsed.ok;
    FUZZ_CHECK(raw.find('\0') == std::string_view::npos,
               "accepted an input with a NUL byte: " + fuzz::excerpt(raw));
    FUZZ_CHECK(!blank(m.name) && !blank(m.host), fuzz::excerpt(raw));
    FUZZ_CHECK(std::isfinite(m.value), fmt::format("value {}", m.value));
    FUZZ_CHECK(m.ts >= 1 && m.ts <= max_event_time_ms, fmt::format("ts {}", m.ts));
    FUZZ_CHECK(m.tags.is_object(), m.tags.dump());

    // What the app writes for a metric reads back as the same metric.
    const std::string written = to_json(m).dump();
    const parsed_metric again = parse_metric(written, record_ts + 1);
    FUZZ_CHECK(again.ok && same(*again.ok, m), fmt::format("{} -> {} -> {}", fuzz::excerpt(raw),
                                                           fuzz::excerpt(written), again.error));

    const metric n = normalise(m);
    FUZZ_CHECK(std::isfinite(n.value), fmt::format("normalised value {}", n.value));
    FUZZ_CHECK(same(normalise(n), n), "normalise is not idempotent: " + fuzz::excerpt(written));

    const metric_key key{n.host, n.name, n.unit.value_or("")};
    std::string buffer;
    const nullable_bytes bytes = metric_key_serde{}.serialize(key, buffer);
    FUZZ_CHECK(bytes && metric_key_serde{}.deserialize(bytes) == key, "metric_key round trip");

    const metric_stats stats = add(add(metric_stats{}, n.value), n.value);
    FUZZ_CHECK(stats.count == 2 && stats.min <= stats.max, "aggregate");
    FUZZ_CHECK(std::isfinite(stats.sum),
               fmt::format("two values of {} sum to {}", n.value, stats.sum));
    return 0;
}
