// Cogrouped aggregations through the topology test driver (Kafka Streams'
// CogroupedKStreamImplTest semantics): several grouped streams of different value types
// update one aggregate per key, each with its own aggregator, in processing order; inputs
// whose key changed are repartitioned each through its own topic; windowed cogroups keep
// one aggregate per key and window and drop late records.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "engine/errors.h"
#include "engine/store/get_store.h"
#include "engine/testing/topology_test_driver.h"
#include "operators/stream_builder.h"

namespace brook {
namespace {

using namespace std::chrono_literals;

const std::map<std::string, std::string> no_cache{{"application.id", "cogroup"},
                                                  {"statestore.cache.max.bytes", "0"}};

// "clicks" count 1 each, "purchases" add their cents, into "totals".
TEST(cogroup, inputs_of_different_types_update_one_aggregate_per_key) {
    stream_builder b;
    auto clicks = b.stream<std::string, std::string>({"clicks"}).group_by_key();
    auto purchases = b.stream<std::string, int64_t>({"purchases"}).group_by_key();
    clicks
        .cogroup<int64_t>(
            [](const std::string&, const std::string&, int64_t agg) { return agg + 1; })
        .cogroup(purchases,
                 [](const std::string&, int64_t cents, int64_t agg) { return agg + cents; })
        .aggregate([] { return int64_t{1000}; }, materialized<std::string, int64_t>::as("totals"))
        .to_stream()
        .to("out");
    topology_test_driver driver(b.build(), no_cache);
    auto c = driver.create_input_topic<std::string, std::string>("clicks");
    auto p = driver.create_input_topic<std::string, int64_t>("purchases");
    auto out = driver.create_output_topic<std::string, int64_t>("out");
    c.pipe_input("a", "x", 1); // 1000 + 1
    p.pipe_input("a", 250, 2); // + 250
    p.pipe_input("b", 5, 3);   // 1000 + 5
    c.pipe_input("a", "y", 4); // + 1
    using rows = std::vector<std::tuple<std::string, int64_t, int64_t>>;
    rows got;
    for (auto& r : out.read_records_to_list()) {
        got.emplace_back(r.key, r.value, r.timestamp);
    }
    EXPECT_EQ(got, (rows{{"a", 1001, 1}, {"a", 1251, 2}, {"b", 1005, 3}, {"a", 1252, 4}}));
    auto& store =
        get_store<timestamped_key_value_store<std::string, int64_t>>(driver.state_store("totals"));
    EXPECT_EQ(store.get("a")->value, 1252);
    EXPECT_EQ(store.get("a")->timestamp, 4);
}

TEST(cogroup, re_keyed_inputs_are_repartitioned_each_through_its_own_topic) {
    stream_builder b;
    // Keyed by user; grouped by the value's first letter.
    auto first_letter = [](const std::string&, const std::string& v) { return v.substr(0, 1); };
    auto left =
        b.stream<std::string, std::string>({"left"}).select_key(first_letter).group_by_key();
    auto right =
        b.stream<std::string, std::string>({"right"}).select_key(first_letter).group_by_key();
    left.cogroup<std::string>([](const std::string&, const std::string& v, const std::string& agg) {
            return agg + "L" + v;
        })
        .cogroup(right, [](const std::string&, const std::string& v,
                           const std::string& agg) { return agg + "R" + v; })
        .aggregate([] { return std::string(); },
                   materialized<std::string, std::string>::as("words"))
        .to_stream()
        .to("out");
    const topology topo = b.build();
    const auto sources = topo.source_topics("app");
    for (const char* topic : {"app-words-repartition", "app-words-1-repartition"}) {
        EXPECT_NE(std::find(sources.begin(), sources.end(), topic), sources.end()) << topic;
    }
    topology_test_driver driver(topo, no_cache);
    auto l = driver.create_input_topic<std::string, std::string>("left");
    auto r = driver.create_input_topic<std::string, std::string>("right");
    auto out = driver.create_output_topic<std::string, std::string>("out");
    l.pipe_input("u1", "apple", 1);
    r.pipe_input("u2", "avocado", 2);
    r.pipe_input("u3", "banana", 3);
    std::vector<std::pair<std::string, std::string>> got;
    for (auto& rec : out.read_records_to_list()) {
        got.emplace_back(rec.key, rec.value);
    }
    EXPECT_EQ(got, (std::vector<std::pair<std::string, std::string>>{
                       {"a", "Lapple"}, {"a", "LappleRavocado"}, {"b", "Rbanana"}}));
}

TEST(cogroup, windowed_cogroups_keep_one_aggregate_per_window_and_drop_late_records) {
    stream_builder b;
    auto a = b.stream<std::string, int32_t>({"a"}).group_by_key();
    auto c = b.stream<std::string, int32_t>({"c"}).group_by_key();
    a.cogroup<int64_t>([](const std::string&, int32_t v, int64_t agg) { return agg + v; })
        .cogroup(c, [](const std::string&, int32_t v, int64_t agg) { return agg - v; })
        .windowed_by(time_windows::of_size_and_grace(10ms, 0ms))
        .aggregate([] { return int64_t{0}; })
        .to_stream()
        .to("out");
    topology_test_driver driver(b.build(), no_cache);
    auto ain = driver.create_input_topic<std::string, int32_t>("a");
    auto cin = driver.create_input_topic<std::string, int32_t>("c");
    auto out = driver.create_output_topic<windowed<std::string>, int64_t>("out");
    ain.pipe_input("k", 5, 1);
    cin.pipe_input("k", 2, 3);
    ain.pipe_input("k", 7, 12);  // window [10,20); [0,10) closes (no grace)
    cin.pipe_input("k", 100, 4); // late for [0,10): dropped
    std::vector<std::tuple<int64_t, int64_t>> got;
    for (auto& r : out.read_records_to_list()) {
        got.emplace_back(r.key.start, r.value);
    }
    EXPECT_EQ(got, (std::vector<std::tuple<int64_t, int64_t>>{{0, 5}, {0, 3}, {10, 7}}));
    EXPECT_EQ(driver.counters().late_records_dropped.load(), 1u);
}

TEST(cogroup, session_windowed_cogroups_merge_sessions_across_inputs) {
    stream_builder b;
    auto a = b.stream<std::string, int32_t>({"a"}).group_by_key();
    auto c = b.stream<std::string, int32_t>({"c"}).group_by_key();
    a.cogroup<int64_t>([](const std::string&, int32_t v, int64_t agg) { return agg + v; })
        .cogroup(c, [](const std::string&, int32_t v, int64_t agg) { return agg - v; })
        .windowed_by(session_windows::of_inactivity_gap_and_grace(5ms, 0ms))
        .aggregate([] { return int64_t{0}; },
                   [](const std::string&, int64_t x, int64_t y) { return x + y; })
        .to_stream()
        .to("out");
    topology_test_driver driver(b.build(), no_cache);
    auto ain = driver.create_input_topic<std::string, int32_t>("a");
    auto cin = driver.create_input_topic<std::string, int32_t>("c");
    auto out = driver.create_output_topic<windowed<std::string>, std::optional<int64_t>>("out");
    ain.pipe_input("k", 5, 0);  // session [0,0] = 5
    cin.pipe_input("k", 2, 3);  // from the other input: merged into [0,3] = 3
    ain.pipe_input("k", 1, 20); // a new session
    using row = std::tuple<int64_t, int64_t, std::optional<int64_t>>;
    std::vector<row> got;
    for (auto& r : out.read_records_to_list()) {
        got.emplace_back(r.key.start, r.key.end, r.value);
    }
    EXPECT_EQ(got, (std::vector<row>{{0, 0, 5}, {0, 0, std::nullopt}, {0, 3, 3}, {20, 20, 1}}));
}

TEST(cogroup, the_result_is_a_table_like_any_other_and_suppress_finds_its_grace) {
    stream_builder b;
    auto a = b.stream<std::string, int32_t>({"a"}).group_by_key();
    auto windowed_sum =
        a.cogroup<int64_t>([](const std::string&, int32_t v, int64_t agg) { return agg + v; })
            .windowed_by(time_windows::of_size_and_grace(10ms, 5ms))
            .aggregate([] { return int64_t{0}; });
    windowed_sum.suppress(suppressed::until_window_closes(buffer_config::unbounded()))
        .to_stream()
        .to("final");
    topology_test_driver driver(b.build(), no_cache);
    auto in = driver.create_input_topic<std::string, int32_t>("a");
    auto out = driver.create_output_topic<windowed<std::string>, int64_t>("final");
    in.pipe_input("k", 1, 0);
    in.pipe_input("k", 2, 9);
    EXPECT_TRUE(out.read_records_to_list().empty());
    in.pipe_input("k", 4, 15); // [0,10) closes at 15
    auto got = out.read_records_to_list();
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].value, 3);
    EXPECT_NE(b.build().describe().find("COGROUPKSTREAM-MERGE-"), std::string::npos);
}

} // namespace
} // namespace brook
