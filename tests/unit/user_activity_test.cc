// The user-activity pipeline through the test driver: validation and the DLQ, re-keying,
// deduplication by event_id, tumbling windows (bounds, grace, final vs updates, by_type and
// order totals) and session windows merging.

#include <algorithm>
#include <limits>

#include <gtest/gtest.h>

#include "apps/user_activity/user_activity_topology.h"
#include "engine/serde/json_serde.h"
#include "engine/store/get_store.h"
#include "engine/testing/topology_test_driver.h"
#include "engine/text/safe_text.h"

namespace brook {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using text = std::optional<std::string>;

constexpr int64_t minute = 60'000;
constexpr int64_t hour = 60 * minute;

std::string user_event(const std::string& event_id, const std::string& user_id,
                       const std::string& type, int64_t ts) {
    return json{{"event_id", event_id}, {"user_id", user_id}, {"event_type", type}, {"ts", ts}}
        .dump();
}

std::string order_event(const std::string& event_id, const std::string& user_id,
                        int64_t amount_cents, int64_t ts) {
    return json{{"event_id", event_id},
                {"user_id", user_id},
                {"order_id", "order-" + event_id},
                {"amount_cents", amount_cents},
                {"ts", ts}}
        .dump();
}

json window(const std::string& user, int64_t start, int64_t events, const json& by_type,
            int64_t orders, int64_t total_cents) {
    return {{"user_id", user},
            {"window_start", start},
            {"window_end", start + minute},
            {"events", events},
            {"by_type", by_type},
            {"orders", orders},
            {"order_total_cents", total_cents}};
}

json session(const std::string& user, int64_t start, int64_t end, int64_t events, int64_t orders,
             int64_t total_cents) {
    return {{"user_id", user},  {"session_start", start}, {"session_end", end},
            {"events", events}, {"orders", orders},       {"order_total_cents", total_cents}};
}

// The topology under a driver, with its topics.
struct pipeline {
    explicit pipeline(apps::user_activity_options o = {}) : options(std::move(o)) {
        stream_builder b;
        apps::build_user_activity_topology(b, options);
        driver = std::make_unique<topology_test_driver>(
            b.build(), std::map<std::string, std::string>{{"application.id", "ua"}});
    }
    static pipeline emitting_updates(apps::user_activity_options o = {}) {
        o.emit = emit_strategy::on_window_update();
        return pipeline(std::move(o));
    }

    void user(const std::string& value, text key = "u1") { users().pipe_input(key, value, 0); }
    void order(const std::string& value, text key = "u1") { orders().pipe_input(key, value, 0); }
    test_input_topic<text, text> users() {
        return driver->create_input_topic<text, text>("user-events");
    }
    test_input_topic<text, text> orders() {
        return driver->create_input_topic<text, text>("order-events");
    }
    // Results sorted by user, then window start: windows closed by one record come out in
    // start order, but users of one start in store order.
    std::vector<key_value<std::string, json>> results(const std::string& topic) {
        auto out = driver->create_output_topic<std::string, json>(topic).read_key_values_to_list();
        std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
            return a.value["user_id"] < b.value["user_id"];
        });
        return out;
    }
    std::vector<key_value<std::string, json>> windows() { return results("user-activity"); }
    std::vector<key_value<std::string, json>> sessions() {
        return results("user-activity-sessions");
    }
    uint64_t duplicates() const { return options.counters->duplicates_dropped.load(); }

    apps::user_activity_options options;
    std::unique_ptr<topology_test_driver> driver;
};

