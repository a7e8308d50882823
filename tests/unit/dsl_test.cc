// Every DSL operator, run through the topology test driver: stateless operators, branching,
// merging, sinks with partitioners and per-record topics, repartitioning, Kafka nulls,
// unreadable records, timestamp extractors and headers.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "engine/errors.h"
#include "engine/serde/json_serde.h"
#include "engine/testing/topology_test_driver.h"
#include "operators/stream_builder.h"

namespace brook {
namespace {

using strings = std::vector<std::string>;
using nullable_string = std::optional<std::string>;

// The bytes int64_serde writes for `v`, for piping raw records.
std::string int64_bytes(int64_t v) {
    std::string buffer;
    return std::string(*int64_serde{}.serialize(v, buffer));
}

TEST(dsl, filter_keeps_matching_records_and_filter_not_the_others) {
    stream_builder b;
    auto s = b.stream<std::string, int64_t>({"in"});
    s.filter([](const std::string&, int64_t v) { return v % 2 == 0; }).to("even");
    s.filter_not([](const std::string&, int64_t v) { return v % 2 == 0; }).to("odd");
    const topology t = b.build();
    topology_test_driver driver(t);
    auto in = driver.create_input_topic<std::string, int64_t>("in");
    for (int64_t i = 0; i < 6; ++i) {
        in.pipe_input("k" + std::to_string(i), i, 1000 + i);
    }
    auto even = driver.create_output_topic<std::string, int64_t>("even");
    auto odd = driver.create_output_topic<std::string, int64_t>("odd");
    EXPECT_EQ(even.read_values_to_list(), (std::vector<int64_t>{0, 2, 4}));
    const auto odd_records = odd.read_records_to_list();
    ASSERT_EQ(odd_records.size(), 3U);
    EXPECT_EQ(odd_records[0].key, "k1");
    EXPECT_EQ(odd_records[0].timestamp, 1001);
}

TEST(dsl, map_changes_key_and_value_and_marks_the_key_changed) {
    stream_builder b;
    auto s = b.stream<std::string, std::string>({"in"});
    auto mapped = s.map([](const std::string& k, const std::string& v) {
        return key_value<int64_t, std::string>{static_cast<int64_t>(v.size()), k + ":" + v};
    });
    EXPECT_TRUE(mapped.key_changed());
    EXPECT_FALSE(s.key_changed());
    mapped.to("out");
    const topology t = b.build();
    topology_test_driver driver(t);
    driver.create_input_topic<std::string, std::string>("in").pipe_input("a", "xyz", 5);
    auto out = driver.create_output_topic<int64_t, std::string>("out");
    const auto r = out.read_record();
    EXPECT_EQ(r.key, 3);
    EXPECT_EQ(r.value, "a:xyz");
    EXPECT_EQ(r.timestamp, 5);
}

TEST(dsl, map_values_accepts_a_value_only_mapper_and_a_key_and_value_mapper) {
    stream_builder b;
    auto s = b.stream<std::string, std::string>({"in"});
    auto by_value =
        s.map_values([](const std::string& v) { return static_cast<int64_t>(v.size()); });
    auto by_key_and_value =
        s.map_values([](const std::string& k, const std::string& v) { return k + "=" + v; });
    EXPECT_FALSE(by_value.key_changed());
    EXPECT_FALSE(by_key_and_value.key_changed());
    by_value.to("sizes");
    by_key_and_value.to("pairs");
    const topology t = b.build();
    topology_test_driver driver(t);
    auto in = driver.create_input_topic<std::string, std::string>("in");
    in.pipe_input("a", "xyz", 10);
    in.pipe_input("b", "", 11);

    auto sizes = driver.create_output_topic<std::string, int64_t>("sizes");
    const auto sized = sizes.read_records_to_list();
    ASSERT_EQ(sized.size(), 2U);
    EXPECT_EQ(sized[0].key, "a");
    EXPECT_EQ(sized[0].value, 3);
    EXPECT_EQ(sized[0].timestamp, 10);
    EXPECT_EQ(sized[1].key, "b");
    EXPECT_EQ(sized[1].value, 0);
    EXPECT_EQ(sized[1].timestamp, 11);

    auto pairs = driver.create_output_topic<std::string, std::string>("pairs");
    EXPECT_EQ(pairs.read_values_to_list(), (strings{"a=xyz", "b="}));
}

TEST(dsl, flat_map_emits_zero_or_more_records_each_with_the_input_timestamp_and_headers) {
    stream_builder b;
    b.stream<std::string, std::string>({"in"})
        .flat_map([](const std::string& k, const std::string& v) {
            std::vector<key_value<std::string, int64_t>> out;
            for (size_t i = 0; i < v.size(); ++i) {
                out.push_back({k + std::to_string(i), static_cast<int64_t>(i)});
            }
            return out;
        })
        .to("out");
    const topology t = b.build();
    topology_test_driver driver(t);
    auto in = driver.create_input_topic<std::string, std::string>("in");
    headers h;
    h.add("trace", "t1");
    in.pipe_input("k", "ab", 7, h);
    in.pipe_input("none", "", 8);
    in.pipe_input("z", "c", 9);

    auto out = driver.create_output_topic<std::string, int64_t>("out");
    const auto records = out.read_records_to_list();
    ASSERT_EQ(records.size(), 3U);
    EXPECT_EQ(records[0].key, "k0");
    EXPECT_EQ(records[0].value, 0);
    EXPECT_EQ(records[0].timestamp, 7);
    EXPECT_EQ(records[0].headers, h);
    EXPECT_EQ(records[1].key, "k1");
    EXPECT_EQ(records[1].value, 1);
    EXPECT_EQ(records[1].timestamp, 7);
    EXPECT_EQ(records[1].headers, h);
    EXPECT_EQ(records[2].key, "z0");
    EXPECT_EQ(records[2].timestamp, 9);
    EXPECT_TRUE(records[2].headers.empty());
}

TEST(dsl, flat_map_values_keeps_the_key_for_every_value_in_either_callable_shape) {
    stream_builder b;
    auto s = b.stream<std::string, std::string>({"in"});
    auto chars = s.flat_map_values([](const std::string& v) {
        std::vector<std::string> out;
        for (char c : v) {
            out.emplace_back(1, c);
        }
        return out;
    });
    auto keyed = s.flat_map_values([](const std::string& k, const std::string& v) {
        return std::vector<std::string>{k, v};
    });
    EXPECT_FALSE(chars.key_changed());
    EXPECT_FALSE(keyed.key_changed());
    chars.to("chars");
    keyed.to("keyed");
    const topology t = b.build();
    topology_test_driver driver(t);
    auto in = driver.create_input_topic<std::string, std::string>("in");
    in.pipe_input("k", "xy", 3);
    in.pipe_input("e", "", 4);

    auto chars_out = driver.create_output_topic<std::string, std::string>("chars");
    const auto kvs = chars_out.read_key_values_to_list();
    EXPECT_EQ(kvs, (std::vector<key_value<std::string, std::string>>{{"k", "x"}, {"k", "y"}}));
    auto keyed_out = driver.create_output_topic<std::string, std::string>("keyed");
    EXPECT_EQ(keyed_out.read_key_values_to_list(),
              (std::vector<key_value<std::string, std::string>>{
                  {"k", "k"}, {"k", "xy"}, {"e", "e"}, {"e", ""}}));
}

TEST(dsl, select_key_replaces_the_key_keeps_the_value_and_marks_the_key_changed) {
    stream_builder b;
    auto s = b.stream<std::string, std::string>({"in"});
    auto rekeyed = s.select_key([](const std::string& k, const std::string& v) {
        return static_cast<int64_t>(k.size() + v.size());
    });
    EXPECT_FALSE(s.key_changed());
    EXPECT_TRUE(rekeyed.key_changed());
    rekeyed.to("out");
    const topology t = b.build();
    topology_test_driver driver(t);
    driver.create_input_topic<std::string, std::string>("in").pipe_input("ab", "cde", 42);
    auto out = driver.create_output_topic<int64_t, std::string>("out");
    const auto r = out.read_record();
    EXPECT_EQ(r.key, 5);
    EXPECT_EQ(r.value, "cde");
    EXPECT_EQ(r.timestamp, 42);
    EXPECT_TRUE(out.is_empty());
}

TEST(dsl, key_changed_survives_value_operators_and_is_cleared_by_repartition) {
    stream_builder b;
    auto s = b.stream<std::string, std::string>({"in"});
    auto other = b.stream<std::string, std::string>({"other"});
    auto rekeyed = s.select_key([](const std::string&, const std::string& v) { return v; });
    EXPECT_TRUE(
        rekeyed.filter([](const std::string&, const std::string&) { return true; }).key_changed());
    EXPECT_TRUE(rekeyed.filter_not([](const std::string&, const std::string&) { return true; })
                    .key_changed());
    EXPECT_TRUE(rekeyed.map_values([](const std::string& v) { return v; }).key_changed());
    EXPECT_TRUE(
        rekeyed.flat_map_values([](const std::string& v) { return strings{v}; }).key_changed());
    EXPECT_TRUE(rekeyed.peek([](const std::string&, const std::string&) {}).key_changed());
    EXPECT_TRUE(s.flat_map([](const std::string& k, const std::string& v) {
                     return std::vector<key_value<std::string, std::string>>{{k, v}};
                 }).key_changed());
    EXPECT_TRUE(s.merge(rekeyed).key_changed());
    EXPECT_TRUE(rekeyed.merge(other).key_changed());
    EXPECT_FALSE(s.merge(other).key_changed());
    EXPECT_FALSE(rekeyed.repartition().key_changed());
    auto branches = rekeyed.split("b-")
                        .branch([](const std::string&, const std::string&) { return true; }, "all")
                        .no_default_branch();
    EXPECT_TRUE(branches.at("b-all").key_changed());
}

TEST(dsl, peek_sees_every_record_and_forwards_it_unchanged) {
    stream_builder b;
    std::vector<key_value<std::string, std::string>> seen;
    b.stream<std::string, std::string>({"in"})
        .peek([&seen](const std::string& k, const std::string& v) {
            seen.push_back({k, v});
        })
        .to("out");
    const topology t = b.build();
    topology_test_driver driver(t);
    auto in = driver.create_input_topic<std::string, std::string>("in");
    in.pipe_input("a", "1", 1);
    in.pipe_input("b", "2", 2);
    const std::vector<key_value<std::string, std::string>> expected{{"a", "1"}, {"b", "2"}};
    EXPECT_EQ(seen, expected);
    auto out = driver.create_output_topic<std::string, std::string>("out");
    const auto records = out.read_records_to_list();
    ASSERT_EQ(records.size(), 2U);
    EXPECT_EQ(records[0], (record<std::string, std::string>{"a", "1", 1, {}}));
    EXPECT_EQ(records[1], (record<std::string, std::string>{"b", "2", 2, {}}));
}

TEST(dsl, foreach_sees_every_record_and_ends_the_branch) {
    stream_builder b;
    std::vector<key_value<std::string, int64_t>> seen;
    b.stream<std::string, int64_t>({"in"}).foreach (
        [&seen](const std::string& k, int64_t v) {
            seen.push_back({k, v});
        },
        "each");
    const topology t = b.build();
    topology_test_driver driver(t);
    auto in = driver.create_input_topic<std::string, int64_t>("in");
    in.pipe_input("a", 1, 1);
    in.pipe_input("b", 2, 2);
    const std::vector<key_value<std::string, int64_t>> expected{{"a", 1}, {"b", 2}};
    EXPECT_EQ(seen, expected);
    EXPECT_TRUE(driver.produced_topics().empty());
    // A terminal node: nothing in the graph names it as a parent.
    for (const auto& n : t.nodes()) {
        for (const auto& p : n.parents) {
            EXPECT_NE(p, "each");
        }
    }
}

TEST(dsl, split_sends_each_record_to_the_first_matching_named_branch_or_the_default) {
    stream_builder b;
    auto branches = b.stream<std::string, int64_t>({"in"})
                        .split("route-")
                        .branch([](const std::string&, int64_t v) { return v < 0; }, "negative")
                        .branch([](const std::string&, int64_t v) { return v % 2 == 0; }, "even")
                        .branch([](const std::string&, int64_t v) { return v < -100; }, "never")
                        .default_branch("rest");
    ASSERT_EQ(branches.size(), 4U);
    ASSERT_TRUE(branches.contains("route-negative"));
    ASSERT_TRUE(branches.contains("route-even"));
    ASSERT_TRUE(branches.contains("route-never"));
    ASSERT_TRUE(branches.contains("route-rest"));
    branches.at("route-negative").to("negative");
    branches.at("route-even").to("even");
    branches.at("route-never").to("never");
    branches.at("route-rest").to("rest");
    const topology t = b.build();
    topology_test_driver driver(t);
    auto in = driver.create_input_topic<std::string, int64_t>("in");
    // -4 is negative and even and less than -100 only when it is -200: the first match wins.
    for (int64_t v : {-4, 2, 3, -200, 6, 7}) {
        in.pipe_input("k", v, 1);
    }
    EXPECT_EQ((driver.create_output_topic<std::string, int64_t>("negative").read_values_to_list()),
              (std::vector<int64_t>{-4, -200}));
    EXPECT_EQ((driver.create_output_topic<std::string, int64_t>("even").read_values_to_list()),
              (std::vector<int64_t>{2, 6}));
    EXPECT_TRUE((driver.create_output_topic<std::string, int64_t>("never").is_empty()));
    EXPECT_EQ((driver.create_output_topic<std::string, int64_t>("rest").read_values_to_list()),
              (std::vector<int64_t>{3, 7}));
}

TEST(dsl, split_names_unnamed_branches_by_position_and_the_default_branch_zero) {
    stream_builder b;
    auto branches = b.stream<std::string, int64_t>({"in"})
                        .split("s-")
                        .branch([](const std::string&, int64_t v) { return v > 0; })
                        .branch([](const std::string&, int64_t v) { return v < 0; })
                        .default_branch();
    std::vector<std::string> names;
    for (const auto& [name, stream] : branches) {
        names.push_back(name);
    }
    EXPECT_EQ(names, (strings{"s-0", "s-1", "s-2"}));
}

TEST(dsl, split_without_a_default_branch_drops_unmatched_records) {
    stream_builder b;
    auto branches = b.stream<std::string, int64_t>({"in"})
                        .split("b-")
                        .branch([](const std::string&, int64_t v) { return v > 10; }, "big")
                        .branch([](const std::string&, int64_t v) { return v < 0; }, "negative")
                        .no_default_branch();
    ASSERT_EQ(branches.size(), 2U);
    branches.at("b-big").to("big");
    branches.at("b-negative").to("negative");
    const topology t = b.build();
    topology_test_driver driver(t);
    auto in = driver.create_input_topic<std::string, int64_t>("in");
    for (int64_t v : {5, 11, -1, 0, 10}) {
        in.pipe_input("k", v, 1);
    }
    EXPECT_EQ((driver.create_output_topic<std::string, int64_t>("big").read_values_to_list()),
              (std::vector<int64_t>{11}));
    EXPECT_EQ((driver.create_output_topic<std::string, int64_t>("negative").read_values_to_list()),
              (std::vector<int64_t>{-1}));
    EXPECT_EQ(driver.produced_topics(), (strings{"big", "negative"}));
    EXPECT_EQ(driver.counters().records_processed.load(), 5U);
}

TEST(dsl, split_rejects_two_branches_with_the_same_name) {
    stream_builder b;
    auto split = b.stream<std::string, int64_t>({"in"}).split("b-");
    split.branch([](const std::string&, int64_t) { return true; }, "x");
    EXPECT_THROW(split.branch([](const std::string&, int64_t) { return false; }, "x"),
                 topology_error);
}

TEST(dsl, merge_passes_on_the_records_of_two_topics_in_arrival_order) {
    stream_builder b;
    auto left = b.stream<std::string, std::string>({"left"});
    auto right = b.stream<std::string, std::string>({"right"});
    left.merge(right).to("out");
    const topology t = b.build();
    ASSERT_EQ(t.subtopologies().size(), 1U);
    topology_test_driver driver(t);
    auto l = driver.create_input_topic<std::string, std::string>("left");
    auto r = driver.create_input_topic<std::string, std::string>("right");
    l.pipe_input("l", "1", 10);
    r.pipe_input("r", "2", 5);
    l.pipe_input("l", "3", 20);
    r.pipe_input("r", "4", 30);
    auto out = driver.create_output_topic<std::string, std::string>("out");
    const auto records = out.read_records_to_list();
    ASSERT_EQ(records.size(), 4U);
    EXPECT_EQ(records[0], (record<std::string, std::string>{"l", "1", 10, {}}));
    EXPECT_EQ(records[1], (record<std::string, std::string>{"r", "2", 5, {}}));
    EXPECT_EQ(records[2], (record<std::string, std::string>{"l", "3", 20, {}}));
    EXPECT_EQ(records[3], (record<std::string, std::string>{"r", "4", 30, {}}));
}

TEST(dsl, to_gives_the_produced_partitioner_the_record_and_the_partition_count) {
    stream_builder b;
    std::vector<int32_t> counts_seen;
    produced<std::string, std::string> options;
    options.partitioner = [&counts_seen](const record<std::string, std::string>& r,
                                         int32_t num_partitions) -> std::optional<int32_t> {
        counts_seen.push_back(num_partitions);
        if (r.key == "default") {
            return std::nullopt;
        }
        return static_cast<int32_t>(r.value.size());
    };
    b.stream<std::string, std::string>({"in"}).to("out", options);
    const topology t = b.build();
    topology_test_driver driver(t);
    auto in = driver.create_input_topic<std::string, std::string>("in");
    in.pipe_input("chosen", "abc", 1);
    in.pipe_input("default", "abc", 2);
    in.pipe_input("chosen", "", 3);
    auto out = driver.create_output_topic<std::string, std::string>("out");
    EXPECT_EQ(out.read_raw().partition, std::optional<int32_t>(3));
    EXPECT_EQ(out.read_raw().partition, std::nullopt);
    EXPECT_EQ(out.read_raw().partition, std::optional<int32_t>(0));
    // The driver runs every topic with one partition.
    EXPECT_EQ(counts_seen, (std::vector<int32_t>{1, 1, 1}));
}

TEST(dsl, to_without_a_partitioner_leaves_the_partition_to_the_default_partitioner) {
    stream_builder b;
    b.stream<std::string, std::string>({"in"}).to("out");
    const topology t = b.build();
    topology_test_driver driver(t);
    driver.create_input_topic<std::string, std::string>("in").pipe_input("k", "v", 1);
    EXPECT_EQ((driver.create_output_topic<std::string, std::string>("out").read_raw().partition),
              std::nullopt);
}

TEST(dsl, to_writes_with_the_produced_serdes) {
    stream_builder b;
    b.stream<std::string, int64_t>({"in"}).to(
        "out", produced<std::string, int64_t, string_serde, json_serde<int64_t>>{});
    const topology t = b.build();
    topology_test_driver driver(t);
    driver.create_input_topic<std::string, int64_t>("in").pipe_input("k", 1234, 1);
    const captured_record raw =
        driver.create_output_topic<std::string, std::string>("out").read_raw();
    EXPECT_EQ(raw.key, nullable_string("k"));
    EXPECT_EQ(raw.value, nullable_string("1234"));
}

TEST(dsl, to_with_a_topic_extractor_chooses_the_topic_per_record) {
    stream_builder b;
    b.stream<std::string, std::string>({"in"}).to(
        [](const record<std::string, std::string>& r) { return "out-" + r.key; });
    const topology t = b.build();
    topology_test_driver driver(t);
    auto in = driver.create_input_topic<std::string, std::string>("in");
    in.pipe_input("a", "1", 1);
    in.pipe_input("b", "2", 2);
    in.pipe_input("a", "3", 3);
    EXPECT_EQ(driver.produced_topics(), (strings{"out-a", "out-b"}));
    EXPECT_EQ((driver.create_output_topic<std::string, std::string>("out-a").read_values_to_list()),
              (strings{"1", "3"}));
    EXPECT_EQ((driver.create_output_topic<std::string, std::string>("out-b").read_values_to_list()),
              (strings{"2"}));
}

TEST(dsl, to_with_a_topic_extractor_that_names_no_topic_throws) {
    stream_builder b;
    b.stream<std::string, std::string>({"in"}).to(
        [](const record<std::string, std::string>& r) { return r.value; });
    const topology t = b.build();
    topology_test_driver driver(t);
    auto in = driver.create_input_topic<std::string, std::string>("in");
    EXPECT_THROW(in.pipe_input("k", "", 1), topology_error);
}

TEST(dsl, to_refuses_an_empty_topic_name_or_an_empty_extractor) {
    stream_builder b;
    auto s = b.stream<std::string, std::string>({"in"});
    EXPECT_THROW(s.to(""), topology_error);
    EXPECT_THROW(s.to(topic_extractor<std::string, std::string>{}), topology_error);
}

TEST(dsl, repartition_writes_through_an_internal_topic_and_the_records_come_out_downstream) {
    stream_builder b;
    b.stream<std::string, std::string>({"in"})
        .select_key([](const std::string&, const std::string& v) { return v.substr(0, 1); })
        .repartition()
        .map_values([](const std::string& k, const std::string& v) { return k + "|" + v; })
        .to("out");
    const topology t = b.build();
    ASSERT_EQ(t.subtopologies().size(), 2U);
    ASSERT_EQ(t.internal_topics().size(), 1U);
    EXPECT_EQ(t.internal_topics()[0].name, "KSTREAM-REPARTITION-0000000002-repartition");
    topology_test_driver driver(t, {{"application.id", "app"}});
    auto in = driver.create_input_topic<std::string, std::string>("in");
    headers h;
    h.add("h", "1");
    in.pipe_input("k1", "apple", 100, h);
    in.pipe_input("k2", "banana", 200);

    EXPECT_EQ(driver.produced_topics(),
              (strings{"app-KSTREAM-REPARTITION-0000000002-repartition", "out"}));
    auto through = driver.create_output_topic<std::string, std::string>(
        "app-KSTREAM-REPARTITION-0000000002-repartition");
    EXPECT_EQ(through.read_key_values_to_list(),
              (std::vector<key_value<std::string, std::string>>{{"a", "apple"}, {"b", "banana"}}));
    auto out = driver.create_output_topic<std::string, std::string>("out");
    const auto records = out.read_records_to_list();
    ASSERT_EQ(records.size(), 2U);
    EXPECT_EQ(records[0], (record<std::string, std::string>{"a", "a|apple", 100, h}));
    EXPECT_EQ(records[1], (record<std::string, std::string>{"b", "b|banana", 200, {}}));
    EXPECT_EQ(driver.counters().records_processed.load(), 4U);
}

TEST(dsl, repartition_with_a_name_and_serdes_uses_them_for_the_internal_topic) {
    stream_builder b;
    repartitioned<std::string, int64_t, string_serde, json_serde<int64_t>> options;
    options.name = "by-user";
    b.stream<std::string, int64_t>({"in"}).repartition(options).to("out");
    const topology t = b.build();
    topology_test_driver driver(t, {{"application.id", "shop"}});
    driver.create_input_topic<std::string, int64_t>("in").pipe_input("u", 77, 1);
    EXPECT_EQ(driver.produced_topics(), (strings{"out", "shop-by-user-repartition"}));
    const captured_record through =
        driver.create_output_topic<std::string, std::string>("shop-by-user-repartition").read_raw();
    EXPECT_EQ(through.value, nullable_string("77"));
    EXPECT_EQ((driver.create_output_topic<std::string, int64_t>("out").read_value()), 77);
}

// Appends the topic the record came from to its value.
class topic_tagger final : public processor<std::string, std::string> {
public:
    void process(record<std::string, std::string>&& r) override {
        const record_metadata* m = context().metadata();
        r.value += "@" + (m != nullptr ? std::string(m->topic) : std::string("none"));
        context().forward(std::move(r));
    }
};

TEST(dsl, a_sub_topology_reading_its_own_repartition_topic_finishes_each_record_first) {
    stream_builder b;
    auto s = b.stream<std::string, std::string>({"in"});
    s.merge(s.repartition())
        .process<topic_tagger>([] { return std::make_unique<topic_tagger>(); })
        .to("out");
    const topology t = b.build();
    ASSERT_EQ(t.subtopologies().size(), 1U);
    topology_test_driver driver(t, {{"application.id", "app"}});
    auto in = driver.create_input_topic<std::string, std::string>("in");
    in.pipe_input("k", "a", 1);
    in.pipe_input("k", "b", 2);
    // Each record is done (with its own metadata) before its repartitioned copy comes back.
    EXPECT_EQ((driver.create_output_topic<std::string, std::string>("out").read_values_to_list()),
              (strings{"a@in", "a@app-KSTREAM-REPARTITION-0000000001-repartition", "b@in",
                       "b@app-KSTREAM-REPARTITION-0000000001-repartition"}));
}

TEST(dsl, process_marks_the_key_changed_whatever_the_key_type) {
    stream_builder b;
    auto s = b.stream<std::string, std::string>({"in"});
    auto processed = s.process<topic_tagger>([] { return std::make_unique<topic_tagger>(); });
    EXPECT_FALSE(s.key_changed());
    EXPECT_TRUE(processed.key_changed());
    EXPECT_FALSE(processed.repartition().key_changed());
}

TEST(dsl, kafka_null_keys_and_values_pass_through_an_optional_stream_unchanged) {
    stream_builder b;
    b.stream<nullable_string, nullable_string>({"in"})
        .filter([](const nullable_string&, const nullable_string&) { return true; })
        .map_values([](const nullable_string& v) { return v; })
        .to("out");
    const topology t = b.build();
    topology_test_driver driver(t);
    auto in = driver.create_input_topic<nullable_string, nullable_string>("in");
    in.pipe_input(std::nullopt, std::nullopt, 1);
    in.pipe_input(std::nullopt, "v", 2);
    in.pipe_input("k", std::nullopt, 3);
    in.pipe_input("", "", 4);
    in.pipe_null_key("w", 5);

    auto out = driver.create_output_topic<nullable_string, nullable_string>("out");
    captured_record r = out.read_raw();
    EXPECT_EQ(r.key, std::nullopt);
    EXPECT_EQ(r.value, std::nullopt);
    r = out.read_raw();
    EXPECT_EQ(r.key, std::nullopt);
    EXPECT_EQ(r.value, nullable_string("v"));
    r = out.read_raw();
    EXPECT_EQ(r.key, nullable_string("k"));
    EXPECT_EQ(r.value, std::nullopt);
    // Empty is not null.
    r = out.read_raw();
    EXPECT_EQ(r.key, nullable_string(""));
    EXPECT_EQ(r.value, nullable_string(""));
    const auto typed = out.read_record();
    EXPECT_EQ(typed.key, std::nullopt);
    EXPECT_EQ(typed.value, nullable_string("w"));
    EXPECT_EQ(typed.timestamp, 5);
}

TEST(dsl, a_null_key_reaches_a_string_keyed_stream_as_an_empty_string) {
    stream_builder b;
    std::vector<std::string> keys;
    b.stream<std::string, std::string>({"in"})
        .peek([&keys](const std::string& k, const std::string&) { keys.push_back(k); })
        .to("out");
    const topology t = b.build();
    topology_test_driver driver(t);
    driver.create_input_topic<std::string, std::string>("in").pipe_null_key("v", 9);
    EXPECT_EQ(keys, (strings{""}));
    const captured_record r =
        driver.create_output_topic<std::string, std::string>("out").read_raw();
    EXPECT_EQ(r.key, nullable_string(""));
    EXPECT_EQ(r.value, nullable_string("v"));
    EXPECT_EQ(r.timestamp, 9);
}

// A topology that reads int64 values, for the deserialization-handler tests.
topology int64_passthrough() {
    stream_builder b;
    b.stream<std::string, int64_t>({"in"}).to("out");
    return b.build();
}

TEST(dsl, an_unreadable_value_fails_under_the_default_deserialization_handler) {
    const topology t = int64_passthrough();
    topology_test_driver driver(t);
    auto in = driver.create_input_topic<std::string, int64_t>("in");
    EXPECT_THROW(in.pipe_bytes("k", "not eight bytes", 1), streams_error);
    EXPECT_THROW(in.pipe_bytes("k", std::nullopt, 2), streams_error);
    EXPECT_EQ(driver.counters().deserialization_errors.load(), 2U);
    EXPECT_TRUE(driver.produced_topics().empty());
}

TEST(dsl, log_and_continue_skips_unreadable_records_and_counts_them) {
    const topology t = int64_passthrough();
    topology_test_driver driver(
        t, {{"default.deserialization.exception.handler", "log_and_continue"}});
    auto in = driver.create_input_topic<std::string, int64_t>("in");
    in.pipe_bytes("a", "abc", 1);
    in.pipe_input("b", 5, 2);
    in.pipe_bytes("c", std::nullopt, 3);
    in.pipe_bytes("d", int64_bytes(6), 4);
    EXPECT_EQ(driver.counters().deserialization_errors.load(), 2U);
    EXPECT_EQ(driver.counters().dead_lettered.load(), 0U);
    EXPECT_EQ((driver.create_output_topic<std::string, int64_t>("out").read_key_values_to_list()),
              (std::vector<key_value<std::string, int64_t>>{{"b", 5}, {"d", 6}}));
    EXPECT_EQ(driver.produced_topics(), (strings{"out"}));
}

TEST(dsl, dead_letter_writes_the_raw_record_with_error_headers_to_the_configured_topic) {
    const topology t = int64_passthrough();
    topology_test_driver driver(t, {{"default.deserialization.exception.handler", "dead_letter"},
                                    {"errors.dead.letter.queue.topic.name", "bad-records"}});
    auto in = driver.create_input_topic<std::string, int64_t>("in");
    in.pipe_input("ok", 1, 10);
    headers original;
    original.add("trace", "t-7");
    driver.pipe_raw("in", std::string("k"), std::string("garbage"), 11, original);

    EXPECT_EQ(driver.counters().deserialization_errors.load(), 1U);
    EXPECT_EQ(driver.counters().dead_lettered.load(), 1U);
    EXPECT_EQ(driver.produced_topics(), (strings{"bad-records", "out"}));
    auto dlq = driver.create_output_topic<std::string, std::string>("bad-records");
    const captured_record r = dlq.read_raw();
    EXPECT_TRUE(dlq.is_empty());
    EXPECT_EQ(r.key, nullable_string("k"));
    EXPECT_EQ(r.value, nullable_string("garbage"));
    EXPECT_EQ(r.timestamp, 11);
    EXPECT_EQ(r.hdrs.last("trace"), std::optional<std::string_view>("t-7"));
    ASSERT_TRUE(r.hdrs.last("error").has_value());
    EXPECT_NE(r.hdrs.last("error")->find("int64"), std::string_view::npos);
    EXPECT_EQ(r.hdrs.last("source-topic"), std::optional<std::string_view>("in"));
    EXPECT_EQ(r.hdrs.last("source-partition"), std::optional<std::string_view>("0"));
    // The second record piped to "in" has offset 1.
    EXPECT_EQ(r.hdrs.last("source-offset"), std::optional<std::string_view>("1"));
    EXPECT_EQ((driver.create_output_topic<std::string, int64_t>("out").read_value()), 1);
}

TEST(dsl, dead_letter_without_a_topic_name_writes_to_the_application_id_dlq_topic) {
    const topology t = int64_passthrough();
    topology_test_driver driver(t, {{"application.id", "orders"},
                                    {"default.deserialization.exception.handler", "dead_letter"}});
    auto in = driver.create_input_topic<std::string, int64_t>("in");
    in.pipe_bytes(std::nullopt, "xyz", 3);
    EXPECT_EQ(driver.produced_topics(), (strings{"orders-dlq"}));
    const captured_record r =
        driver.create_output_topic<std::string, std::string>("orders-dlq").read_raw();
    EXPECT_EQ(r.key, std::nullopt);
    EXPECT_EQ(r.value, nullable_string("xyz"));
    EXPECT_EQ(r.hdrs.last("source-offset"), std::optional<std::string_view>("0"));
}

TEST(dsl, with_dead_letter_headers_marks_records_with_the_reason_and_their_origin) {
    stream_builder b;
    b.stream<std::string, int64_t>({"in"})
        .filter([](const std::string&, int64_t v) { return v < 0; })
        .with_dead_letter_headers(
            [](const std::string&, int64_t v) { return "negative: " + std::to_string(v); })
        .to("rejected");
    const topology t = b.build();
    topology_test_driver driver(t);
    auto in = driver.create_input_topic<std::string, int64_t>("in");
    in.pipe_input("a", 1, 1);
    in.pipe_input("b", -3, 2);
    const auto r = driver.create_output_topic<std::string, int64_t>("rejected").read_record();
    EXPECT_EQ(r.key, "b");
    EXPECT_EQ(r.value, -3);
    EXPECT_EQ(r.headers.last("error"), std::optional<std::string_view>("negative: -3"));
    EXPECT_EQ(r.headers.last("source-topic"), std::optional<std::string_view>("in"));
    EXPECT_EQ(r.headers.last("source-partition"), std::optional<std::string_view>("0"));
    EXPECT_EQ(r.headers.last("source-offset"), std::optional<std::string_view>("1"));
}

TEST(dsl, a_timestamp_extractor_sets_the_record_timestamp_from_a_json_field) {
    stream_builder b;
    consumed<std::string, nlohmann::json> options{
        .extractor = [](const record<std::string, nlohmann::json>& r) {
            return r.value.at("ts").get<int64_t>();
        }};
    b.stream<std::string, nlohmann::json>({"in"}, options)
        .map_values([](const nlohmann::json& v) { return v.at("name").get<std::string>(); })
        .to("out");
    const topology t = b.build();
    topology_test_driver driver(t);
    auto in = driver.create_input_topic<std::string, nlohmann::json>("in");
    in.pipe_input("a", nlohmann::json{{"ts", 1'700'000'000'123}, {"name", "x"}}, 5);
    in.pipe_input("b", nlohmann::json{{"ts", 0}, {"name", "y"}}, 6);
    const auto records =
        driver.create_output_topic<std::string, std::string>("out").read_records_to_list();
    ASSERT_EQ(records.size(), 2U);
    EXPECT_EQ(records[0].value, "x");
    EXPECT_EQ(records[0].timestamp, 1'700'000'000'123);
    EXPECT_EQ(records[1].value, "y");
    EXPECT_EQ(records[1].timestamp, 0);
}

// A JSON source whose extractor reads "ts", for the negative-timestamp tests.
topology json_timestamps() {
    stream_builder b;
    consumed<std::string, nlohmann::json> options{
        .extractor = [](const record<std::string, nlohmann::json>& r) {
            return r.value.at("ts").get<int64_t>();
        }};
    b.stream<std::string, nlohmann::json>({"in"}, options).to("out");
    return b.build();
}

TEST(dsl, a_negative_extracted_timestamp_fails_under_the_default_handler) {
    const topology t = json_timestamps();
    topology_test_driver driver(t);
    auto in = driver.create_input_topic<std::string, nlohmann::json>("in");
    EXPECT_THROW(in.pipe_input("a", nlohmann::json{{"ts", -1}}, 5), streams_error);
    EXPECT_EQ(driver.counters().deserialization_errors.load(), 1U);
    EXPECT_TRUE(driver.produced_topics().empty());
}

TEST(dsl, a_negative_extracted_timestamp_goes_through_the_deserialization_handler) {
    const topology t = json_timestamps();
    topology_test_driver driver(t, {{"default.deserialization.exception.handler", "dead_letter"}});
    auto in = driver.create_input_topic<std::string, nlohmann::json>("in");
    in.pipe_input("a", nlohmann::json{{"ts", -5}}, 5);
    in.pipe_input("b", nlohmann::json{{"ts", 8}}, 6);
    EXPECT_EQ(driver.counters().deserialization_errors.load(), 1U);
    const captured_record dead =
        driver.create_output_topic<std::string, std::string>("topology-test-driver-dlq").read_raw();
    EXPECT_EQ(dead.key, nullable_string("a"));
    EXPECT_EQ(dead.value, nullable_string(R"({"ts":-5})"));
    EXPECT_EQ(dead.timestamp, 5);
    ASSERT_TRUE(dead.hdrs.last("error").has_value());
    EXPECT_NE(dead.hdrs.last("error")->find("-5"), std::string_view::npos);
    const auto out = driver.create_output_topic<std::string, nlohmann::json>("out").read_record();
    EXPECT_EQ(out.key, "b");
    EXPECT_EQ(out.timestamp, 8);
}

TEST(dsl, input_headers_reach_the_output_with_their_order_repeats_and_nulls) {
    stream_builder b;
    b.stream<std::string, std::string>({"in"})
        .map_values([](const std::string& v) { return v + "!"; })
        .filter([](const std::string&, const std::string&) { return true; })
        .to("out");
    const topology t = b.build();
    topology_test_driver driver(t);
    headers h;
    h.add("a", "1");
    h.add("b", std::nullopt);
    h.add("a", "2");
    driver.create_input_topic<std::string, std::string>("in").pipe_input("k", "v", 1, h);
    const captured_record raw =
        driver.create_output_topic<std::string, std::string>("out").read_raw();
    EXPECT_EQ(raw.hdrs, h);
    EXPECT_EQ(raw.value, nullable_string("v!"));
}

TEST(dsl, records_piped_without_a_timestamp_get_the_driver_wall_clock_time) {
    const topology t = int64_passthrough();
    topology_test_driver driver(t, {}, 5000);
    auto in = driver.create_input_topic<std::string, int64_t>("in");
    in.pipe_input("a", 1);
    driver.advance_wall_clock_time(std::chrono::milliseconds(250));
    in.pipe_input("b", 2);
    const auto records =
        driver.create_output_topic<std::string, int64_t>("out").read_records_to_list();
    ASSERT_EQ(records.size(), 2U);
    EXPECT_EQ(records[0].timestamp, 5000);
    EXPECT_EQ(records[1].timestamp, 5250);
}

TEST(dsl, operators_take_the_names_they_are_given) {
    stream_builder b;
    consumed<std::string, std::string> source_options;
    source_options.name = "orders-source";
    produced<std::string, std::string> sink_options;
    sink_options.name = "orders-sink";
    b.stream<std::string, std::string>({"in"}, source_options)
        .filter([](const std::string&, const std::string&) { return true; }, "keep-all")
        .to("out", sink_options);
    const topology t = b.build();
    strings names;
    for (const auto& n : t.nodes()) {
        names.push_back(n.name);
    }
    EXPECT_EQ(names, (strings{"orders-source", "keep-all", "orders-sink"}));
}

TEST(dsl, reading_a_topic_twice_is_a_topology_error) {
    stream_builder b;
    b.stream<std::string, std::string>({"in"});
    EXPECT_THROW((b.stream<std::string, std::string>({"other", "in"})), topology_error);
}

TEST(dsl, reading_past_the_end_of_an_output_topic_throws_out_of_range) {
    const topology t = int64_passthrough();
    topology_test_driver driver(t);
    auto out = driver.create_output_topic<std::string, int64_t>("out");
    EXPECT_TRUE(out.is_empty());
    EXPECT_EQ(out.queue_size(), 0U);
    EXPECT_THROW(out.read_record(), std::out_of_range);
}

} // namespace
} // namespace brook
