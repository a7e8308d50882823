// table.suppress() through the topology test driver, case by case after Kafka Streams'
// SuppressScenarioTest and KTableSuppressProcessorTest: final results of tumbling, hopping
// and session windows (one record per window, only once end + grace has passed in the
// suppression's stream time; merged-away sessions never come out), rate limiting with a
// time limit (a key keeps its place, tombstones go out), bounded buffers that emit early or
// fail the task, and the graph errors.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "engine/errors.h"
#include "engine/testing/topology_test_driver.h"
#include "operators/stream_builder.h"

namespace brook {
namespace {

using namespace std::chrono_literals;

const std::map<std::string, std::string> no_cache{{"application.id", "suppress"},
                                                  {"statestore.cache.max.bytes", "0"}};

struct result {
    std::string key;
    int64_t start = 0;
    int64_t end = 0;
    std::optional<int64_t> value;
    int64_t timestamp = 0;
    auto operator<=>(const result&) const = default;
};

std::ostream& operator<<(std::ostream& out, const result& r) {
    out << r.key << "@[" << r.start << "," << r.end << ")=";
    if (r.value) {
        out << *r.value;
    } else {
        out << "null";
    }
    return out << " ts " << r.timestamp;
}

using results = std::vector<result>;

template <class V>
results read_windowed(topology_test_driver& driver, const std::string& topic) {
    auto out = driver.create_output_topic<windowed<std::string>, V>(topic);
    results all;
    for (auto& r : out.read_records_to_list()) {
        all.push_back(
            {r.key.key, r.key.start, r.key.end, std::optional<int64_t>(r.value), r.timestamp});
    }
    return all;
}

// Counts per key in tumbling windows of 10 ms with 5 ms grace, written raw to "raw" and
// as final results to "final".
topology tumbling_counts() {
    stream_builder b;
    auto counts = b.stream<std::string, std::string>({"in"})
                      .group_by_key()
                      .windowed_by(time_windows::of_size_and_grace(10ms, 5ms))
                      .count();
    counts.to_stream().to("raw");
    counts.suppress(suppressed::until_window_closes(buffer_config::unbounded()))
        .to_stream()
        .to("final");
    return b.build();
}

TEST(suppress, final_results_come_once_per_window_after_end_plus_grace) {
    topology_test_driver driver(tumbling_counts(), no_cache);
    auto in = driver.create_input_topic<std::string, std::string>("in");
    in.pipe_input("k1", "v", 0);
    in.pipe_input("k1", "v", 1);
    in.pipe_input("k2", "v", 5);
    in.pipe_input("k1", "v", 12); // window [10,20); [0,10) closes at 15
    EXPECT_TRUE(read_windowed<int64_t>(driver, "final").empty());
    in.pipe_input("k1", "v", 14); // still open
    EXPECT_TRUE(read_windowed<int64_t>(driver, "final").empty());
    in.pipe_input("x", "v", 15); // stream time 15: [0,10) has closed
    EXPECT_EQ(read_windowed<int64_t>(driver, "final"),
              (results{{"k1", 0, 10, 2, 1}, {"k2", 0, 10, 1, 5}}));
    in.pipe_input("k1", "v", 3); // late for [0,10): the aggregation drops it
    in.pipe_input("x", "v", 30); // [10,20) closes at 25
    EXPECT_EQ(read_windowed<int64_t>(driver, "final"),
              (results{{"k1", 10, 20, 2, 14}, {"x", 10, 20, 1, 15}}));
    // The raw table saw every update, the final one only the last per window.
    EXPECT_EQ(read_windowed<int64_t>(driver, "raw").size(), 7u);
}

TEST(suppress, stream_time_is_the_suppressions_own_and_does_not_go_back) {
    topology_test_driver driver(tumbling_counts(), no_cache);
    auto in = driver.create_input_topic<std::string, std::string>("in");
    in.pipe_input("k1", "v", 20);
    in.pipe_input("k1", "v", 10); // out of order, within grace of [10,20)
    in.pipe_input("k2", "v", 1);  // late for [0,10) (closed at 15): dropped upstream
    EXPECT_TRUE(read_windowed<int64_t>(driver, "final").empty());
    in.pipe_input("k1", "v", 25); // [10,20) closes at 25
    EXPECT_EQ(read_windowed<int64_t>(driver, "final"), (results{{"k1", 10, 20, 1, 10}}));
}

TEST(suppress, hopping_windows_give_each_window_its_final_sum) {
    // As the smoke test's small-window sum: 2 ms windows advancing by 1 ms, 3 ms grace.
    stream_builder b;
    b.stream<std::string, int32_t>({"in"})
        .group_by_key()
        .windowed_by(time_windows::of_size_and_grace(2ms, 3ms).advance_by(1ms))
        .reduce([](int32_t a, int32_t v) { return a + v; })
        .suppress(suppressed::until_window_closes(buffer_config::unbounded()))
        .to_stream()
        .to("final");
    topology_test_driver driver(b.build(), no_cache);
    auto in = driver.create_input_topic<std::string, int32_t>("in");
    in.pipe_input("k", 1, 0);   // windows [-1,1) not made (no negative starts), [0,2)
    in.pipe_input("k", 10, 1);  // [0,2), [1,3)
    in.pipe_input("k", 100, 2); // [1,3), [2,4)
    in.pipe_input("k", 1000, 10);
    auto out = driver.create_output_topic<windowed<std::string>, int32_t>("final");
    std::vector<std::tuple<int64_t, int32_t>> got;
    for (auto& r : out.read_records_to_list()) {
        got.emplace_back(r.key.start, r.value);
    }
    // [0,2) and [1,3) close at 5 and 6, [2,4) at 7: all before stream time 10.
    EXPECT_EQ(got, (std::vector<std::tuple<int64_t, int32_t>>{{0, 11}, {1, 110}, {2, 100}}));
}

TEST(suppress, merged_away_sessions_never_come_out_and_the_final_session_comes_once) {
    stream_builder b;
    b.stream<std::string, std::string>({"in"})
        .group_by_key()
        .windowed_by(session_windows::of_inactivity_gap_and_grace(5ms, 0ms))
        .count()
        .suppress(suppressed::until_window_closes(buffer_config::unbounded()))
        .to_stream()
        .to("final");
    topology_test_driver driver(b.build(), no_cache);
    auto in = driver.create_input_topic<std::string, std::string>("in");
    in.pipe_input("k", "v", 0); // session [0,0]
    in.pipe_input("k", "v", 3); // merges: [0,0] is deleted, [0,3] written
    in.pipe_input("k", "v", 6); // merges again: [0,6]
    in.pipe_input("x", "v", 20);
    EXPECT_EQ(read_windowed<std::optional<int64_t>>(driver, "final"), (results{{"k", 0, 6, 3, 6}}));
}

TEST(suppress, a_time_limit_sends_a_keys_newest_value_once_the_limit_has_passed) {
    stream_builder b;
    b.table<std::string, int64_t>("in")
        .suppress(suppressed::until_time_limit(10ms, buffer_config::unbounded()))
        .to_stream()
        .to("out", produced<std::string, std::optional<int64_t>>{});
    topology_test_driver driver(b.build(), no_cache);
    auto in = driver.create_input_topic<std::string, std::optional<int64_t>>("in");
    auto out = driver.create_output_topic<std::string, std::optional<int64_t>>("out");
    using rows = std::vector<std::tuple<std::string, std::optional<int64_t>, int64_t>>;
    auto read = [&] {
        rows all;
        for (auto& r : out.read_records_to_list()) {
            all.emplace_back(r.key, r.value, r.timestamp);
        }
        return all;
    };
    in.pipe_input("a", 1, 0);
    in.pipe_input("a", 2, 5); // a keeps its place (buffer time 0)
    EXPECT_TRUE(read().empty());
    in.pipe_input("b", 1, 10); // 10 - 10 >= 0: a goes out with its newest value
    EXPECT_EQ(read(), (rows{{"a", 2, 5}}));
    in.pipe_input("b", std::nullopt, 12); // deleted while held: the tombstone goes out
    in.pipe_input("a", 3, 19);            // a waits again, from 19
    EXPECT_TRUE(read().empty());
    in.pipe_input("c", 1, 20);
    EXPECT_EQ(read(), (rows{{"b", std::nullopt, 12}}));
    in.pipe_input("c", 2, 29);
    EXPECT_EQ(read(), (rows{{"a", 3, 19}}));
}

TEST(suppress, a_full_buffer_that_emits_early_sends_its_oldest_entries) {
    stream_builder b;
    b.table<std::string, int64_t>("in")
        .suppress(suppressed::until_time_limit(1000ms, buffer_config::max_records(2)))
        .to_stream()
        .to("out", produced<std::string, std::optional<int64_t>>{});
    topology_test_driver driver(b.build(), no_cache);
    auto in = driver.create_input_topic<std::string, std::optional<int64_t>>("in");
    auto out = driver.create_output_topic<std::string, std::optional<int64_t>>("out");
    in.pipe_input("a", 1, 0);
    in.pipe_input("b", 1, 1);
    EXPECT_TRUE(out.read_records_to_list().empty());
    in.pipe_input("c", 1, 2); // three held, at most two: a goes early
    auto got = out.read_records_to_list();
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].key, "a");
    in.pipe_input("b", 2, 3); // an update of a held key does not grow the buffer
    EXPECT_TRUE(out.read_records_to_list().empty());
}

