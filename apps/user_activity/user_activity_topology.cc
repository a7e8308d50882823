#include "apps/user_activity/user_activity_topology.h"

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>

#include "apps/common/json_fields.h"
#include "engine/serde/json_serde.h"
#include "engine/store/get_store.h"
#include "engine/store/stores.h"
#include "engine/text/safe_text.h"

namespace brook::apps {

namespace {

// A Kafka key or value as it comes: text, or a Kafka null.
using text = std::optional<std::string>;

constexpr int64_t int64_max = std::numeric_limits<int64_t>::max();

// a + b for a, b >= 0, capped at INT64_MAX: the operands come from user input, and a signed
// overflow would be undefined behaviour.
int64_t saturating_add(int64_t a, int64_t b) {
    return a > int64_max - b ? int64_max : a + b;
}

// The readers of the fields json_fields has no reader for, in its way: each sets `out` from
// one field of `doc` and returns true, or sets `error` to the reason the field is wrong and
// returns false.

// nlohmann reads every integer >= 0 as unsigned, so this also refuses negative numbers,
// fractions and integers beyond int64.
bool read_count(const nlohmann::json& value, uint64_t max, int64_t& out) {
    if (!value.is_number_unsigned() || value.get<uint64_t>() > max) {
        return false;
    }
    out = static_cast<int64_t>(value.get<uint64_t>());
    return true;
}

// `value` (field `name`) as an int64_t, for the checked from_json below.
int64_t int64_value(const nlohmann::json& value, std::string_view name) {
    if (value.is_number_integer() && !value.is_number_unsigned()) {
        return value.get<int64_t>();
    }
    if (value.is_number_unsigned() && value.get<uint64_t>() <= static_cast<uint64_t>(int64_max)) {
        return static_cast<int64_t>(value.get<uint64_t>());
    }
    throw serde_error(
        fmt::format("field '{}' is not an integer that fits 64 bits", brook::text::safe(name)));
}

int64_t int64_field(const nlohmann::json& j, const char* name) {
    return int64_value(j.at(name), name);
}

bool read_amount(const nlohmann::json& doc, int64_t& out, std::string& error) {
    const auto it = doc.find("amount_cents");
    if (it == doc.end()) {
        error = "missing field 'amount_cents'";
        return false;
    }
    if (!read_count(*it, int64_max, out)) {
        error = "'amount_cents' must be an integer >= 0";
        return false;
    }
    return true;
}

// The processor API inside the DSL: parsing sets the record's timestamp to the event time
// (the windows use the record timestamp), which map_values cannot.
class parse_processor final : public processor<text, text, text, parsed_activity> {
public:
    explicit parse_processor(activity_kind kind) : _kind(kind) {}

    void process(record<text, text>&& r) override {
        parsed_activity parsed;
        if (r.value) {
            parsed = parse_activity(_kind, *r.value, r.timestamp);
        } else {
            parsed.error = "value is null";
        }
        // An invalid record keeps its timestamp: the DLQ gets it unchanged.
        const int64_t timestamp = parsed.ok ? parsed.ts : r.timestamp;
        parsed.raw = std::move(r.value); // moved, not copied: only the DLQ needs it
        context().forward(record<text, parsed_activity>{std::move(r.key), std::move(parsed),
                                                        timestamp, std::move(r.headers)});
    }

private:
    activity_kind _kind;
};

// Drops an event whose kind and event_id were seen at an event time within the retention of
// its own, and remembers it otherwise, in a window store keyed by "<kind>:<event_id>" with
// the event time as window start (old ids expire with their segments). Runs after the
// repartition by user, so every copy of an event reaches this task whatever its input key;
// the store is logged, so what it has seen survives a restart or a move of the task.
//
// Lifecycle: one per task, made by the supplier; init() finds the store the task opened.
// Threading: the task's thread; the counters are shared atomics. Ownership: borrows the
// store, shares the counters.
class dedupe_processor final : public processor<std::string, activity> {
public:
    dedupe_processor(std::chrono::milliseconds retention,
                     std::shared_ptr<user_activity_counters> counters)
        : _retention_ms(retention.count()), _counters(std::move(counters)) {}

    void init(context_type& context) override {
        _seen = &get_store<window_store<std::string, int64_t>>(context, user_activity_dedupe_store);
    }

