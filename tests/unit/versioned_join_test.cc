// Versioned tables (KIP-889/914) and the stream-table join's grace period (KIP-923),
// through the topology test driver, against Kafka Streams' semantics and its
// KStreamKTableJoinTest cases: a versioned table forwards only its newest versions, a join
// looks the table up as of each record's time, and a grace period holds records back and
// joins them in timestamp order.

#include <chrono>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/errors.h"
#include "engine/store/get_store.h"
#include "engine/store/versioned_key_value_store.h"
#include "engine/testing/topology_test_driver.h"
#include "operators/stream_builder.h"

namespace brook {
namespace {

using namespace std::chrono_literals;
using opt = std::optional<std::string>;

const std::map<std::string, std::string> config{{"application.id", "versioned"},
                                                {"statestore.cache.max.bytes", "0"}};

struct out_record {
    int32_t key = 0;
    std::string value;
    int64_t timestamp = 0;
    auto operator<=>(const out_record&) const = default;
};

std::ostream& operator<<(std::ostream& out, const out_record& r) {
    return out << r.key << "=" << r.value << "@" << r.timestamp;
}

std::vector<out_record> drain(topology_test_driver& driver) {
    std::vector<out_record> all;
    for (auto& r : driver.create_output_topic<int32_t, std::string>("out").read_records_to_list()) {
        all.push_back({r.key, r.value, r.timestamp});
    }
    return all;
}

materialized<int32_t, std::string> versioned_store(std::chrono::milliseconds history) {
    auto m = materialized<int32_t, std::string>::as("V-grace");
    m.versioned(history);
    return m;
}

// KStreamKTableJoinTest's makeJoin: a stream joined with a table versioned for 5 minutes.
topology grace_join(std::optional<std::chrono::milliseconds> grace, bool left = false) {
    stream_builder b;
    auto stream = b.stream<int32_t, std::string>({"stream"});
    auto table = b.table("table", consumed<int32_t, std::string>{}, versioned_store(5min));
    joined<int32_t, std::string> options;
    options.name = "Grace";
    options.grace_period = grace;
    auto joiner = [](const std::string& s, const std::string& t) { return s + "+" + t; };
    if (left) {
        stream
            .left_join(
                table,
                [](const std::string& s, const opt& t) { return s + "+" + t.value_or("null"); },
                options)
            .to("out");
    } else {
        stream.join(table, joiner, options).to("out");
    }
    return b.build();
}

struct topics {
    explicit topics(topology_test_driver& driver)
        : stream(driver.create_input_topic<int32_t, std::string>("stream")),
          table(driver.create_input_topic<int32_t, opt>("table")) {}
    // Keys 0..n-1 at timestamps 0..n-1, values prefix + key.
    void push_stream(int n, const std::string& prefix) {
        for (int i = 0; i < n; ++i) {
            stream.pipe_input(i, prefix + std::to_string(i), i);
        }
    }
    // Keys 0..n-1 at timestamp 0.
    void push_table(int n, const std::string& prefix) {
        for (int i = 0; i < n; ++i) {
            table.pipe_input(i, opt(prefix + std::to_string(i)), 0);
        }
    }
    test_input_topic<int32_t, std::string> stream;
    test_input_topic<int32_t, opt> table;
};

TEST(versioned_table, forwards_only_newest_versions_and_drops_records_older_than_the_history) {
    stream_builder b;
    b.table("table", consumed<int32_t, std::string>{}, versioned_store(100ms))
        .to_stream()
        .map_values([](const opt& v) { return v.value_or("<deleted>"); })
        .to("out");
    topology_test_driver driver(b.build(), config);
    auto table = driver.create_input_topic<int32_t, opt>("table");
    table.pipe_input(1, opt("a"), 10);
    table.pipe_input(1, opt("c"), 30);
    table.pipe_input(1, opt("b"), 20);         // out of order: kept as history, not forwarded
    table.pipe_input(1, std::nullopt, 40);     // a delete of the newest version
    table.pipe_input(2, opt("x"), 500);        // stream time 500: the history reaches 400
    table.pipe_input(1, opt("too-late"), 399); // refused
    table.pipe_input(1, opt("in-time"), 400);  // the newest version of key 1
    EXPECT_EQ(
        drain(driver),
        (std::vector<out_record>{
            {1, "a", 10}, {1, "c", 30}, {1, "<deleted>", 40}, {2, "x", 500}, {1, "in-time", 400}}));

    auto& store =
        get_store<versioned_key_value_store<int32_t, std::string>>(driver.state_store("V-grace"));
    ASSERT_TRUE(store.get(1, 450));
    EXPECT_EQ(store.get(1, 450)->value, "in-time");
    EXPECT_EQ(store.observed_stream_time(), 500);
    // Through its plain face it reads like any table store.
    auto& plain =
        get_store<timestamped_key_value_store<int32_t, std::string>>(driver.state_store("V-grace"));
    ASSERT_TRUE(plain.get(2));
    EXPECT_EQ(plain.get(2)->value, "x");
}

TEST(stream_table_join, a_versioned_table_is_looked_up_as_of_each_records_timestamp) {
    topology_test_driver driver(grace_join(std::nullopt, true), config);
    topics t(driver);
    t.table.pipe_input(1, opt("silver"), 10);
    t.table.pipe_input(1, opt("gold"), 20);
    t.table.pipe_input(1, std::nullopt, 30);
    t.stream.pipe_input(1, "at-25", 25);
    t.stream.pipe_input(1, "at-15", 15); // out of order: sees the table as it was at 15
    t.stream.pipe_input(1, "at-5", 5);
    t.stream.pipe_input(1, "at-35", 35);
    t.table.pipe_input(1, opt("late-bronze"), 12); // a late table update, within history
    t.stream.pipe_input(1, "at-13", 13);
    EXPECT_EQ(drain(driver), (std::vector<out_record>{{1, "at-25+gold", 25},
                                                      {1, "at-15+silver", 15},
                                                      {1, "at-5+null", 5},
                                                      {1, "at-35+null", 35},
                                                      {1, "at-13+late-bronze", 13}}));
}

TEST(stream_table_join, a_grace_period_delays_the_join_and_orders_it_by_time) {
    // KStreamKTableJoinTest.shouldDelayJoinByGracePeriod.
    topology_test_driver driver(grace_join(2ms), config);
    topics t(driver);
    t.push_table(4, "Y");
    EXPECT_TRUE(drain(driver).empty());
    t.push_stream(4, "X");
    EXPECT_EQ(drain(driver), (std::vector<out_record>{{0, "X0+Y0", 0}, {1, "X1+Y1", 1}}));
    t.push_table(4, "YY");
    EXPECT_TRUE(drain(driver).empty());
    t.push_stream(4, "X");
    EXPECT_EQ(drain(driver), (std::vector<out_record>{{0, "X0+YY0", 0}, {1, "X1+YY1", 1}}));
    t.stream.pipe_input(5, "test", 7);
    EXPECT_EQ(drain(driver),
              (std::vector<out_record>{
                  {2, "X2+YY2", 2}, {2, "X2+YY2", 2}, {3, "X3+YY3", 3}, {3, "X3+YY3", 3}}));
    t.push_table(4, "YYY");
    EXPECT_TRUE(drain(driver).empty());
}

TEST(stream_table_join, a_record_later_than_the_grace_period_joins_at_once) {
    // KStreamKTableJoinTest.shouldHandleLateJoinsWithGracePeriod.
    topology_test_driver driver(grace_join(2ms), config);
    topics t(driver);
    t.push_table(4, "Y");
    t.push_stream(4, "X");
    EXPECT_EQ(drain(driver), (std::vector<out_record>{{0, "X0+Y0", 0}, {1, "X1+Y1", 1}}));
    t.push_stream(1, "X");
    EXPECT_EQ(drain(driver), (std::vector<out_record>{{0, "X0+Y0", 0}}));
}

TEST(stream_table_join, a_grace_period_lets_a_late_table_update_reach_the_records_after_it) {
    topology_test_driver driver(grace_join(10ms), config);
    topics t(driver);
    t.table.pipe_input(1, opt("old"), 0);
    t.stream.pipe_input(1, "order", 100);
    t.table.pipe_input(1, opt("new"), 95); // arrives after the order, happened before it
    t.stream.pipe_input(9, "tick", 110);   // stream time 110: the order's wait is over
    EXPECT_EQ(drain(driver), (std::vector<out_record>{{1, "order+new", 100}}));
}

TEST(stream_table_join, a_buffered_record_keeps_its_headers) {
    topology_test_driver driver(grace_join(2ms), config);
    topics t(driver);
    t.push_table(2, "Y");
    headers h;
    h.add("trace", std::string("abc"));
    h.add("empty", std::nullopt);
    t.stream.pipe_input(1, "X1", 1, h);
    t.stream.pipe_input(0, "X0", 5);
    auto out = driver.create_output_topic<int32_t, std::string>("out");
    const captured_record r = out.read_raw();
    EXPECT_EQ(r.value, opt("X1+Y1"));
    EXPECT_EQ(r.hdrs, h);
}

TEST(stream_table_join, a_grace_period_needs_a_versioned_table_with_enough_history) {
    {
        stream_builder b;
        auto stream = b.stream<int32_t, std::string>({"stream"});
        auto table = b.table<int32_t, std::string>("table");
        joined<int32_t, std::string> options;
        options.grace_period = 1ms;
        EXPECT_THROW(
            stream.join(
                table, [](const std::string& s, const std::string&) { return s; }, options),
            topology_error);
    }
    {
        stream_builder b;
        auto stream = b.stream<int32_t, std::string>({"stream"});
        auto table = b.table("table", consumed<int32_t, std::string>{}, versioned_store(1s));
        joined<int32_t, std::string> options;
        options.grace_period = 2s;
        try {
            stream.join(
                table, [](const std::string& s, const std::string&) { return s; }, options);
            ADD_FAILURE() << "a grace period longer than the history was accepted";
        } catch (const topology_error& e) {
            EXPECT_NE(std::string(e.what()).find("history retention (1000 ms)"), std::string::npos)
                << e.what();
        }
    }
}

TEST(versioned_table, only_a_table_read_from_a_topic_can_be_versioned) {
    stream_builder b;
    auto m = materialized<int32_t, int64_t>::as("counts");
    m.versioned(1min);
    auto grouped = b.stream<int32_t, std::string>({"in"}).group_by_key();
    EXPECT_THROW(grouped.count(m), topology_error);
}

} // namespace
} // namespace brook
