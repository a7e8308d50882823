// The metrics pipeline (make demo's topology) through the test driver: valid records come
// out normalised, every kind of bad input goes to the DLQ unchanged with the reason.

#include <cmath>
#include <limits>
#include <map>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "apps/metrics/metrics_topology.h"
#include "engine/serde/json_serde.h"
#include "engine/testing/topology_test_driver.h"
#include "engine/text/safe_text.h"

namespace brook {
namespace {

using key = std::optional<std::string>;
using value = std::optional<std::string>;

struct pipeline {
    pipeline() {
        stream_builder b;
        apps::build_metrics_pipeline(b, {});
        driver = std::make_unique<topology_test_driver>(b.build());
    }
    std::unique_ptr<topology_test_driver> driver;
    test_input_topic<key, value> in() {
        return driver->create_input_topic<key, value>("raw-metrics");
    }
    test_output_topic<key, nlohmann::json> out() {
        return driver->create_output_topic<key, nlohmann::json>("processed-metrics");
    }
    test_output_topic<key, value> dlq() {
        return driver->create_output_topic<key, value>("raw-metrics.dlq");
    }
};

TEST(metrics_pipeline, metrics_are_normalised_and_aggregated_once_per_closed_window) {
    pipeline p;
    auto in = p.in();
    // Window [0, 60000) of web-1/cpu.usage: three readings, percent and % alike.
    in.pipe_input("web-1",
                  R"({"name":" CPU.Usage ","host":"web-1","value":42,"unit":"percent","ts":5})");
    in.pipe_input("web-1",
                  R"({"name":"cpu.usage","host":"web-1","value":10,"unit":"%","ts":59999})");
    in.pipe_input("web-1", R"({"name":"CPU.USAGE","host":"web-1","value":80,"unit":"percent"})",
                  30000); // no ts: the record timestamp is the event time
    in.pipe_input("web-1", R"({"name":"lat","host":"web-1","value":250,"unit":"ms","ts":6})");
    EXPECT_TRUE(p.out().is_empty()) << "emit final: nothing before the window closes";
    // Stream time 69999 < 60000 + 10000 grace: still open.
    in.pipe_input("web-2", R"({"name":"x","host":"web-2","value":1,"ts":69999})");
    EXPECT_TRUE(p.out().is_empty());
    // Stream time 70000 closes [0, 60000).
    in.pipe_input("web-2", R"({"name":"x","host":"web-2","value":1,"ts":70000})");
    auto records = p.out().read_records_to_list();
    ASSERT_EQ(records.size(), 2U);
    std::map<std::string, nlohmann::json> by_name;
    for (const auto& r : records) {
        EXPECT_EQ(r.key, "web-1") << "results are keyed by host";
        by_name[r.value["name"].get<std::string>()] = r.value;
    }
    EXPECT_EQ(by_name["cpu.usage"], (nlohmann::json{{"host", "web-1"},
                                                    {"name", "cpu.usage"},
                                                    {"unit", "ratio"},
                                                    {"window_start", 0},
                                                    {"window_end", 60000},
                                                    {"count", 3},
                                                    {"sum", 0.42 + 0.1 + 0.8},
                                                    {"min", 0.1},
                                                    {"max", 0.8},
                                                    {"avg", (0.42 + 0.1 + 0.8) / 3}}));
    EXPECT_EQ(by_name["lat"]["unit"], "s");
    EXPECT_EQ(by_name["lat"]["sum"], 0.25);
    EXPECT_EQ(by_name["lat"]["count"], 1);
    EXPECT_TRUE(p.dlq().is_empty());
    EXPECT_TRUE(p.out().is_empty()) << "exactly one result per window";
}

TEST(metrics_pipeline, units_that_do_not_normalise_to_one_another_are_never_summed) {
    pipeline p;
    auto in = p.in();
    in.pipe_input("h", R"({"name":"disk","host":"h","value":9,"unit":"bytes","ts":1})");
    in.pipe_input("h", R"({"name":"disk","host":"h","value":5,"ts":2})");
    in.pipe_input("h", R"({"name":"disk","host":"h","value":1,"unit":"bytes","ts":3})");
    in.pipe_input("h", R"({"name":"z","host":"h","value":1,"ts":200000})");
    std::map<std::string, nlohmann::json> by_unit;
    for (const auto& r : p.out().read_records_to_list()) {
        by_unit[r.value["unit"].is_null() ? "-" : r.value["unit"].get<std::string>()] = r.value;
    }
    ASSERT_EQ(by_unit.size(), 2U);
    EXPECT_EQ(by_unit["bytes"]["sum"], 10);
    EXPECT_EQ(by_unit["bytes"]["count"], 2);
    EXPECT_EQ(by_unit["-"]["sum"], 5) << "no unit is a unit of its own, written as null";
}

TEST(metrics_pipeline, window_size_and_grace_come_from_the_options) {
    stream_builder b;
    apps::metrics_options options;
    options.window = std::chrono::seconds(10);
    options.grace = std::chrono::seconds(0);
    apps::build_metrics_pipeline(b, {}, options);
    topology_test_driver driver(b.build());
    auto in = driver.create_input_topic<key, value>("raw-metrics");
    auto out = driver.create_output_topic<key, nlohmann::json>("processed-metrics");
    in.pipe_input("h", R"({"name":"n","host":"h","value":1,"ts":12345})");
    in.pipe_input("h", R"({"name":"n","host":"h","value":2,"ts":20000})");
    const auto records = out.read_records_to_list();
    ASSERT_EQ(records.size(), 1U);
    EXPECT_EQ(records[0].value["window_start"], 10000);
    EXPECT_EQ(records[0].value["window_end"], 20000);
    EXPECT_EQ(records[0].value["count"], 1);
}

TEST(metrics_pipeline, a_record_for_a_closed_window_is_dropped_and_counted_as_late) {
    pipeline p;
    auto in = p.in();
    in.pipe_input("h", R"({"name":"n","host":"h","value":1,"ts":1000})");
    in.pipe_input("h", R"({"name":"n","host":"h","value":1,"ts":130000})");
    ASSERT_EQ(p.out().read_records_to_list().size(), 1U);
    in.pipe_input("h", R"({"name":"n","host":"h","value":1,"ts":2000})");
    EXPECT_EQ(p.driver->counters().late_records_dropped.load(), 1U);
    in.pipe_input("h", R"({"name":"n","host":"h","value":1,"ts":400000})");
    const auto records = p.out().read_records_to_list();
    ASSERT_EQ(records.size(), 1U) << "only the window of 130000 closes, nothing for the late one";
    EXPECT_EQ(records[0].value["window_start"], 120000);
}

TEST(metrics_pipeline, emit_updates_writes_every_change_of_the_window) {
    stream_builder b;
    apps::metrics_options options;
    options.emit_final = false;
    apps::build_metrics_pipeline(b, {}, options);
    topology_test_driver driver(b.build());
    auto in = driver.create_input_topic<key, value>("raw-metrics");
    auto out = driver.create_output_topic<key, nlohmann::json>("processed-metrics");
    in.pipe_input("h", R"({"name":"n","host":"h","value":1,"ts":1})");
    in.pipe_input("h", R"({"name":"n","host":"h","value":3,"ts":2})");
    const auto records = out.read_records_to_list();
    ASSERT_EQ(records.size(), 2U) << "one update per commit (the driver commits after each)";
    EXPECT_EQ(records[0].value["count"], 1);
    EXPECT_EQ(records[1].value["count"], 2);
    EXPECT_EQ(records[1].value["max"], 3);
    // Without a commit between them, the cache folds two updates into one.
    driver.set_auto_commit(false);
    in.pipe_input("h", R"({"name":"n","host":"h","value":5,"ts":3})");
    in.pipe_input("h", R"({"name":"n","host":"h","value":7,"ts":4})");
    driver.commit();
    const auto folded = out.read_records_to_list();
    ASSERT_EQ(folded.size(), 1U);
    EXPECT_EQ(folded[0].value["count"], 4);
}

TEST(metrics_pipeline, metric_keys_round_trip_and_parse_from_their_text_form) {
    const apps::metric_key k{"web|1", "a|b", ""};
    std::string buffer;
    const apps::metric_key_serde serde;
    EXPECT_EQ(serde.deserialize(serde.serialize(k, buffer)), k);
    const std::string cut("\0\0\0\x09"
                          "ab",
                          6); // says 9 bytes follow, has 2
    EXPECT_THROW(serde.deserialize(nullable_bytes(std::string_view(cut))), serde_error);
    EXPECT_THROW(serde.deserialize(nullable_bytes()), serde_error);
    const auto parsed = apps::metric_key::parse("web-1|disk|free|bytes");
    ASSERT_TRUE(parsed);
    EXPECT_EQ(*parsed, (apps::metric_key{"web-1", "disk|free", "bytes"}));
    EXPECT_EQ(apps::metric_key::parse("web-1|cpu|"), (apps::metric_key{"web-1", "cpu", ""}));
    EXPECT_FALSE(apps::metric_key::parse("web-1|cpu"));
    EXPECT_FALSE(apps::metric_key::parse("nothing"));
}

TEST(metrics_pipeline, bad_records_go_to_the_dlq_unchanged_with_the_reason_and_their_origin) {
    pipeline p;
    auto in = p.in();
    const std::string ts_rule =
        "'ts' must be epoch milliseconds, an integer from 1 to 253402300799999";
    const std::vector<std::pair<std::string, std::string>> bad = {
        {"not json", "not valid JSON"},
        {"[1,2]", "not a JSON object"},
        {R"({"host":"h","value":1})", "missing field 'name'"},
        {R"({"name":"n","value":1})", "missing field 'host'"},
        {R"({"name":"n","host":"h"})", "missing field 'value'"},
        {R"({"name":5,"host":"h","value":1})", "'name' and 'host' must be strings"},
        {R"({"name":"n","host":"h","value":1,"unit":3})", "'unit' must be a string"},
        {R"({"name":"n","host":"  ","value":1})", "must not be empty"},
        {R"({"name":"n","host":"h","value":"1"})", "'value' must be a number"},
        {R"({"name":"n","host":"h","value":1e999})", "number overflow"},
        {R"({"name":"n","host":"h","value":1,"ts":-4})", ts_rule},
        {R"({"name":"n","host":"h","value":1,"ts":0})", ts_rule},
        {R"({"name":"n","host":"h","value":1,"ts":1.5})", ts_rule},
        {R"({"name":"n","host":"h","value":1,"ts":"5"})", ts_rule},
        {R"({"name":"n","host":"h","value":1,"ts":253402300800000})", ts_rule},
        {R"({"name":"n","host":"h","value":1,"ts":9223372036854775808})", ts_rule},
        {R"({"name":"n","host":"h","value":1,"tags":[1]})", "'tags' must be an object"},
    };
    for (const auto& [text, reason] : bad) {
        in.pipe_input("k", text, 1000);
    }
    // No "ts", and a record timestamp of 0 (what a producer that sets none writes) or -1.
    in.pipe_input("k", R"({"name":"n","host":"h","value":1})", 0);
    in.pipe_input("k", R"({"name":"n","host":"h","value":1})", -1);
    in.pipe_input(std::nullopt, std::nullopt); // a Kafka null value, and a null key
    EXPECT_TRUE(p.out().is_empty());
    auto dlq = p.dlq();
    for (size_t i = 0; i < bad.size(); ++i) {
        const captured_record r = dlq.read_raw();
        EXPECT_EQ(r.value, bad[i].first) << "the DLQ must hold the input unchanged";
        EXPECT_EQ(r.key, "k");
        const auto error = r.hdrs.last("error");
        ASSERT_TRUE(error.has_value());
        EXPECT_NE(error->find(bad[i].second), std::string_view::npos) << *error;
        EXPECT_EQ(r.hdrs.last("source-topic"), "raw-metrics");
        EXPECT_EQ(r.hdrs.last("source-partition"), "0");
        EXPECT_EQ(r.hdrs.last("source-offset"), std::to_string(i));
    }
    for (const int64_t record_ts : {int64_t{0}, int64_t{-1}}) {
        const captured_record no_time = dlq.read_raw();
        EXPECT_EQ(no_time.hdrs.last("error"),
                  fmt::format("no 'ts' field, and the record timestamp {} is not epoch "
                              "milliseconds from 1 to 253402300799999",
                              record_ts));
    }
    const captured_record null_record = dlq.read_raw();
    EXPECT_FALSE(null_record.value.has_value()) << "a null value stays null in the DLQ";
    EXPECT_FALSE(null_record.key.has_value());
    EXPECT_EQ(null_record.hdrs.last("error"), "value is null");
    EXPECT_TRUE(dlq.is_empty());
    EXPECT_EQ(p.driver->counters().dead_lettered.load(), bad.size() + 3)
        << "every dead-lettered record is counted for /metrics";
}

// Hostile but valid JSON: before the depth bound, tags nested 100,000 deep (about 200 KB)
// crashed brook-metrics with a stack overflow in the recursive copy of the tags.
TEST(metrics_pipeline, a_value_nested_deeper_than_64_levels_goes_to_the_dlq_and_crashes_nothing) {
    pipeline p;
    std::string tags;
    for (int i = 0; i < 100'000; ++i) {
        tags += R"({"a":)";
    }
    tags += "1" + std::string(100'000, '}');
    const std::string deep = R"({"name":"n","host":"h","value":1,"ts":5,"tags":)" + tags + "}";
    p.in().pipe_input("h", deep);
    // Shallow tags are fine.
    p.in().pipe_input("h", R"({"name":"n","host":"h","value":2,"ts":6,"tags":{"a":{"b":[1]}}})");
    p.in().pipe_input("h", R"({"name":"n","host":"h","value":1,"ts":200000})");
    const captured_record dead = p.dlq().read_raw();
    EXPECT_EQ(dead.value, deep) << "the DLQ holds the input unchanged";
    EXPECT_EQ(dead.hdrs.last("error"), "value is nested deeper than 64 levels");
    EXPECT_TRUE(p.dlq().is_empty());
    const auto out = p.out().read_records_to_list();
    ASSERT_EQ(out.size(), 1U);
    EXPECT_EQ(out[0].value["count"], 1);
    EXPECT_EQ(out[0].value["sum"], 2);
}

TEST(metrics_pipeline, a_value_followed_by_a_nul_byte_and_garbage_goes_to_the_dlq) {
    pipeline p;
    const std::string smuggled("{\"name\":\"n\",\"host\":\"h\",\"value\":1,\"ts\":5}\0garbage", 48);
    p.in().pipe_input("h", smuggled);
    p.in().pipe_input("h", R"({"name":"n","host":"h","value":1,"ts":5} {"more":1})");
    EXPECT_TRUE(p.out().is_empty());
    const captured_record nul = p.dlq().read_raw();
    EXPECT_EQ(nul.value, smuggled);
    EXPECT_NE(nul.hdrs.last("error")->find("is a NUL"), std::string_view::npos)
        << *nul.hdrs.last("error");
    const captured_record trailing = p.dlq().read_raw();
    EXPECT_NE(trailing.hdrs.last("error")->find("not valid JSON"), std::string_view::npos)
        << *trailing.hdrs.last("error");
}

// The reason quotes the input: before text::safe, a 600 KB token made a 600 KB header.
TEST(metrics_pipeline, the_dlq_error_header_is_bounded_and_valid_utf8_whatever_the_input) {
    pipeline p;
    const std::string huge = R"({"name":"n","host":"h","value":)" + std::string(600'000, 'x') + "}";
    p.in().pipe_input("h", huge);
    const std::string broken = "{\"name\":\"n\xff\xfe\",\"host\":\"h\",\"value\":\x01}";
    p.in().pipe_input("h", broken);
    for (const std::string& input : {huge, broken}) {
        const captured_record dead = p.dlq().read_raw();
        EXPECT_EQ(dead.value, input) << "the DLQ holds the input unchanged";
        const std::string error(dead.hdrs.last("error").value_or(""));
        EXPECT_TRUE(error.starts_with("value is not valid JSON: ")) << error;
        EXPECT_LE(error.size(), text::reason_limit + 64);
        EXPECT_TRUE(text::is_valid_utf8(error)) << error;
        EXPECT_EQ(error.find_first_of(std::string("\x01\n", 2)), std::string::npos) << error;
    }
}

// Every field of a window result but "unit" (null for none) is a string, a boolean or a
// finite number: JSON has no inf or nan, and nlohmann writes them as null.
void expect_every_number_finite(const nlohmann::json& result) {
    for (const auto& [field, v] : result.items()) {
        if (field != "unit") {
            EXPECT_FALSE(v.is_null()) << field << " in " << result.dump();
        }
        if (v.is_number()) {
            EXPECT_TRUE(std::isfinite(v.get<double>())) << field << " in " << result.dump();
        }
    }
}

// Before the bound, two values of 1e308 in one window gave "sum": null (inf in JSON).
TEST(metrics_pipeline, values_beyond_1e300_go_to_the_dlq_so_no_result_holds_null_inf_or_nan) {
    pipeline p;
    auto in = p.in();
    in.pipe_input("h", R"({"name":"n","host":"h","value":1e308,"ts":5})");
    in.pipe_input("h", R"({"name":"n","host":"h","value":-1e308,"ts":5})");
    in.pipe_input("h", R"({"name":"n","host":"h","value":1.0000001e300,"ts":5})");
    in.pipe_input("h", R"({"name":"n","host":"h","value":1e300,"ts":5})");
    in.pipe_input("h", R"({"name":"n","host":"h","value":1e300,"ts":6})");
    in.pipe_input("h", R"({"name":"n","host":"h","value":-1e300,"unit":"ms","ts":7})");
    in.pipe_input("h", R"({"name":"z","host":"h","value":1,"ts":200000})");
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(p.dlq().read_raw().hdrs.last("error"),
                  "'value' must be a number from -1e300 to 1e300");
    }
    EXPECT_TRUE(p.dlq().is_empty());
    std::map<std::string, nlohmann::json> by_unit;
    for (const auto& r : p.out().read_records_to_list()) {
        by_unit[r.value["unit"].is_null() ? "-" : r.value["unit"].get<std::string>()] = r.value;
    }
    ASSERT_EQ(by_unit.size(), 2U);
    EXPECT_EQ(by_unit["-"]["sum"], 2e300);
    EXPECT_EQ(by_unit["-"]["avg"], 1e300);
    EXPECT_FALSE(by_unit["-"].contains("sum_saturated"));
    EXPECT_EQ(by_unit["s"]["sum"], -1e297);
    for (const auto& [unit, result] : by_unit) {
        expect_every_number_finite(result);
    }
}

TEST(metrics_pipeline, a_sum_past_the_largest_double_saturates_stays_pinned_and_is_marked) {
    const double max = std::numeric_limits<double>::max();
    apps::metric_stats s;
    s = apps::add(s, 1e300);
    s.sum = max * (1 - 1e-12); // as if 10^8 values near the limit had come before
    EXPECT_FALSE(apps::sum_saturated(s));
    s = apps::add(s, 1e300);
    EXPECT_EQ(s.sum, max);
    EXPECT_TRUE(apps::sum_saturated(s));
    s = apps::add(s, -1e300);
    EXPECT_EQ(s.sum, max) << "a pinned sum is no longer known: it stays pinned";
    EXPECT_EQ(s.count, 3);
    EXPECT_EQ(s.min, -1e300);
    EXPECT_EQ(s.max, 1e300);
    const nlohmann::json j = apps::to_json(apps::metric_key{"h", "n", ""}, s, 0, 60000);
    EXPECT_EQ(j["sum"], max);
    EXPECT_EQ(j["avg"], max / 3);
    EXPECT_EQ(j["sum_saturated"], true);

    apps::metric_stats down;
    down = apps::add(down, -1e300);
    down.sum = -max;
    down = apps::add(down, 1e300);
    EXPECT_EQ(down.sum, -max);
    // Stats an older version stored with an infinite sum are written finite, and marked.
    apps::metric_stats old{2, std::numeric_limits<double>::infinity(), 1, 2};
    const nlohmann::json k = apps::to_json(apps::metric_key{"h", "n", ""}, old, 0, 60000);
    EXPECT_EQ(k["sum"], max);
    EXPECT_EQ(k["sum_saturated"], true);
    expect_every_number_finite(k);
}
} // namespace
} // namespace brook