TEST(user_activity, a_window_counts_user_events_by_type_and_sums_orders_per_user) {
    pipeline p;
    p.user(user_event("e1", "u1", "click", 1000));
    p.user(user_event("e2", "u1", "view", 2000));
    p.user(user_event("e3", "u1", "click", 3000));
    p.order(order_event("o1", "u1", 250, 4000));
    p.order(order_event("o2", "u1", 100, 5000));
    p.user(user_event("e4", "u2", "click", 6000), "u2");
    EXPECT_TRUE(p.windows().empty()) << "emitting final results, nothing before the window closes";

    // Stream time 70 s: close time 70 s - 10 s grace reaches the end of [0, 60 s).
    p.user(user_event("e5", "u3", "click", 70'000), "u3");
    EXPECT_EQ(p.windows(), (std::vector<key_value<std::string, json>>{
                               {"u1", window("u1", 0, 3, {{"click", 2}, {"view", 1}}, 2, 350)},
                               {"u2", window("u2", 0, 1, {{"click", 1}}, 0, 0)}}));
}

TEST(user_activity, windows_are_one_minute_epoch_aligned_with_an_exclusive_end_and_grace) {
    pipeline p;
    p.user(user_event("a", "u1", "view", 59'999));
    p.user(user_event("b", "u1", "click", 60'000));
    p.user(user_event("c", "u1", "click", 65'000));
    // Stream time 65 s, close time 55 s: [0, 60 s) still takes a record within the grace.
    p.user(user_event("d", "u1", "buy", 30'000));
    EXPECT_TRUE(p.windows().empty());

    p.user(user_event("e", "u9", "view", 130'000), "u9"); // close time 120 s: both close
    EXPECT_EQ(p.windows(), (std::vector<key_value<std::string, json>>{
                               {"u1", window("u1", 0, 2, {{"view", 1}, {"buy", 1}}, 0, 0)},
                               {"u1", window("u1", minute, 2, {{"click", 2}}, 0, 0)}}));

    p.user(user_event("f", "u1", "view", 1000)); // its window is closed: dropped and counted
    p.user(user_event("g", "u9", "view", 500'000), "u9");
    EXPECT_EQ(p.windows(), (std::vector<key_value<std::string, json>>{
                               {"u9", window("u9", 2 * minute, 1, {{"view", 1}}, 0, 0)}}))
        << "a closed window is emitted once, and a late event does not reopen it";
    EXPECT_EQ(p.driver->counters().late_records_dropped.load(), 1U);
}

TEST(user_activity, window_size_and_grace_come_from_the_options) {
    apps::user_activity_options o;
    o.window = 10s;
    o.grace = 0s;
    pipeline p(std::move(o));
    p.user(user_event("a", "u1", "view", 9'999));
    p.user(user_event("b", "u1", "view", 10'000)); // close time 10 s: [0, 10 s) closes
    const auto out = p.windows();
    ASSERT_EQ(out.size(), 1U);
    EXPECT_EQ(out[0].value["window_start"], 0);
    EXPECT_EQ(out[0].value["window_end"], 10'000);
    EXPECT_EQ(out[0].value["events"], 1);
}

TEST(user_activity, emitting_updates_writes_each_change_and_the_cache_merges_them_per_commit) {
    pipeline p = pipeline::emitting_updates();
    p.user(user_event("e1", "u1", "click", 1000));
    p.order(order_event("o1", "u1", 250, 2000));
    EXPECT_EQ(p.windows(), (std::vector<key_value<std::string, json>>{
                               {"u1", window("u1", 0, 1, {{"click", 1}}, 0, 0)},
                               {"u1", window("u1", 0, 1, {{"click", 1}}, 1, 250)}}))
        << "the driver commits after every record, so each one shows";

    p.driver->set_auto_commit(false);
    p.user(user_event("e2", "u1", "view", 3000));
    p.user(user_event("e3", "u1", "view", 4000));
    EXPECT_TRUE(p.windows().empty()) << "held in the store's cache until the commit";
    p.driver->commit();
    EXPECT_EQ(p.windows(), (std::vector<key_value<std::string, json>>{
                               {"u1", window("u1", 0, 3, {{"click", 1}, {"view", 2}}, 1, 250)}}));
}

TEST(user_activity, events_are_rekeyed_by_user_id_through_a_repartition_topic) {
    pipeline p = pipeline::emitting_updates();
    p.user(user_event("e1", "u1", "click", 1000), std::nullopt);
    p.user(user_event("e2", "u1", "click", 2000), "not-the-user");
    p.order(order_event("o1", "u1", 5, 3000), "o1");
    const auto out = p.windows();
    ASSERT_EQ(out.size(), 3U);
    for (const auto& r : out) {
        EXPECT_EQ(r.key, "u1") << "results are keyed by user_id whatever the input key";
    }
    EXPECT_EQ(out.back().value, window("u1", 0, 2, {{"click", 2}}, 1, 5))
        << "differently keyed events of one user meet in one window";
    const auto topics = p.driver->produced_topics();
    EXPECT_NE(std::find(topics.begin(), topics.end(), "ua-by-user-repartition"), topics.end());
}

TEST(user_activity, a_duplicate_event_id_within_the_retention_is_dropped_and_counted) {
    pipeline p = pipeline::emitting_updates();
    const std::string first = user_event("e1", "u1", "click", 1000);
    p.user(first);
    p.user(first, std::nullopt); // a producer retry, even with another key
    EXPECT_EQ(p.duplicates(), 1U);
    p.order(order_event("e1", "u1", 70, 2000)); // same id, other kind: not a duplicate
    p.user(user_event("e2", "u1", "view", 30 * minute));
    // Sent again half an hour later and stamped anew: still within the hour.
    p.user(user_event("e1", "u1", "click", 1000 + 30 * minute));
    EXPECT_EQ(p.duplicates(), 2U);
    // More than an hour after it was first seen: a new event as far as dedupe knows.
    p.user(user_event("e1", "u1", "click", 1000 + hour + 1));
    EXPECT_EQ(p.duplicates(), 2U);

    EXPECT_EQ(p.windows(), (std::vector<key_value<std::string, json>>{
                               {"u1", window("u1", 0, 1, {{"click", 1}}, 0, 0)},
                               {"u1", window("u1", 0, 1, {{"click", 1}}, 1, 70)},
                               {"u1", window("u1", 30 * minute, 1, {{"view", 1}}, 0, 0)},
                               {"u1", window("u1", hour, 1, {{"click", 1}}, 0, 0)}}));

    auto& seen = get_store<window_store<std::string, int64_t>>(
        p.driver->state_store(apps::user_activity_dedupe_store));
    std::vector<int64_t> e1;
    seen.fetch("user:e1", 0, std::numeric_limits<int64_t>::max(), [&](int64_t start, int64_t ts) {
        EXPECT_EQ(start, ts);
        e1.push_back(ts);
        return true;
    });
    EXPECT_EQ(e1, (std::vector<int64_t>{1000, 1000 + hour + 1}));
    EXPECT_EQ(seen.fetch("order:e1", 2000), std::optional<int64_t>(2000));
    // Logged, so a restarted or moved task restores what it has seen.
    EXPECT_EQ(p.driver->unread("ua-user-activity-dedupe-changelog"), 4U);
}

TEST(user_activity, the_dedupe_retention_comes_from_the_options) {
    apps::user_activity_options o;
    o.dedupe_retention = 1s;
    o.emit = emit_strategy::on_window_update();
    pipeline p(std::move(o));
    p.user(user_event("e1", "u1", "click", 1000));
    p.user(user_event("e1", "u1", "click", 2000)); // 1 s apart: within, dropped
    p.user(user_event("e1", "u1", "click", 2001));
    EXPECT_EQ(p.duplicates(), 1U);
    EXPECT_EQ(p.windows().back().value["events"], 2);
}

TEST(user_activity, the_repartition_and_store_json_refuses_integers_beyond_64_bits) {
    // nlohmann's own reading casts 1e300 into an int64_t field: undefined behaviour (found
    // by fuzz/serdes.cc). The checked reading refuses it, and reads what it writes.
    const json_serde<apps::activity> activity_serde;
    const std::string order = R"({"kind":"order","event_id":"e","user_id":"u","event_type":"",)"
                              R"("order_id":"o","amount_cents":)";
    EXPECT_THROW(activity_serde.deserialize(std::string_view(order + "1e300}")), serde_error);
    EXPECT_THROW(activity_serde.deserialize(std::string_view(order + "18446744073709551615}")),
                 serde_error);
    EXPECT_EQ(
        activity_serde.deserialize(std::string_view(order + "9223372036854775807}")).amount_cents,
        std::numeric_limits<int64_t>::max());

    const json_serde<apps::activity_totals> totals_serde;
    EXPECT_THROW(totals_serde.deserialize(std::string_view(
                     R"({"events":1,"by_type":{"view":1e300},"orders":0,"order_total_cents":0})")),
                 serde_error);
    apps::activity_totals t;
    t.events = 3;
    t.by_type = {{"view", 2}, {"click", 1}};
    t.orders = 1;
    t.order_total_cents = 250;
    std::string buffer;
    const apps::activity_totals back = totals_serde.deserialize(totals_serde.serialize(t, buffer));
    EXPECT_EQ(back.events, 3);
    EXPECT_EQ(back.by_type, t.by_type);
    EXPECT_EQ(back.order_total_cents, 250);
}

TEST(user_activity, order_totals_saturate_instead_of_overflowing) {
    pipeline p = pipeline::emitting_updates();
    const int64_t max = std::numeric_limits<int64_t>::max();
    p.order(order_event("o1", "u1", max, 1000));
    p.order(order_event("o2", "u1", max, 2000));
    EXPECT_EQ(p.windows().back().value["order_total_cents"], max);
}

TEST(user_activity, bad_records_go_to_their_topics_dlq_unchanged_with_the_reason_and_origin) {
    const std::string ts_rule = "'ts' must be epoch milliseconds, an integer from 1 to "
                                "253402300799999";
    const std::string amount_rule = "'amount_cents' must be an integer >= 0";
    struct bad {
        bool order;
        std::string value;
        std::string reason;
    };
    const std::vector<bad> cases = {
        {false, "[1,2]", "value is not a JSON object"},
        {false, R"({"user_id":"u1","event_type":"click"})", "missing field 'event_id'"},
        {false, R"({"event_id":"","user_id":"u1","event_type":"click"})",
         "'event_id' must be a non-empty string"},
        {false, R"({"event_id":7,"user_id":"u1","event_type":"click"})",
         "'event_id' must be a non-empty string"},
        {false, R"({"event_id":"e","event_type":"click"})", "missing field 'user_id'"},
        {false, R"({"event_id":"e","user_id":"  ","event_type":"click"})",
         "'user_id' must be a non-empty string"},
        {false, R"({"event_id":"e","user_id":"u1"})", "missing field 'event_type'"},
        {false, R"({"event_id":"e","user_id":"u1","event_type":null})",
         "'event_type' must be a non-empty string"},
        {false, R"({"event_id":"e","user_id":"u1","event_type":"click","ts":-1})", ts_rule},
        {false, R"({"event_id":"e","user_id":"u1","event_type":"click","ts":0})", ts_rule},
        {true, R"({"event_id":"e","user_id":"u1","order_id":"o","amount_cents":1,"ts":0})",
         ts_rule},
        {false, R"({"event_id":"e","user_id":"u1","event_type":"click","ts":1.5})", ts_rule},
        {false, R"({"event_id":"e","user_id":"u1","event_type":"click","ts":"5"})", ts_rule},
        {false, R"({"event_id":"e","user_id":"u1","event_type":"click","ts":253402300800000})",
         ts_rule},
        {true, R"({"event_id":"e","user_id":"u1","amount_cents":1})", "missing field 'order_id'"},
        {true, R"({"event_id":"e","user_id":"u1","order_id":"","amount_cents":1})",
         "'order_id' must be a non-empty string"},
        {true, R"({"event_id":"e","user_id":"u1","order_id":"o"})", "missing field 'amount_cents'"},
        {true, R"({"event_id":"e","user_id":"u1","order_id":"o","amount_cents":-1})", amount_rule},
        {true, R"({"event_id":"e","user_id":"u1","order_id":"o","amount_cents":2.5})", amount_rule},
        {true, R"({"event_id":"e","user_id":"u1","order_id":"o","amount_cents":"100"})",
         amount_rule},
        {true,
         R"({"event_id":"e","user_id":"u1","order_id":"o","amount_cents":9223372036854775808})",
         amount_rule},
        {true, R"({"user_id":"u1","order_id":"o","amount_cents":1})", "missing field 'event_id'"},
    };
    pipeline p = pipeline::emitting_updates(); // anything that got through would show at once
    for (const auto& c : cases) {
        (c.order ? p.orders() : p.users()).pipe_input("k", c.value, 5);
    }
    p.users().pipe_input("k", "not json", 6);
    p.users().pipe_input("k", std::nullopt, 7);
    p.orders().pipe_input(std::nullopt, std::nullopt, 8);
    p.users().pipe_input("k", R"({"event_id":"e","user_id":"u1","event_type":"click"})", -1);
    p.orders().pipe_input("k", R"({"event_id":"e","user_id":"u1","order_id":"o","amount_cents":1})",
                          0);
    EXPECT_TRUE(p.windows().empty());

    auto user_dlq = p.driver->create_output_topic<text, text>("user-events.dlq");
    auto order_dlq = p.driver->create_output_topic<text, text>("order-events.dlq");
    int64_t user_offset = 0;
    int64_t order_offset = 0;
    for (const auto& c : cases) {
        const captured_record r = (c.order ? order_dlq : user_dlq).read_raw();
        EXPECT_EQ(r.value, c.value) << "the DLQ holds the input unchanged";
        EXPECT_EQ(r.key, "k");
        EXPECT_EQ(r.timestamp, 5);
        EXPECT_EQ(r.hdrs.last("error"), c.reason) << c.value;
        EXPECT_EQ(r.hdrs.last("source-topic"), c.order ? "order-events" : "user-events");
        EXPECT_EQ(r.hdrs.last("source-partition"), "0");
        EXPECT_EQ(r.hdrs.last("source-offset"),
                  std::to_string(c.order ? order_offset++ : user_offset++));
    }
    const captured_record not_json = user_dlq.read_raw();
    EXPECT_EQ(not_json.value, "not json");
    ASSERT_TRUE(not_json.hdrs.last("error").has_value());
    EXPECT_TRUE(not_json.hdrs.last("error")->starts_with("value is not valid JSON: "))
        << *not_json.hdrs.last("error");

    const captured_record null_value = user_dlq.read_raw();
    EXPECT_FALSE(null_value.value.has_value()) << "a null value stays null in the DLQ";
    EXPECT_EQ(null_value.hdrs.last("error"), "value is null");
    const captured_record null_order = order_dlq.read_raw();
    EXPECT_FALSE(null_order.key.has_value());
    EXPECT_FALSE(null_order.value.has_value());
    EXPECT_EQ(null_order.hdrs.last("error"), "value is null");
    EXPECT_EQ(null_order.hdrs.last("source-offset"), std::to_string(order_offset));

    const captured_record no_time = user_dlq.read_raw();
    EXPECT_EQ(no_time.hdrs.last("error"),
              "no 'ts' field, and the record timestamp -1 is not epoch milliseconds from 1 to "
              "253402300799999");
    EXPECT_EQ(order_dlq.read_raw().hdrs.last("error"),
              "no 'ts' field, and the record timestamp 0 is not epoch milliseconds from 1 to "
              "253402300799999")
        << "a producer that sets no time writes 0: not taken for 1970";
    EXPECT_TRUE(user_dlq.is_empty());
    EXPECT_TRUE(order_dlq.is_empty());
}

TEST(user_activity, without_ts_the_record_timestamp_is_the_event_time) {
    pipeline p = pipeline::emitting_updates();
    p.users().pipe_input("u1", R"({"event_id":"e","user_id":"u1","event_type":"click"})",
                         2 * minute + 5);
    const auto out = p.windows();
    ASSERT_EQ(out.size(), 1U);
    EXPECT_EQ(out[0].value["window_start"], 2 * minute);
}

TEST(user_activity, dead_letter_topics_follow_the_input_topic_names) {
    apps::user_activity_options o;
    o.user_events_topic = "clicks";
    o.order_events_topic = "purchases";
    pipeline p(std::move(o));
    p.driver->create_input_topic<text, text>("clicks").pipe_input("k", "{}", 1);
    p.driver->create_input_topic<text, text>("purchases").pipe_input("k", "{}", 1);
    EXPECT_EQ(p.driver->unread("clicks.dlq"), 1U);
    EXPECT_EQ(p.driver->unread("purchases.dlq"), 1U);
}

TEST(user_activity, a_late_event_that_bridges_two_sessions_merges_them_into_one) {
    apps::user_activity_options o;
    o.sessions = true;
    pipeline p(std::move(o));
    p.user(user_event("e1", "u1", "click", 1000));
    // More than the 5 min gap later: a second session. The first stays open to merging
    // until stream time passes its end + gap + grace (311 s).
    p.user(user_event("e2", "u1", "view", 305'000));
    // Late, and within the gap of both: one session now.
    p.order(order_event("o1", "u1", 500, 150'000));
    EXPECT_TRUE(p.sessions().empty());

    // A session closes once stream time - grace - gap passes its end: 305 s + 310 s.
    p.user(user_event("e3", "u9", "view", 615'000), "u9");
    EXPECT_TRUE(p.sessions().empty());
    p.user(user_event("e4", "u9", "view", 615'001), "u9");
    EXPECT_EQ(p.sessions(), (std::vector<key_value<std::string, json>>{
                                {"u1", session("u1", 1000, 305'000, 2, 1, 500)}}));
}

TEST(user_activity, emitting_updates_a_merged_session_replaces_the_ones_it_joined) {
    apps::user_activity_options o;
    o.sessions = true;
    o.emit = emit_strategy::on_window_update();
    pipeline p(std::move(o));
    p.user(user_event("e1", "u1", "click", 1000));
    p.user(user_event("e2", "u1", "view", 305'000));
    p.order(order_event("o1", "u1", 500, 150'000));
    EXPECT_EQ(p.sessions(), (std::vector<key_value<std::string, json>>{
                                {"u1", session("u1", 1000, 1000, 1, 0, 0)},
                                {"u1", session("u1", 305'000, 305'000, 1, 0, 0)},
                                {"u1", session("u1", 1000, 305'000, 2, 1, 500)}}))
        << "the tombstones of the two joined sessions are not written";
}

TEST(user_activity, sessions_are_written_only_when_asked_for) {
    pipeline p = pipeline::emitting_updates();
    p.user(user_event("e1", "u1", "click", 1000));
    EXPECT_EQ(p.windows().size(), 1U);
    EXPECT_TRUE(p.sessions().empty());
    EXPECT_THROW(p.driver->state_store(apps::user_activity_sessions_store), topology_error);
}

TEST(user_activity, the_stores_are_named_and_typed_for_interactive_queries) {
    apps::user_activity_options o;
    o.sessions = true;
    pipeline p(std::move(o));
    p.user(user_event("e1", "u1", "click", 1000));
    auto& windows = get_store<timestamped_window_store<std::string, apps::activity_totals>>(
        p.driver->state_store(apps::user_activity_windows_store));
    const auto totals = windows.fetch("u1", 0);
    ASSERT_TRUE(totals.has_value());
    EXPECT_EQ(totals->value.events, 1);
    auto& sessions = get_store<session_store<std::string, apps::activity_totals>>(
        p.driver->state_store(apps::user_activity_sessions_store));
    EXPECT_EQ(sessions.fetch_session("u1", 1000, 1000)->by_type,
              (std::map<std::string, int64_t>{{"click", 1}}));
    EXPECT_NO_THROW((get_store<window_store<std::string, int64_t>>(
        p.driver->state_store(apps::user_activity_dedupe_store))));
}

TEST(user_activity, a_non_positive_dedupe_retention_is_refused) {
    apps::user_activity_options o;
    o.dedupe_retention = 0ms;
    stream_builder b;
    EXPECT_THROW(apps::build_user_activity_topology(b, o), std::invalid_argument);
}

TEST(user_activity, values_nested_deeper_than_64_levels_or_with_bytes_after_them_go_to_the_dlq) {
    pipeline p = pipeline::emitting_updates();
    // Other fields are ignored, but not read blind: a 100,000-deep one is refused unread.
    const std::string deep = R"({"event_id":"e1","user_id":"u1","event_type":"click","ts":1000,)"
                             R"("extra":)" +
                             std::string(100'000, '[') + std::string(100'000, ']') + "}";
    p.users().pipe_input("u1", deep, 5);
    const std::string smuggled = user_event("e2", "u1", "click", 1000) + std::string("\0x", 2);
    p.users().pipe_input("u1", smuggled, 5);
    p.orders().pipe_input("u1", order_event("o1", "u1", 1, 1000) + " trailing", 5);
    EXPECT_TRUE(p.windows().empty());
    auto user_dlq = p.driver->create_output_topic<text, text>("user-events.dlq");
    const captured_record too_deep = user_dlq.read_raw();
    EXPECT_EQ(too_deep.value, deep);
    EXPECT_EQ(too_deep.hdrs.last("error"), "value is nested deeper than 64 levels");
    const captured_record nul = user_dlq.read_raw();
    EXPECT_EQ(nul.value, smuggled);
    EXPECT_NE(nul.hdrs.last("error")->find("is a NUL"), std::string_view::npos);
    auto order_dlq = p.driver->create_output_topic<text, text>("order-events.dlq");
    EXPECT_NE(order_dlq.read_raw().hdrs.last("error")->find("not valid JSON"),
              std::string_view::npos);
}

TEST(user_activity, the_dlq_error_header_is_bounded_and_valid_utf8_whatever_the_input) {
    pipeline p;
    const std::string huge = R"({"event_id":)" + std::string(600'000, 'y') + "}";
    p.users().pipe_input("u1", huge, 5);
    p.orders().pipe_input("u1", "\xc0\xaf\n not json", 5);
    auto user_dlq = p.driver->create_output_topic<text, text>("user-events.dlq");
    auto order_dlq = p.driver->create_output_topic<text, text>("order-events.dlq");
    for (const captured_record& dead : {user_dlq.read_raw(), order_dlq.read_raw()}) {
        const std::string error(dead.hdrs.last("error").value_or(""));
        EXPECT_TRUE(error.starts_with("value is not valid JSON: ")) << error;
        EXPECT_LE(error.size(), brook::text::reason_limit + 64);
        EXPECT_TRUE(brook::text::is_valid_utf8(error)) << error;
        EXPECT_EQ(error.find('\n'), std::string::npos) << error;
    }
}

} // namespace
} // namespace brook