TEST(suppress, a_full_buffer_bounded_by_bytes_emits_early_too) {
    stream_builder b;
    b.table<std::string, std::string>("in")
        .suppress(suppressed::until_time_limit(1000ms, buffer_config::max_bytes(80)))
        .to_stream()
        .to("out", produced<std::string, std::optional<std::string>>{});
    topology_test_driver driver(b.build(), no_cache);
    auto in = driver.create_input_topic<std::string, std::optional<std::string>>("in");
    auto out = driver.create_output_topic<std::string, std::optional<std::string>>("out");
    in.pipe_input("a", std::string(20, 'x'), 0); // about 40 bytes with key and times
    EXPECT_TRUE(out.read_records_to_list().empty());
    in.pipe_input("b", std::string(40, 'y'), 1); // over 80 bytes: a goes early
    auto got = out.read_records_to_list();
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].key, "a");
}

TEST(suppress, a_full_buffer_that_shuts_down_fails_the_task_with_a_clear_error) {
    stream_builder b;
    b.stream<std::string, std::string>({"in"})
        .group_by_key()
        .windowed_by(time_windows::of_size_and_grace(10ms, 0ms))
        .count()
        .suppress(
            suppressed::until_window_closes(buffer_config::max_records(1).shut_down_when_full()))
        .to_stream()
        .to("final");
    topology_test_driver driver(b.build(), no_cache);
    auto in = driver.create_input_topic<std::string, std::string>("in");
    in.pipe_input("a", "v", 0);
    try {
        in.pipe_input("b", "v", 1);
        FAIL() << "a full strict buffer must fail the task";
    } catch (const streams_error& e) {
        EXPECT_NE(std::string(e.what()).find("is full: 2 records (at most 1)"), std::string::npos)
            << e.what();
    }
}

