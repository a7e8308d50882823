// Fuzzes apps::parse_activity, the user-activity app's reading of one input value of
// either kind (the first input byte picks user event or order; the rest is the value),
// and the aggregation of what it accepts.
//
// Invariants: an input is either an activity or an error, never both; an activity has the
// fields its kind needs, not blank, amount_cents >= 0 and an event time from 1 to
// 9999-12-31; written as the app's repartition JSON (json_serde<activity>) it reads back
// the same, and written as an input value it parses to the same activity; the totals
// never go negative, saturate instead of overflowing, and merging two totals equals adding
// both activities.

#include <string>

#include <fmt/format.h>

#include "apps/common/json_fields.h"
#include "apps/user_activity/user_activity_topology.h"
#include "engine/serde/json_serde.h"
#include "engine/serde/serdes.h"
#include "fuzz/fuzz_support.h"

namespace {

using namespace brook;
using namespace brook::apps;

constexpr int64_t record_ts = 1700000000000;

bool same(const activity& a, const activity& b) {
    return a.kind == b.kind && a.event_id == b.event_id && a.user_id == b.user_id &&
           a.event_type == b.event_type && a.order_id == b.order_id &&
           a.amount_cents == b.amount_cents;
}

bool same(const activity_totals& a, const activity_totals& b) {
    return a.events == b.events && a.by_type == b.by_type && a.orders == b.orders &&
           a.order_total_cents == b.order_total_cents;
}

// The activity as an input value the app would accept.
std::string as_input(const activity& a, int64_t ts) {
    nlohmann::json j{{"event_id", a.event_id}, {"user_id", a.user_id}, {"ts", ts}};
    if (a.kind == activity_kind::user_event) {
        j["event_type"] = a.event_type;
    } else {
        j["order_id"] = a.order_id;
        j["amount_cents"] = a.amount_cents;
    }
    return j.dump();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) {
        return 0;
    }
    const activity_kind kind =
        (data[0] & 1) != 0 ? activity_kind::order : activity_kind::user_event;
    const std::string_view raw = fuzz::as_text(data + 1, size - 1);
    const parsed_activity parsed = parse_activity(kind, raw, record_ts);
    FUZZ_CHECK(parsed.ok.has_value() != !parsed.error.empty(),
               fmt::format("ok={} error='{}'", parsed.ok.has_value(), parsed.error));
    if (!parsed.ok) {
        return 0;
    }
    const activity& a = *parsed.ok;
    FUZZ_CHECK(raw.find('\0') == std::string_view::npos,
               "accepted an input with a NUL byte: " + fuzz::excerpt(raw));
    FUZZ_CHECK(a.kind == kind, "kind");
    FUZZ_CHECK(!blank(a.event_id) && !blank(a.user_id), fuzz::excerpt(raw));
    if (kind == activity_kind::user_event) {
        FUZZ_CHECK(!blank(a.event_type), fuzz::excerpt(raw));
    } else {
        FUZZ_CHECK(!blank(a.order_id) && a.amount_cents >= 0, fuzz::excerpt(raw));
    }
    FUZZ_CHECK(parsed.ts >= 1 && parsed.ts <= max_event_time_ms, fmt::format("ts {}", parsed.ts));

    // The repartition topic's form.
    std::string buffer;
    const json_serde<activity> serde;
    const nullable_bytes bytes = serde.serialize(a, buffer);
    FUZZ_CHECK(bytes && same(serde.deserialize(bytes), a), "json_serde<activity> round trip");
    // The input form.
    const std::string input = as_input(a, parsed.ts);
    const parsed_activity again = parse_activity(kind, input, record_ts + 1);
    FUZZ_CHECK(
        again.ok && same(*again.ok, a) && again.ts == parsed.ts,
        fmt::format("{} -> {} -> {}", fuzz::excerpt(raw), fuzz::excerpt(input), again.error));

    const activity_totals one = add_activity(a.user_id, a, {});
    const activity_totals two = add_activity(a.user_id, a, one);
    FUZZ_CHECK(same(merge_totals(a.user_id, one, one), two), "merge(add, add) != add(add)");
    activity_totals near_max;
    near_max.order_total_cents = std::numeric_limits<int64_t>::max() - 1;
    const activity_totals saturated = add_activity(a.user_id, a, near_max);
    FUZZ_CHECK(saturated.order_total_cents >= near_max.order_total_cents, "order total wrapped");
    FUZZ_CHECK(two.events >= 0 && two.orders >= 0 && two.order_total_cents >= 0, "negative");
    return 0;
}