    void process(record<std::string, activity>&& r) override {
        _id = r.value.kind == activity_kind::user_event ? "user:" : "order:";
        _id += r.value.event_id;
        bool seen = false;
        _seen->fetch(_id, std::max<int64_t>(0, r.timestamp - _retention_ms),
                     saturating_add(r.timestamp, _retention_ms), [&](int64_t, const int64_t&) {
                         seen = true;
                         return false;
                     });
        if (seen) {
            _counters->duplicates_dropped.fetch_add(1, std::memory_order_relaxed);
            return;
        }
        _seen->put(_id, r.timestamp, r.timestamp);
        context().forward(std::move(r));
    }

private:
    int64_t _retention_ms;
    std::shared_ptr<user_activity_counters> _counters;
    window_store<std::string, int64_t>* _seen = nullptr;
    std::string _id; // reused: no allocation per record
};

nlohmann::json window_result(const windowed<std::string>& window, const activity_totals& t) {
    return {{"user_id", window.key},
            {"window_start", window.start},
            {"window_end", window.end},
            {"events", t.events},
            {"by_type", t.by_type},
            {"orders", t.orders},
            {"order_total_cents", t.order_total_cents}};
}

nlohmann::json session_result(const windowed<std::string>& session, const activity_totals& t) {
    return {{"user_id", session.key},     {"session_start", session.start},
            {"session_end", session.end}, {"events", t.events},
            {"orders", t.orders},         {"order_total_cents", t.order_total_cents}};
}

// One input topic: valid events come out as activities stamped with their event time;
// invalid records go unchanged to "<topic>.dlq" with the reason. `kind` also names the nodes.
stream<text, activity> parse_input(stream_builder& builder, const std::string& topic,
                                   activity_kind kind) {
    const std::string node = kind == activity_kind::user_event ? "user-event" : "order-event";
    auto branches =
        builder.stream<text, text>({topic})
            .process<parse_processor>([kind] { return std::make_unique<parse_processor>(kind); },
                                      {}, "parse-" + node)
            .split(node + "-")
            .branch([](const text&, const parsed_activity& p) { return p.ok.has_value(); }, "valid")
            .default_branch("invalid");

    branches.at(node + "-invalid")
        .with_dead_letter_headers(
            [](const text&, const parsed_activity& p) { return brook::text::safe(p.error); },
            node + "-dead-letter-headers")
        .map_values([](const parsed_activity& p) { return p.raw; }, node + "-original-value")
        .to(dead_letter_topic(topic));

    return branches.at(node + "-valid")
        .map_values([](const parsed_activity& p) { return *p.ok; }, node + "-activity");
}

} // namespace

parsed_activity parse_activity(activity_kind kind, std::string_view raw, int64_t record_ts) {
    parsed_activity out;
    nlohmann::json doc;
    if (!parse_json_object(raw, doc, out.error)) {
        return out;
    }
    activity a;
    a.kind = kind;
    // Each reader sets its field, or out.error and false: the first failure is the reason.
    bool valid = read_non_empty_string(doc, "event_id", a.event_id, out.error) &&
                 read_non_empty_string(doc, "user_id", a.user_id, out.error);
    if (kind == activity_kind::user_event) {
        valid = valid && read_non_empty_string(doc, "event_type", a.event_type, out.error);
    } else {
        valid = valid && read_non_empty_string(doc, "order_id", a.order_id, out.error) &&
                read_amount(doc, a.amount_cents, out.error);
    }
    valid = valid && read_event_time(doc, record_ts, out.ts, out.error);
    if (valid) {
        out.ok = std::move(a);
    }
    return out;
}

activity_totals add_activity(const std::string& /*user_id*/, const activity& a,
                             activity_totals totals) {
    if (a.kind == activity_kind::user_event) {
        ++totals.events;
        ++totals.by_type[a.event_type];
    } else {
        ++totals.orders;
        totals.order_total_cents = saturating_add(totals.order_total_cents, a.amount_cents);
    }
    return totals;
}

activity_totals merge_totals(const std::string& /*user_id*/, activity_totals a,
                             const activity_totals& b) {
    a.events += b.events;
    for (const auto& [type, count] : b.by_type) {
        a.by_type[type] += count;
    }
    a.orders += b.orders;
    a.order_total_cents = saturating_add(a.order_total_cents, b.order_total_cents);
    return a;
}

void build_user_activity_topology(stream_builder& builder, const user_activity_options& options) {
    if (options.dedupe_retention.count() <= 0) {
        throw std::invalid_argument(fmt::format("the dedupe retention must be positive, got {} ms",
                                                options.dedupe_retention.count()));
    }
    const auto users = parse_input(builder, options.user_events_topic, activity_kind::user_event);
    const auto orders = parse_input(builder, options.order_events_topic, activity_kind::order);

    // All events of a user, and so all copies of one event, must meet in one task before
    // any state: key by user_id (a no-op for events keyed so already) and repartition.
    const auto by_user =
        users.merge(orders, "merge-activity")
            .select_key([](const text&, const activity& a) { return a.user_id; }, "key-by-user-id")
            .repartition(repartitioned<std::string, activity>{.name = "by-user"});

    // RocksDB, logged and cached: the builder's defaults. The window size means nothing to
    // the dedupe processor; the builder only wants it no larger than the retention.
    builder.add_state_store(
        stores::window_store_builder<std::string, int64_t>(
            user_activity_dedupe_store, options.dedupe_retention, options.dedupe_retention)
            .build());
    // process_values: the dedupe processor forwards every record under the key it came
    // with, so the grouping below needs no second repartition.
    const auto unique = by_user.process_values<dedupe_processor>(
        [retention = options.dedupe_retention, counters = options.counters] {
            return std::make_unique<dedupe_processor>(retention, counters);
        },
        {user_activity_dedupe_store}, "dedupe-by-event-id");
    const auto per_user = unique.group_by_key();

    per_user.windowed_by(time_windows::of_size_and_grace(options.window, options.grace))
        .emit_strategy(options.emit)
        .aggregate([] { return activity_totals{}; }, add_activity,
                   materialized<std::string, activity_totals>::as(user_activity_windows_store))
        .to_stream("windows-to-stream")
        .map(
            [](const windowed<std::string>& w, const activity_totals& t) {
                return key_value<std::string, nlohmann::json>{w.key, window_result(w, t)};
            },
            "window-result")
        .to(options.output_topic);

    if (!options.sessions) {
        return;
    }
    per_user
        .windowed_by(
            session_windows::of_inactivity_gap_and_grace(options.session_gap, options.grace))
        .emit_strategy(options.emit)
        .aggregate([] { return activity_totals{}; }, add_activity, merge_totals,
                   materialized<std::string, activity_totals>::as(user_activity_sessions_store))
        .to_stream("sessions-to-stream")
        // Emitting updates, a session that an event merged into a bigger one comes as a
        // tombstone (nullopt); the bigger session, written right after, supersedes it.
        .filter([](const windowed<std::string>&,
                   const std::optional<activity_totals>& t) { return t.has_value(); },
                "drop-merged-sessions")
        .map(
            [](const windowed<std::string>& s, const std::optional<activity_totals>& t) {
                return key_value<std::string, nlohmann::json>{s.key, session_result(s, *t)};
            },
            "session-result")
        .to(options.sessions_topic);
}

void to_json(nlohmann::json& j, const activity& a) {
    j = nlohmann::json{{"kind", a.kind},         {"event_id", a.event_id},
                       {"user_id", a.user_id},   {"event_type", a.event_type},
                       {"order_id", a.order_id}, {"amount_cents", a.amount_cents}};
}

void from_json(const nlohmann::json& j, activity& a) {
    j.at("kind").get_to(a.kind);
    j.at("event_id").get_to(a.event_id);
    j.at("user_id").get_to(a.user_id);
    j.at("event_type").get_to(a.event_type);
    j.at("order_id").get_to(a.order_id);
    a.amount_cents = int64_field(j, "amount_cents");
}

void to_json(nlohmann::json& j, const activity_totals& t) {
    j = nlohmann::json{{"events", t.events},
                       {"by_type", t.by_type},
                       {"orders", t.orders},
                       {"order_total_cents", t.order_total_cents}};
}

void from_json(const nlohmann::json& j, activity_totals& t) {
    t.events = int64_field(j, "events");
    t.orders = int64_field(j, "orders");
    t.order_total_cents = int64_field(j, "order_total_cents");
    t.by_type.clear();
    const nlohmann::json& by_type = j.at("by_type");
    if (!by_type.is_object()) {
        throw serde_error("field 'by_type' is not an object");
    }
    for (const auto& [type, count] : by_type.items()) {
        t.by_type[type] = int64_value(count, type);
    }
}

} // namespace brook::apps
