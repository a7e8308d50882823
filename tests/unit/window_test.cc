// Tumbling, hopping and sliding windowed aggregations through the topology test driver:
// window assignment, out-of-order records within grace, late records past grace (dropped
// and counted), both emit strategies, caching, typed window store lookups, option
// validation and the description of a grouped windowed count.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <ostream>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "engine/store/get_store.h"
#include "engine/testing/topology_test_driver.h"
#include "operators/stream_builder.h"

namespace brook {
namespace {

using namespace std::chrono_literals;

const std::map<std::string, std::string> no_cache{{"application.id", "app"},
                                                  {"statestore.cache.max.bytes", "0"}};
const std::map<std::string, std::string> with_cache{{"application.id", "app"}};

// One windowed result as the output topic holds it.
struct result {
    std::string key;
    int64_t start = 0;
    int64_t end = 0;
    int64_t value = 0;
    int64_t timestamp = 0;
    auto operator<=>(const result&) const = default;
};

std::ostream& operator<<(std::ostream& out, const result& r) {
    return out << r.key << "@[" << r.start << "," << r.end << ")=" << r.value << " ts "
               << r.timestamp;
}

using results = std::vector<result>;

results read_all(topology_test_driver& driver, const std::string& topic = "out") {
    auto out = driver.create_output_topic<windowed<std::string>, int64_t>(topic);
    results all;
    for (auto& r : out.read_records_to_list()) {
        all.push_back({r.key.key, r.key.start, r.key.end, r.value, r.timestamp});
    }
    return all;
}

results sorted(results r) {
    std::sort(r.begin(), r.end());
    return r;
}

uint64_t late(const topology_test_driver& driver) {
    return driver.counters().late_records_dropped.load();
}

// builder.stream("in").group_by_key().windowed_by(w).emit_strategy(e).count(m).to_stream().to("out")
template <class W>
topology windowed_count(
    W windows, emit_strategy emit = emit_strategy::on_window_update(),
    materialized<std::string, int64_t> m = materialized<std::string, int64_t>::as("counts")) {
    stream_builder b;
    b.stream<std::string, std::string>({"in"})
        .group_by_key()
        .windowed_by(windows)
        .emit_strategy(emit)
        .count(m)
        .to_stream()
        .to("out");
    return b.build();
}

// ---- tumbling windows ----

TEST(window, tumbling_count_with_caching_off_forwards_every_update_of_every_window) {
    topology_test_driver driver(windowed_count(time_windows::of_size_with_no_grace(10ms)),
                                no_cache);
    auto in = driver.create_input_topic<std::string, std::string>("in");
    in.pipe_input("a", "", 1);
    in.pipe_input("a", "", 5);
    in.pipe_input("b", "", 7);
    in.pipe_input("a", "", 12);
    EXPECT_EQ(
        read_all(driver),
        (results{
            {"a", 0, 10, 1, 1}, {"a", 0, 10, 2, 5}, {"b", 0, 10, 1, 7}, {"a", 10, 20, 1, 12}}));
    EXPECT_EQ(late(driver), 0U);
}

TEST(window, tumbling_out_of_order_records_within_grace_update_their_window) {
    topology_test_driver driver(windowed_count(time_windows::of_size_and_grace(10ms, 5ms)),
                                no_cache);
    auto in = driver.create_input_topic<std::string, std::string>("in");
    in.pipe_input("a", "", 12);
    in.pipe_input("a", "", 8); // stream time 12, close time 7: [0, 10) is still open
    in.pipe_input("a", "", 14);
    EXPECT_EQ(read_all(driver),
              (results{{"a", 10, 20, 1, 12}, {"a", 0, 10, 1, 8}, {"a", 10, 20, 2, 14}}));
    EXPECT_EQ(late(driver), 0U);
}

TEST(window, tumbling_record_past_grace_is_dropped_and_counted) {
    topology_test_driver driver(windowed_count(time_windows::of_size_and_grace(10ms, 5ms)),
                                no_cache);
    auto in = driver.create_input_topic<std::string, std::string>("in");
    in.pipe_input("a", "", 1);
    in.pipe_input("a", "", 16); // close time 11: [0, 10) has closed
    in.pipe_input("a", "", 9);  // late by 2 ms past the grace period
    EXPECT_EQ(read_all(driver), (results{{"a", 0, 10, 1, 1}, {"a", 10, 20, 1, 16}}));
    EXPECT_EQ(late(driver), 1U);
    auto& store =
        get_store<timestamped_window_store<std::string, int64_t>>(driver.state_store("counts"));
    EXPECT_EQ(store.fetch("a", 0), (value_and_timestamp<int64_t>{1, 1}));
}

TEST(window, tumbling_grace_expires_exactly_when_stream_time_reaches_window_end_plus_grace) {
    topology_test_driver driver(windowed_count(time_windows::of_size_and_grace(10ms, 5ms)),
                                no_cache);
    auto in = driver.create_input_topic<std::string, std::string>("in");
    in.pipe_input("a", "", 14); // close time 9: [0, 10) open until stream time 15
    in.pipe_input("a", "", 9);  // accepted
    in.pipe_input("a", "", 15); // close time 10 = end of [0, 10): closed
    in.pipe_input("a", "", 9);  // dropped
    in.pipe_input("a", "", 10); // [10, 20) is open
    EXPECT_EQ(
        read_all(driver),
        (results{
            {"a", 10, 20, 1, 14}, {"a", 0, 10, 1, 9}, {"a", 10, 20, 2, 15}, {"a", 10, 20, 3, 15}}));
    EXPECT_EQ(late(driver), 1U);
}

TEST(window, tumbling_emit_on_window_close_forwards_exactly_one_final_result_per_window) {
    topology_test_driver driver(windowed_count(time_windows::of_size_and_grace(10ms, 5ms),
                                               emit_strategy::on_window_close()),
                                with_cache);
    auto in = driver.create_input_topic<std::string, std::string>("in");
    in.pipe_input("a", "", 1);
    in.pipe_input("a", "", 3);
    in.pipe_input("b", "", 4);
    in.pipe_input("a", "", 12); // close time 7: nothing has closed
    in.pipe_input("a", "", 8);  // within grace, into [0, 10)
    EXPECT_EQ(read_all(driver), results{});
    in.pipe_input("a", "", 16); // close time 11: [0, 10) closes for a and b
    EXPECT_EQ(read_all(driver), (results{{"a", 0, 10, 3, 8}, {"b", 0, 10, 1, 4}}));
    in.pipe_input("a", "", 9);  // late: dropped, and [0, 10) is not emitted again
    in.pipe_input("a", "", 19); // close time 14: [10, 20) still open
    in.pipe_input("b", "", 21); // close time 16: still open
    EXPECT_EQ(read_all(driver), results{});
    in.pipe_input("c", "", 40); // close time 35: [10, 20) and [20, 30) close
    EXPECT_EQ(read_all(driver), (results{{"a", 10, 20, 3, 19}, {"b", 20, 30, 1, 21}}));
    EXPECT_EQ(late(driver), 1U);

    // Emitted windows are gone from the store (so a restart cannot emit them again); open
    // ones are there.
    auto& store =
        get_store<timestamped_window_store<std::string, int64_t>>(driver.state_store("counts"));
    EXPECT_EQ(store.fetch("a", 0), std::nullopt);
    EXPECT_EQ(store.fetch("a", 10), std::nullopt);
    EXPECT_EQ(store.fetch("c", 40), (value_and_timestamp<int64_t>{1, 40}));
}

TEST(window, tumbling_emit_on_window_close_with_caching_off_is_the_same) {
    topology_test_driver driver(
        windowed_count(time_windows::of_size_with_no_grace(10ms), emit_strategy::on_window_close()),
        no_cache);
    auto in = driver.create_input_topic<std::string, std::string>("in");
    in.pipe_input("a", "", 1);
    in.pipe_input("a", "", 2);
    in.pipe_input("a", "", 10); // close time 10: [0, 10) closes
    in.pipe_input("a", "", 30); // [10, 20) closes; [20, 30) had no record
    EXPECT_EQ(read_all(driver), (results{{"a", 0, 10, 2, 2}, {"a", 10, 20, 1, 10}}));
}

TEST(window, tumbling_with_caching_on_a_commit_forwards_one_result_per_window) {
    topology_test_driver driver(windowed_count(time_windows::of_size_with_no_grace(10ms)),
                                with_cache);
    driver.set_auto_commit(false);
    auto in = driver.create_input_topic<std::string, std::string>("in");
    in.pipe_input("a", "", 1);
    in.pipe_input("a", "", 2);
    in.pipe_input("b", "", 3);
    in.pipe_input("a", "", 4);
    in.pipe_input("a", "", 11);
    EXPECT_EQ(read_all(driver), results{});
    driver.commit();
    EXPECT_EQ(sorted(read_all(driver)),
              (results{{"a", 0, 10, 3, 4}, {"a", 10, 20, 1, 11}, {"b", 0, 10, 1, 3}}));
    in.pipe_input("a", "", 12);
    driver.commit();
    EXPECT_EQ(read_all(driver), (results{{"a", 10, 20, 2, 12}}));
}

TEST(window, the_window_store_is_a_typed_timestamped_window_store) {
    topology_test_driver driver(
        windowed_count(time_windows::of_size_and_grace(10ms, 5ms),
                       emit_strategy::on_window_update(),
                       materialized<std::string, int64_t>::as("counts").in_memory()),
        no_cache);
    auto in = driver.create_input_topic<std::string, std::string>("in");
    in.pipe_input("a", "", 1);
    in.pipe_input("a", "", 5);
    in.pipe_input("a", "", 13);
    in.pipe_input("b", "", 14);
    auto& store =
        get_store<timestamped_window_store<std::string, int64_t>>(driver.state_store("counts"));
    EXPECT_EQ(store.window_size_ms(), 10);
    EXPECT_EQ(store.retention_ms(), 15);
    EXPECT_EQ(store.fetch("a", 0), (value_and_timestamp<int64_t>{2, 5}));
    std::vector<std::pair<int64_t, int64_t>> a_windows;
    store.fetch("a", 0, 100, [&](int64_t start, const value_and_timestamp<int64_t>& v) {
        a_windows.emplace_back(start, v.value);
        return true;
    });
    EXPECT_EQ(a_windows, (std::vector<std::pair<int64_t, int64_t>>{{0, 2}, {10, 1}}));
    std::set<std::tuple<std::string, int64_t, int64_t>> all;
    store.all([&](const windowed<std::string>& w, const value_and_timestamp<int64_t>&) {
        all.emplace(w.key, w.start, w.end);
        return true;
    });
    EXPECT_EQ(all, (std::set<std::tuple<std::string, int64_t, int64_t>>{
                       {"a", 0, 10}, {"a", 10, 20}, {"b", 10, 20}}));
    EXPECT_TRUE(driver.unread("app-counts-changelog") > 0);
}

// ---- hopping windows ----

TEST(window, hopping_windows_count_a_record_in_every_window_containing_it) {
    topology_test_driver driver(
        windowed_count(time_windows::of_size_with_no_grace(10ms).advance_by(5ms)), no_cache);
    auto in = driver.create_input_topic<std::string, std::string>("in");
    in.pipe_input("a", "", 7);
    in.pipe_input("a", "", 12);
    EXPECT_EQ(
        read_all(driver),
        (results{
            {"a", 0, 10, 1, 7}, {"a", 5, 15, 1, 7}, {"a", 5, 15, 2, 12}, {"a", 10, 20, 1, 12}}));
}

TEST(window, hopping_record_partly_late_updates_its_open_windows_and_counts_each_closed_one) {
    topology_test_driver driver(
        windowed_count(time_windows::of_size_and_grace(10ms, 2ms).advance_by(5ms)), no_cache);
    auto in = driver.create_input_topic<std::string, std::string>("in");
    in.pipe_input("a", "", 17); // windows [10, 20) and [15, 25); close time 15
    in.pipe_input("a", "", 12); // [5, 15) has closed, [10, 20) is open
    in.pipe_input("a", "", 40); // close time 38
    in.pipe_input("a", "", 16); // [10, 20) and [15, 25) have both closed
    EXPECT_EQ(read_all(driver), (results{{"a", 10, 20, 1, 17},
                                         {"a", 15, 25, 1, 17},
                                         {"a", 10, 20, 2, 17},
                                         {"a", 35, 45, 1, 40},
                                         {"a", 40, 50, 1, 40}}));
    EXPECT_EQ(late(driver), 3U); // one per closed window, as Kafka Streams counts
}

TEST(window, hopping_emit_on_window_close_forwards_each_window_once_in_start_order) {
    topology_test_driver driver(
        windowed_count(time_windows::of_size_and_grace(10ms, 2ms).advance_by(5ms),
                       emit_strategy::on_window_close()),
        with_cache);
    auto in = driver.create_input_topic<std::string, std::string>("in");
    in.pipe_input("a", "", 7);  // [0, 10), [5, 15)
    in.pipe_input("a", "", 11); // [5, 15), [10, 20); close time 9
    EXPECT_EQ(read_all(driver), results{});
    in.pipe_input("a", "", 13); // close time 11: [0, 10) closes
    EXPECT_EQ(read_all(driver), (results{{"a", 0, 10, 1, 7}}));
    in.pipe_input("a", "", 22); // close time 20: [5, 15) and [10, 20) close
    EXPECT_EQ(read_all(driver), (results{{"a", 5, 15, 3, 13}, {"a", 10, 20, 2, 13}}));
    in.pipe_input("a", "", 12); // both its windows have closed
    EXPECT_EQ(read_all(driver), results{});
    EXPECT_EQ(late(driver), 2U);
}

// ---- sliding windows ----

// Aggregates values into "0+v1+v2..." as Kafka Streams' own sliding window tests do, and
// gathers results by window start as (value, timestamp) sets.
using by_start = std::map<int64_t, std::set<std::pair<std::string, int64_t>>>;

topology sliding_concat(sliding_windows windows, emit_strategy emit,
                        const std::string& store = "sliding") {
    stream_builder b;
    b.stream<std::string, std::string>({"in"})
        .group_by_key()
        .windowed_by(windows)
        .emit_strategy(emit)
        .aggregate(
            [] { return std::string("0"); },
            [](const std::string&, const std::string& v, std::string agg) { return agg + "+" + v; },
            materialized<std::string, std::string>::as(store))
        .to_stream()
        .to("out");
    return b.build();
}

by_start gather(topology_test_driver& driver, size_t* count = nullptr) {
    auto out = driver.create_output_topic<windowed<std::string>, std::string>("out");
    by_start gathered;
    size_t n = 0;
    for (auto& r : out.read_records_to_list()) {
        EXPECT_EQ(r.key.end, r.key.start + 10);
        gathered[r.key.start].emplace(r.value, r.timestamp);
        ++n;
    }
    if (count != nullptr) {
        *count = n;
    }
    return gathered;
}

void pipe_kafka_streams_small_input(topology_test_driver& driver) {
    auto in = driver.create_input_topic<std::string, std::string>("in");
    in.pipe_input("A", "1", 10);
    in.pipe_input("A", "2", 10);
    in.pipe_input("A", "3", 14);
    in.pipe_input("A", "4", 15);
    in.pipe_input("A", "5", 20);
    in.pipe_input("A", "6", 22);
    in.pipe_input("A", "7", 30);
}

TEST(window, sliding_windows_give_kafka_streams_results_for_its_small_input) {
    topology_test_driver driver(
        sliding_concat(sliding_windows::of_time_difference_and_grace(10ms, 5ms),
                       emit_strategy::on_window_update()),
        no_cache);
    pipe_kafka_streams_small_input(driver);
    // Kafka Streams 3.9, KStreamSlidingWindowAggregateTest#testAggregateSmallInput.
    const by_start expected{
        {0, {{"0+1", 10}, {"0+1+2", 10}}},
        {4, {{"0+1+2+3", 14}}},
        {5, {{"0+1+2+3+4", 15}}},
        {10, {{"0+1+2+3+4+5", 20}}},
        {11, {{"0+3", 14}, {"0+3+4", 15}, {"0+3+4+5", 20}}},
        {12, {{"0+3+4+5+6", 22}}},
        {15, {{"0+4", 15}, {"0+4+5", 20}, {"0+4+5+6", 22}}},
        {16, {{"0+5", 20}, {"0+5+6", 22}}},
        {20, {{"0+5+6+7", 30}}},
        {21, {{"0+6", 22}, {"0+6+7", 30}}},
        {23, {{"0+7", 30}}},
    };
    EXPECT_EQ(gather(driver), expected);
    EXPECT_EQ(late(driver), 0U);
}

TEST(window, sliding_windows_emit_on_window_close_gives_kafka_streams_final_results) {
    topology_test_driver driver(
        sliding_concat(sliding_windows::of_time_difference_and_grace(10ms, 5ms),
                       emit_strategy::on_window_close()),
        with_cache);
    pipe_kafka_streams_small_input(driver);
    const by_start expected{
        {0, {{"0+1+2", 10}}},        {4, {{"0+1+2+3", 14}}},  {5, {{"0+1+2+3+4", 15}}},
        {10, {{"0+1+2+3+4+5", 20}}}, {11, {{"0+3+4+5", 20}}}, {12, {{"0+3+4+5+6", 22}}},
    };
    size_t count = 0;
    EXPECT_EQ(gather(driver, &count), expected);
    EXPECT_EQ(count, 6U); // exactly one result per closed window
}

TEST(window, sliding_out_of_order_record_within_grace_updates_and_creates_windows) {
    topology_test_driver driver(
        sliding_concat(sliding_windows::of_time_difference_and_grace(10ms, 5ms),
                       emit_strategy::on_window_update()),
        no_cache);
    auto in = driver.create_input_topic<std::string, std::string>("in");
    in.pipe_input("a", "x", 100); // [90, 100]; close time 95
    in.pipe_input("a", "y", 96);  // joins [90, 100], gets [86, 96] and the right window [97, 107]
    const by_start expected{
        {90, {{"0+x", 100}, {"0+x+y", 100}}},
        {86, {{"0+y", 96}}},
        {97, {{"0+x", 100}}},
    };
    EXPECT_EQ(gather(driver), expected);
    EXPECT_EQ(late(driver), 0U);
}

TEST(window, sliding_record_past_grace_is_dropped_and_counted) {
    topology_test_driver driver(
        sliding_concat(sliding_windows::of_time_difference_and_grace(10ms, 5ms),
                       emit_strategy::on_window_update()),
        no_cache);
    auto in = driver.create_input_topic<std::string, std::string>("in");
    in.pipe_input("a", "x", 100); // close time 95
    in.pipe_input("a", "y", 84);  // even its right window [85, 95] has closed
    EXPECT_EQ(gather(driver), (by_start{{90, {{"0+x", 100}}}}));
    EXPECT_EQ(late(driver), 1U);
}

TEST(window, sliding_emit_on_window_close_keeps_emitted_windows_for_records_within_grace) {
    topology_test_driver driver(
        sliding_concat(sliding_windows::of_time_difference_and_grace(10ms, 20ms),
                       emit_strategy::on_window_close()),
        no_cache);
    auto in = driver.create_input_topic<std::string, std::string>("in");
    in.pipe_input("a", "p", 100); // [90, 100]
    in.pipe_input("b", "q", 125); // close time 105: a's [90, 100] is final
    size_t count = 0;
    EXPECT_EQ(gather(driver, &count), (by_start{{90, {{"0+p", 100}}}}));
    // Within grace: a@108 needs the emitted [90, 100] to know that p is in its window
    // [98, 108]; that window and p's right window [101, 111] are still open.
    in.pipe_input("a", "r", 108);
    in.pipe_input("b", "s", 140); // close time 120: everything of a closes
    const by_start expected{{98, {{"0+p+r", 108}}}, {101, {{"0+r", 108}}}};
    EXPECT_EQ(gather(driver, &count), expected);
    EXPECT_EQ(count, 2U);
}

TEST(window, sliding_with_caching_on_a_commit_forwards_one_result_per_window) {
    topology_test_driver driver(
        sliding_concat(sliding_windows::of_time_difference_with_no_grace(10ms),
                       emit_strategy::on_window_update()),
        with_cache);
    driver.set_auto_commit(false);
    auto in = driver.create_input_topic<std::string, std::string>("in");
    in.pipe_input("a", "1", 10);
    in.pipe_input("a", "2", 10);
    in.pipe_input("a", "3", 12);
    size_t count = 0;
    EXPECT_EQ(gather(driver, &count), by_start{});
    driver.commit();
    const by_start expected{{0, {{"0+1+2", 10}}}, {2, {{"0+1+2+3", 12}}}, {11, {{"0+3", 12}}}};
    EXPECT_EQ(gather(driver, &count), expected);
    EXPECT_EQ(count, 3U);
}

// ---- options and description ----

TEST(window, window_specs_refuse_invalid_durations_with_a_clear_message) {
    EXPECT_THROW(time_windows::of_size_with_no_grace(0ms), std::invalid_argument);
    EXPECT_THROW(time_windows::of_size_and_grace(10ms, -1ms), std::invalid_argument);
    EXPECT_THROW(time_windows::of_size_with_no_grace(10ms).advance_by(0ms), std::invalid_argument);
    try {
        time_windows::of_size_with_no_grace(10ms).advance_by(11ms);
        FAIL() << "expected std::invalid_argument";
    } catch (const std::invalid_argument& e) {
        EXPECT_STREQ(e.what(), "time_windows: the advance (11 ms) must not be larger than the "
                               "window size (10 ms)");
    }
    EXPECT_THROW(sliding_windows::of_time_difference_with_no_grace(-1ms), std::invalid_argument);
    EXPECT_THROW(session_windows::of_inactivity_gap_with_no_grace(0ms), std::invalid_argument);
    EXPECT_THROW(session_windows::of_inactivity_gap_and_grace(1ms, -1ms), std::invalid_argument);
    EXPECT_EQ(time_windows::of_size_and_grace(10ms, 3ms).advance_by(5ms).advance_ms(), 5);
}

TEST(window, a_retention_shorter_than_size_plus_grace_is_refused) {
    EXPECT_THROW(windowed_count(time_windows::of_size_and_grace(10ms, 5ms),
                                emit_strategy::on_window_update(),
                                materialized<std::string, int64_t>::as("c").with_retention(14ms)),
                 std::invalid_argument);
    EXPECT_NO_THROW(windowed_count(
        time_windows::of_size_and_grace(10ms, 5ms), emit_strategy::on_window_update(),
        materialized<std::string, int64_t>::as("c").with_retention(15ms)));
}

TEST(window, a_grouped_windowed_count_is_described_as_kafka_streams_describes_it) {
    stream_builder b;
    b.stream<std::string, std::string>({"clicks"})
        .group_by([](const std::string&, const std::string& page) { return page; })
        .windowed_by(time_windows::of_size_and_grace(1min, 10s))
        .count()
        .to_stream()
        .to("clicks-per-page");
    const std::string expected = R"(Topologies:
   Sub-topology: 0
    Source: KSTREAM-SOURCE-0000000000 (topics: [clicks])
      --> KSTREAM-KEY-SELECT-0000000001
    Processor: KSTREAM-KEY-SELECT-0000000001 (stores: [])
      --> KSTREAM-FILTER-0000000005
      <-- KSTREAM-SOURCE-0000000000
    Processor: KSTREAM-FILTER-0000000005 (stores: [])
      --> KSTREAM-SINK-0000000004
      <-- KSTREAM-KEY-SELECT-0000000001
    Sink: KSTREAM-SINK-0000000004 (topic: <application.id>-KSTREAM-AGGREGATE-STATE-STORE-0000000002-repartition)
      <-- KSTREAM-FILTER-0000000005

   Sub-topology: 1
    Source: KSTREAM-SOURCE-0000000006 (topics: [<application.id>-KSTREAM-AGGREGATE-STATE-STORE-0000000002-repartition])
      --> KSTREAM-AGGREGATE-0000000003
    Processor: KSTREAM-AGGREGATE-0000000003 (stores: [KSTREAM-AGGREGATE-STATE-STORE-0000000002])
      --> KTABLE-TOSTREAM-0000000007
      <-- KSTREAM-SOURCE-0000000006
    Processor: KTABLE-TOSTREAM-0000000007 (stores: [])
      --> KSTREAM-SINK-0000000008
      <-- KSTREAM-AGGREGATE-0000000003
    Sink: KSTREAM-SINK-0000000008 (topic: clicks-per-page)
      <-- KTABLE-TOSTREAM-0000000007

)";
    EXPECT_EQ(b.build().describe(), expected);
}

} // namespace
} // namespace brook
