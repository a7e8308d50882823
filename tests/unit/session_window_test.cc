// Session windowed aggregations through the topology test driver: sessions forming and
// merging (also through a late record within grace that bridges two sessions), tombstones
// for merged-away sessions, late records past grace, both emit strategies, caching,
// reduce and aggregate with a merger, and typed session store lookups.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <string>
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

// One session result as the output topic holds it; value nullopt is a tombstone.
struct result {
    std::string key;
    int64_t start = 0;
    int64_t end = 0;
    std::optional<int64_t> value;
    int64_t timestamp = 0;
    auto operator<=>(const result&) const = default;
};

std::ostream& operator<<(std::ostream& out, const result& r) {
    out << r.key << "@[" << r.start << "," << r.end << "]=";
    if (r.value) {
        out << *r.value;
    } else {
        out << "null";
    }
    return out << " ts " << r.timestamp;
}

using results = std::vector<result>;
constexpr std::optional<int64_t> tombstone = std::nullopt;

results read_all(topology_test_driver& driver) {
    auto out = driver.create_output_topic<windowed<std::string>, std::optional<int64_t>>("out");
    results all;
    for (auto& r : out.read_records_to_list()) {
        all.push_back({r.key.key, r.key.start, r.key.end, r.value, r.timestamp});
    }
    return all;
}

uint64_t late(const topology_test_driver& driver) {
    return driver.counters().late_records_dropped.load();
}

topology session_count(session_windows windows,
                       emit_strategy emit = emit_strategy::on_window_update()) {
    stream_builder b;
    b.stream<std::string, std::string>({"in"})
        .group_by_key()
        .windowed_by(windows)
        .emit_strategy(emit)
        .count(materialized<std::string, int64_t>::as("sessions"))
        .to_stream()
        .to("out");
    return b.build();
}

TEST(session_window, records_within_the_gap_form_one_session_and_replace_the_old_one) {
    topology_test_driver driver(
        session_count(session_windows::of_inactivity_gap_with_no_grace(5ms)), no_cache);
    auto in = driver.create_input_topic<std::string, std::string>("in");
    in.pipe_input("a", "", 0);
    in.pipe_input("a", "", 3);
    in.pipe_input("a", "", 8);
    EXPECT_EQ(read_all(driver), (results{{"a", 0, 0, 1, 0},
                                         {"a", 0, 0, tombstone, 0},
                                         {"a", 0, 3, 2, 3},
                                         {"a", 0, 3, tombstone, 3},
                                         {"a", 0, 8, 3, 8}}));
}

TEST(session_window, a_record_further_than_the_gap_starts_a_new_session) {
    topology_test_driver driver(
        session_count(session_windows::of_inactivity_gap_with_no_grace(5ms)), no_cache);
    auto in = driver.create_input_topic<std::string, std::string>("in");
    in.pipe_input("a", "", 0);
    in.pipe_input("a", "", 6);
    in.pipe_input("b", "", 6);
    EXPECT_EQ(read_all(driver), (results{{"a", 0, 0, 1, 0}, {"a", 6, 6, 1, 6}, {"b", 6, 6, 1, 6}}));
    auto& store = get_store<session_store<std::string, int64_t>>(driver.state_store("sessions"));
    std::vector<std::pair<int64_t, int64_t>> a_sessions;
    store.fetch("a", [&](const windowed<std::string>& s, int64_t count) {
        a_sessions.emplace_back(s.start, count);
        return true;
    });
    EXPECT_EQ(a_sessions, (std::vector<std::pair<int64_t, int64_t>>{{0, 1}, {6, 1}}));
    EXPECT_EQ(store.fetch_session("b", 6, 6), 1);
    EXPECT_EQ(store.retention_ms(), 5);
}

TEST(session_window, a_late_record_within_grace_bridges_two_sessions_into_one) {
    topology_test_driver driver(
        session_count(session_windows::of_inactivity_gap_and_grace(5ms, 10ms)), no_cache);
    auto in = driver.create_input_topic<std::string, std::string>("in");
    in.pipe_input("a", "", 0);
    in.pipe_input("a", "", 10); // 10 apart: a second session
    in.pipe_input("a", "", 5);  // out of order, within 5 of both: merges them
    EXPECT_EQ(read_all(driver), (results{{"a", 0, 0, 1, 0},
                                         {"a", 10, 10, 1, 10},
                                         {"a", 0, 0, tombstone, 0},
                                         {"a", 10, 10, tombstone, 10},
                                         {"a", 0, 10, 3, 10}}));
    EXPECT_EQ(late(driver), 0U);
    auto& store = get_store<session_store<std::string, int64_t>>(driver.state_store("sessions"));
    EXPECT_EQ(store.fetch_session("a", 0, 10), 3);
    EXPECT_EQ(store.fetch_session("a", 0, 0), std::nullopt);
    EXPECT_EQ(store.fetch_session("a", 10, 10), std::nullopt);
}

TEST(session_window, a_record_whose_session_would_end_before_close_time_is_dropped_and_counted) {
    // Close time = stream time - grace - gap, as in Kafka Streams 3.9.
    topology_test_driver driver(
        session_count(session_windows::of_inactivity_gap_and_grace(5ms, 2ms)), no_cache);
    auto in = driver.create_input_topic<std::string, std::string>("in");
    in.pipe_input("a", "", 0);
    in.pipe_input("b", "", 20); // close time 13
    in.pipe_input("a", "", 3);  // would make [0, 3], which ends before 13
    in.pipe_input("a", "", 13); // a new session ending at the close time is accepted
    EXPECT_EQ(read_all(driver),
              (results{{"a", 0, 0, 1, 0}, {"b", 20, 20, 1, 20}, {"a", 13, 13, 1, 13}}));
    EXPECT_EQ(late(driver), 1U);
}

