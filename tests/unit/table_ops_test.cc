// A table's filter, filter_not and map_values through the topology test driver (Kafka
// Streams' KTableFilterTest and KTableMapValuesTest semantics, materialized): updates that
// pass come through, a row that stops passing or is deleted comes once as a tombstone,
// nothing comes for a key that never had a row, and the derived table is a table like any
// other (joined, queried).

#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "engine/store/get_store.h"
#include "engine/testing/topology_test_driver.h"
#include "operators/stream_builder.h"

namespace brook {
namespace {

using opt = std::optional<std::string>;
using rows = std::vector<std::tuple<std::string, std::string, int64_t>>;

const std::map<std::string, std::string> config{{"application.id", "table-ops"},
                                                {"statestore.cache.max.bytes", "0"}};

rows read(topology_test_driver& driver) {
    rows all;
    for (auto& r : driver.create_output_topic<std::string, opt>("out").read_records_to_list()) {
        all.emplace_back(r.key, r.value.value_or("null"), r.timestamp);
    }
    return all;
}

bool long_enough(const std::string&, const std::string& v) {
    return v.size() >= 3;
}

TEST(table_ops, filter_passes_rows_that_hold_and_retracts_rows_that_stop_holding_once) {
    stream_builder b;
    b.table<std::string, std::string>("in")
        .filter(long_enough, "long")
        .to_stream()
        .to("out", produced<std::string, opt>{});
    topology_test_driver driver(b.build(), config);
    auto in = driver.create_input_topic<std::string, opt>("in");
    in.pipe_input("a", opt("abcd"), 1);  // passes
    in.pipe_input("a", opt("ab"), 2);    // stops passing: tombstone
    in.pipe_input("b", opt("x"), 3);     // never passed: nothing
    in.pipe_input("b", std::nullopt, 4); // deleted, had no row: nothing
    in.pipe_input("c", opt("long"), 5);
    in.pipe_input("c", std::nullopt, 6); // deleted: tombstone
    in.pipe_input("a", opt("again"), 7);
    EXPECT_EQ(read(driver), (rows{{"a", "abcd", 1},
                                  {"a", "null", 2},
                                  {"c", "long", 5},
                                  {"c", "null", 6},
                                  {"a", "again", 7}}));
    auto& store = get_store<timestamped_key_value_store<std::string, std::string>>(
        driver.state_store("long-store"));
    EXPECT_EQ(store.get("a")->value, "again");
    EXPECT_FALSE(store.get("b").has_value());
    EXPECT_FALSE(store.get("c").has_value());
}

TEST(table_ops, filter_not_keeps_the_rows_filter_would_drop) {
    stream_builder b;
    b.table<std::string, std::string>("in")
        .filter_not(long_enough)
        .to_stream()
        .to("out", produced<std::string, opt>{});
    topology_test_driver driver(b.build(), config);
    auto in = driver.create_input_topic<std::string, opt>("in");
    in.pipe_input("a", opt("ab"), 1);
    in.pipe_input("a", opt("abcd"), 2);
    in.pipe_input("b", opt("abcd"), 3);
    EXPECT_EQ(read(driver), (rows{{"a", "ab", 1}, {"a", "null", 2}}));
}

TEST(table_ops, map_values_maps_each_row_of_an_aggregation_and_the_result_joins) {
    stream_builder b;
    auto counts = b.stream<std::string, std::string>({"views"}).group_by_key().count();
    auto labels = counts.map_values(
        [](const std::string& key, int64_t n) { return key + " seen " + std::to_string(n); },
        "labels");
    labels.to_stream().to("out", produced<std::string, opt>{});
    b.stream<std::string, std::string>({"asks"})
        .join(labels, [](const std::string&, const std::string& label) { return label; })
        .to("answers");
    topology_test_driver driver(b.build(), config);
    auto views = driver.create_input_topic<std::string, std::string>("views");
    views.pipe_input("u", "v", 1);
    views.pipe_input("u", "v", 2);
    driver.create_input_topic<std::string, std::string>("asks").pipe_input("u", "?", 3);
    EXPECT_EQ(read(driver), (rows{{"u", "u seen 1", 1}, {"u", "u seen 2", 2}}));
    const auto answers =
        driver.create_output_topic<std::string, std::string>("answers").read_values_to_list();
    EXPECT_EQ(answers, (std::vector<std::string>{"u seen 2"}));
}

TEST(table_ops, describe_shows_the_derived_tables_and_their_stores) {
    stream_builder b;
    b.table<std::string, std::string>("in")
        .filter(long_enough)
        .map_values([](const std::string& v) { return static_cast<int64_t>(v.size()); });
    const std::string d = b.build().describe();
    for (const char* part : {"KTABLE-FILTER-0000000003 (stores: [])",
                             "KTABLE-FILTER-0000000003-result (stores: "
                             "[KTABLE-FILTER-0000000003-store])",
                             "KTABLE-MAPVALUES-0000000004-result"}) {
        EXPECT_NE(d.find(part), std::string::npos) << part << " missing from\n" << d;
    }
}

} // namespace
} // namespace brook
