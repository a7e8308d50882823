// The state example of README.md, compiled and run through the test driver, so the code
// people copy from the README builds and does what the text says.

#include <chrono>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "engine/testing/topology_test_driver.h"
#include "operators/stream_builder.h"

namespace brook {
namespace {

TEST(readme, the_state_example_counts_per_user_and_per_minute) {
    // --- as in README.md, "State: aggregations, windows and stores" ---
    stream_builder builder;
    auto events = builder.stream<std::string, std::string>({"page-views"}); // key: user

    // A running count per user, in a RocksDB store with a changelog.
    events.group_by_key()
        .count(materialized<std::string, int64_t>::as("views-per-user"))
        .to_stream()
        .to("views-per-user");

    // One result per user and minute, emitted once when the window closes (10 s grace).
    events.group_by_key()
        .windowed_by(
            time_windows::of_size_and_grace(std::chrono::minutes(1), std::chrono::seconds(10)))
        .emit_strategy(emit_strategy::on_window_close())
        .count()
        .to_stream()
        .map([](const windowed<std::string>& w, int64_t n) {
            return key_value<std::string, std::string>{w.key, fmt::format("{}@{}", n, w.start)};
        })
        .to("views-per-minute");
    // ---

    topology_test_driver driver(builder.build(), {{"statestore.cache.max.bytes", "0"}});
    auto in = driver.create_input_topic<std::string, std::string>("page-views");
    auto per_user = driver.create_output_topic<std::string, int64_t>("views-per-user");
    auto per_minute = driver.create_output_topic<std::string, std::string>("views-per-minute");
    in.pipe_input("ann", "/home", 1000);
    in.pipe_input("ann", "/cart", 2000);
    in.pipe_input("bob", "/home", 3000);
    // Stream time past 60 s + 10 s grace closes the first minute.
    in.pipe_input("bob", "/home", 71000);

    const auto counts = per_user.read_key_values_to_list();
    ASSERT_EQ(counts.size(), 4U);
    EXPECT_EQ(counts[1].key, "ann");
    EXPECT_EQ(counts[1].value, 2);
    EXPECT_EQ(counts[3].key, "bob");
    EXPECT_EQ(counts[3].value, 2);
    const auto minutes = per_minute.read_key_values_to_list();
    ASSERT_EQ(minutes.size(), 2U);
    EXPECT_EQ(minutes[0].key, "ann");
    EXPECT_EQ(minutes[0].value, "2@0");
    EXPECT_EQ(minutes[1].key, "bob");
    EXPECT_EQ(minutes[1].value, "1@0");
}

} // namespace
} // namespace brook