TEST(session_window, emit_on_window_close_forwards_each_session_once_after_it_closes) {
    topology_test_driver driver(
        session_count(session_windows::of_inactivity_gap_and_grace(5ms, 2ms),
                      emit_strategy::on_window_close()),
        with_cache);
    auto in = driver.create_input_topic<std::string, std::string>("in");
    in.pipe_input("a", "", 0);
    in.pipe_input("a", "", 3);
    in.pipe_input("b", "", 4);
    in.pipe_input("a", "", 10); // close time 3: a's [0, 3] ends at it and stays open
    EXPECT_EQ(read_all(driver), results{});
    in.pipe_input("a", "", 20); // close time 13: [0, 3], b's [4, 4] and a's [10, 10] close
    EXPECT_EQ(read_all(driver),
              (results{{"a", 0, 3, 2, 3}, {"b", 4, 4, 1, 4}, {"a", 10, 10, 1, 10}}));
    in.pipe_input("a", "", 2); // late: dropped, nothing emitted again
    in.pipe_input("c", "", 40);
    EXPECT_EQ(read_all(driver), (results{{"a", 20, 20, 1, 20}}));
    EXPECT_EQ(late(driver), 1U);
    auto& store = get_store<session_store<std::string, int64_t>>(driver.state_store("sessions"));
    EXPECT_EQ(store.fetch_session("a", 0, 3), std::nullopt);
    EXPECT_EQ(store.fetch_session("c", 40, 40), 1);
}

TEST(session_window, emit_on_window_close_emits_sessions_a_far_later_record_would_expire) {
    // The jump moves the store's time far past the retention of [0, 3]: it must be
    // forwarded before the new record's put can expire it.
    topology_test_driver driver(
        session_count(session_windows::of_inactivity_gap_and_grace(5ms, 2ms),
                      emit_strategy::on_window_close()),
        no_cache);
    auto in = driver.create_input_topic<std::string, std::string>("in");
    in.pipe_input("a", "", 0);
    in.pipe_input("a", "", 3);
    in.pipe_input("b", "", 1'000'000);
    EXPECT_EQ(read_all(driver), (results{{"a", 0, 3, 2, 3}}));
}

TEST(session_window, emit_on_window_close_emits_a_session_bridged_within_grace_once) {
    topology_test_driver driver(
        session_count(session_windows::of_inactivity_gap_and_grace(5ms, 10ms),
                      emit_strategy::on_window_close()),
        no_cache);
    auto in = driver.create_input_topic<std::string, std::string>("in");
    in.pipe_input("a", "", 0);
    in.pipe_input("a", "", 10);
    in.pipe_input("a", "", 5); // bridges [0, 0] and [10, 10]
    in.pipe_input("b", "", 40);
    EXPECT_EQ(read_all(driver), (results{{"a", 0, 10, 3, 10}}));
}

TEST(session_window, with_caching_on_a_commit_forwards_the_merged_session_once) {
    topology_test_driver driver(
        session_count(session_windows::of_inactivity_gap_with_no_grace(5ms)), with_cache);
    driver.set_auto_commit(false);
    auto in = driver.create_input_topic<std::string, std::string>("in");
    in.pipe_input("a", "", 0);
    in.pipe_input("a", "", 3);
    in.pipe_input("a", "", 8);
    in.pipe_input("b", "", 8);
    EXPECT_EQ(read_all(driver), results{});
    driver.commit();
    results out = read_all(driver);
    // The merged-away sessions may appear as tombstones; each live session appears once,
    // with its final count.
    results live;
    std::copy_if(out.begin(), out.end(), std::back_inserter(live),
                 [](const result& r) { return r.value.has_value(); });
    std::sort(live.begin(), live.end());
    EXPECT_EQ(live, (results{{"a", 0, 8, 3, 8}, {"b", 8, 8, 1, 8}}));
    for (const result& r : out) {
        if (!r.value) {
            EXPECT_TRUE((r.start == 0 && (r.end == 0 || r.end == 3))) << r;
        }
    }
}

TEST(session_window, reduce_and_aggregate_merge_sessions_with_the_reducer_and_the_merger) {
    stream_builder b;
    auto grouped_by_key = b.stream<std::string, std::string>({"in"}).group_by_key().windowed_by(
        session_windows::of_inactivity_gap_and_grace(5ms, 10ms));
    grouped_by_key.reduce([](std::string agg, const std::string& v) { return agg + v; })
        .to_stream()
        .to("reduced");
    grouped_by_key
        .aggregate(
            [] { return std::string("<"); },
            [](const std::string&, const std::string& v, std::string agg) { return agg + v; },
            [](const std::string&, std::string left, const std::string& right) {
                return left + "|" + right;
            },
            materialized<std::string, std::string>::as("aggregated").in_memory())
        .to_stream()
        .to("aggregated");
    topology_test_driver driver(b.build(), no_cache);
    auto in = driver.create_input_topic<std::string, std::string>("in");
    in.pipe_input("k", "x", 0);
    in.pipe_input("k", "z", 10);
    in.pipe_input("k", "y", 5); // bridges both sessions
    auto last_value = [&](const std::string& topic) {
        auto out =
            driver.create_output_topic<windowed<std::string>, std::optional<std::string>>(topic);
        const auto records = out.read_records_to_list();
        EXPECT_FALSE(records.empty());
        EXPECT_EQ(records.back().key, (windowed<std::string>{"k", 0, 10}));
        return records.back().value;
    };
    // Sessions are found in end order: [0, 0] then [10, 10].
    EXPECT_EQ(last_value("reduced"), "xzy");
    EXPECT_EQ(last_value("aggregated"), "<|<x|<zy");
}

} // namespace
} // namespace brook