TEST(suppress, graph_errors_are_caught_when_the_topology_is_built) {
    EXPECT_THROW(suppressed::until_window_closes(buffer_config::max_records(10)),
                 std::invalid_argument); // may emit early
    EXPECT_THROW(buffer_config::max_records(0), std::invalid_argument);
    EXPECT_THROW(suppressed::until_time_limit(-1ms, buffer_config::unbounded()),
                 std::invalid_argument);
    stream_builder b;
    auto t = b.table<std::string, int64_t>("in");
    EXPECT_THROW(t.suppress(suppressed::until_window_closes(buffer_config::unbounded())),
                 topology_error); // not windowed
    auto suppressed_table =
        t.suppress(suppressed::until_time_limit(1ms, buffer_config::unbounded()));
    auto sum = [](int64_t a, int64_t c) { return a + c; };
    auto other = b.table<std::string, int64_t>("other");
    EXPECT_THROW(other.join(suppressed_table, sum), topology_error); // nothing to look up
}

TEST(suppress, buffer_entries_round_trip_and_unreadable_bytes_are_refused) {
    suppress_entry_serde<default_serde<std::optional<int64_t>>> serde;
    std::string buffer;
    const suppress_entry<std::optional<int64_t>> held{10, 12, 7};
    const auto back = serde.deserialize(serde.serialize(held, buffer));
    EXPECT_EQ(back.buffer_time, 10);
    EXPECT_EQ(back.timestamp, 12);
    EXPECT_EQ(back.value, 7);
    const suppress_entry<std::optional<int64_t>> tombstone{10, 12, std::nullopt};
    EXPECT_EQ(serde.deserialize(serde.serialize(tombstone, buffer)).value, std::nullopt);
    EXPECT_THROW(serde.deserialize(std::string_view("short")), serde_error);
    EXPECT_THROW(serde.deserialize(std::string(16, '\0') + "\7"), serde_error); // bad flag
    EXPECT_THROW(serde.deserialize(std::string(16, '\0') + std::string("\0x", 2)),
                 serde_error); // null with bytes after it
    EXPECT_THROW(serde.deserialize(nullable_bytes{}), serde_error);
}

TEST(suppress, the_buffer_is_a_logged_store_named_after_the_node) {
    stream_builder b;
    b.stream<std::string, std::string>({"in"})
        .group_by_key()
        .windowed_by(time_windows::of_size_and_grace(10ms, 0ms))
        .count()
        .suppress(suppressed::until_window_closes(buffer_config::unbounded()).with_name("final"))
        .to_stream()
        .to("out");
    const topology topo = b.build();
    const std::string description = topo.describe();
    EXPECT_NE(description.find("Processor: final (stores: [final-store])"), std::string::npos)
        << description;
    const auto changelogs = topo.changelog_topics("app");
    EXPECT_NE(std::find(changelogs.begin(), changelogs.end(), "app-final-store-changelog"),
              changelogs.end());
}

} // namespace
} // namespace brook
