// The logical graph's merge.repartition.topics: groupings and joins after one key change
// share one repartition topic, the description shows it, the results are those of the
// unoptimized topology and of the input, and what cannot be merged is left alone.

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "engine/config/streams_config.h"
#include "engine/errors.h"
#include "engine/runtime/kafka_streams.h"
#include "engine/testing/topology_test_driver.h"
#include "operators/stream_builder.h"

namespace brook {
namespace {

const std::map<std::string, std::string> no_cache{{"application.id", "app"},
                                                  {"statestore.cache.max.bytes", "0"}};
const topology_optimization merged{.merge_repartition_topics = true};

std::string first_letter(const std::string&, const std::string& v) {
    return v.substr(0, 1);
}

// in -> select_key(first letter) -> filter(non-empty) -> { count, reduce(concatenate) }.
topology two_groupings(const topology_optimization& optimization) {
    stream_builder b;
    auto keyed = b.stream<std::string, std::string>({"in"})
                     .select_key(first_letter)
                     .filter([](const std::string&, const std::string& v) { return !v.empty(); });
    keyed.group_by_key().count().to_stream().to("counts");
    keyed.group_by_key()
        .reduce([](const std::string& agg, const std::string& v) { return agg + "," + v; })
        .to_stream()
        .to("lists");
    return b.build(optimization);
}

TEST(topology_optimization, two_groupings_after_one_key_change_share_one_topic_behind_it) {
    const std::string expected = R"(Topologies:
   Sub-topology: 0
    Source: KSTREAM-SOURCE-0000000000 (topics: [in])
      --> KSTREAM-KEY-SELECT-0000000001
    Processor: KSTREAM-KEY-SELECT-0000000001 (stores: [])
      --> KSTREAM-SINK-0000000005
      <-- KSTREAM-SOURCE-0000000000
    Sink: KSTREAM-SINK-0000000005 (topic: <application.id>-KSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition)
      <-- KSTREAM-KEY-SELECT-0000000001

   Sub-topology: 1
    Source: KSTREAM-SOURCE-0000000007 (topics: [<application.id>-KSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition])
      --> KSTREAM-FILTER-0000000002
    Processor: KSTREAM-FILTER-0000000002 (stores: [])
      --> KSTREAM-FILTER-0000000006, KSTREAM-FILTER-0000000013
      <-- KSTREAM-SOURCE-0000000007
    Processor: KSTREAM-FILTER-0000000006 (stores: [])
      --> KSTREAM-AGGREGATE-0000000004
      <-- KSTREAM-FILTER-0000000002
    Processor: KSTREAM-AGGREGATE-0000000004 (stores: [KSTREAM-AGGREGATE-STATE-STORE-0000000003])
      --> KTABLE-TOSTREAM-0000000008
      <-- KSTREAM-FILTER-0000000006
    Processor: KTABLE-TOSTREAM-0000000008 (stores: [])
      --> KSTREAM-SINK-0000000009
      <-- KSTREAM-AGGREGATE-0000000004
    Sink: KSTREAM-SINK-0000000009 (topic: counts)
      <-- KTABLE-TOSTREAM-0000000008
    Processor: KSTREAM-FILTER-0000000013 (stores: [])
      --> KSTREAM-REDUCE-0000000011
      <-- KSTREAM-FILTER-0000000002
    Processor: KSTREAM-REDUCE-0000000011 (stores: [KSTREAM-REDUCE-STATE-STORE-0000000010])
      --> KTABLE-TOSTREAM-0000000015
      <-- KSTREAM-FILTER-0000000013
    Processor: KTABLE-TOSTREAM-0000000015 (stores: [])
      --> KSTREAM-SINK-0000000016
      <-- KSTREAM-REDUCE-0000000011
    Sink: KSTREAM-SINK-0000000016 (topic: lists)
      <-- KTABLE-TOSTREAM-0000000015

)";
    const topology t = two_groupings(merged);
    EXPECT_EQ(t.describe(), expected);
    ASSERT_EQ(t.internal_topics().size(), 1U);
    EXPECT_EQ(t.internal_topics()[0].name, "KSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition");
    ASSERT_TRUE(t.optimization().has_value());
    EXPECT_EQ(*t.optimization(), merged);

    const topology plain = two_groupings({});
    EXPECT_EQ(plain.internal_topics().size(), 2U);
    EXPECT_EQ(plain.subtopologies().size(), 3U);
    EXPECT_FALSE(plain.optimization()->merge_repartition_topics);
}

// Runs `t` over `input` (key ignored: select_key re-keys) and returns each output topic.
std::map<std::string, std::vector<key_value<std::string, std::string>>>
run_two_groupings(const topology& t, const std::vector<std::string>& input) {
    topology_test_driver driver(t, no_cache);
    auto in = driver.create_input_topic<std::string, std::string>("in");
    int64_t ts = 0;
    for (const std::string& v : input) {
        in.pipe_input("k", v, ++ts);
    }
    std::map<std::string, std::vector<key_value<std::string, std::string>>> out;
    for (const auto& kv :
         driver.create_output_topic<std::string, int64_t>("counts").read_key_values_to_list()) {
        out["counts"].push_back({kv.key, std::to_string(kv.value)});
    }
    out["lists"] =
        driver.create_output_topic<std::string, std::string>("lists").read_key_values_to_list();
    return out;
}

TEST(topology_optimization, merged_groupings_give_the_results_of_the_input_and_of_the_plain_build) {
    const std::vector<std::string> input{"a1", "b1", "", "a2", "c1", "b2", "a3", "", "c2"};
    const auto optimized = run_two_groupings(two_groupings(merged), input);
    const auto plain = run_two_groupings(two_groupings({}), input);
    EXPECT_EQ(optimized, plain);

    // What the input says: every non-empty value counted and listed under its first letter,
    // one update per value, in input order.
    std::vector<key_value<std::string, std::string>> counts;
    std::vector<key_value<std::string, std::string>> lists;
    std::map<std::string, int64_t> count;
    std::map<std::string, std::string> list;
    for (const std::string& v : input) {
        if (v.empty()) {
            continue;
        }
        const std::string key = v.substr(0, 1);
        counts.push_back({key, std::to_string(++count[key])});
        list[key] = list[key].empty() ? v : list[key] + "," + v;
        lists.push_back({key, list[key]});
    }
    ASSERT_EQ(optimized.at("counts").size(), counts.size());
    EXPECT_EQ(optimized.at("counts"), counts);
    EXPECT_EQ(optimized.at("lists"), lists);
}

TEST(topology_optimization, a_grouping_of_other_types_than_the_key_change_keeps_its_own_topic) {
    // map_values changes the value type between the key change and the first grouping:
    // the merged topic would carry the key change's strings, which that grouping's serdes
    // do not read, so only groupings of the key change's own types would share it (here
    // just one: nothing to merge).
    stream_builder b;
    auto keyed = b.stream<std::string, std::string>({"in"}).select_key(first_letter);
    keyed.map_values([](const std::string& v) { return static_cast<int64_t>(v.size()); })
        .group_by_key()
        .count()
        .to_stream()
        .to("sizes");
    keyed.group_by_key().count().to_stream().to("counts");
    const topology t = b.build(merged);
    EXPECT_EQ(t.internal_topics().size(), 2U);
    EXPECT_EQ(t.describe(), b.build().describe());
}

TEST(topology_optimization, the_users_own_repartition_is_never_merged) {
    stream_builder b;
    auto keyed = b.stream<std::string, std::string>({"in"}).select_key(first_letter);
    keyed.repartition().to("mirror");
    keyed.group_by_key().count().to_stream().to("counts");
    keyed.group_by_key().count().to_stream().to("counts-2");
    const topology t = b.build(merged);
    // The two groupings merge; the user's repartition stays.
    EXPECT_EQ(t.internal_topics().size(), 2U);
    EXPECT_EQ(b.build().internal_topics().size(), 3U);
}

TEST(topology_optimization, a_self_join_after_a_key_change_reads_one_topic_on_both_sides) {
    const auto build = [](const topology_optimization& o) {
        stream_builder b;
        auto keyed = b.stream<std::string, std::string>({"in"}).select_key(first_letter);
        keyed
            .join(
                keyed, [](const std::string& l, const std::string& r) { return l + "+" + r; },
                join_windows::of_time_difference_without_grace(std::chrono::milliseconds(10)))
            .to("pairs");
        return b.build(o);
    };
    const topology t = build(merged);
    EXPECT_EQ(t.internal_topics().size(), 1U);
    EXPECT_EQ(build({}).internal_topics().size(), 2U);

    // Expected from the input: every ordered pair of values with the same first letter
    // within 10 ms, emitted when the later record arrives: it joins each earlier one from
    // both sides, and itself once. A record more than 10 ms (no grace) behind the stream
    // time is late and dropped (b2 comes after a3).
    const std::vector<std::pair<std::string, int64_t>> input{{"a1", 0},  {"b1", 1}, {"a2", 5},
                                                             {"a3", 30}, {"b2", 8}, {"b3", 25}};
    std::vector<key_value<std::string, std::string>> expected;
    std::vector<std::pair<std::string, int64_t>> kept;
    int64_t stream_time = -1;
    for (const auto& [v, ts] : input) {
        if (ts + 10 < stream_time) {
            continue;
        }
        stream_time = std::max(stream_time, ts);
        for (const auto& [w, wts] : kept) {
            if (w[0] == v[0] && std::abs(wts - ts) <= 10) {
                expected.push_back({v.substr(0, 1), v + "+" + w});
                expected.push_back({v.substr(0, 1), w + "+" + v});
            }
        }
        expected.push_back({v.substr(0, 1), v + "+" + v});
        kept.emplace_back(v, ts);
    }
    ASSERT_EQ(expected.size(), 7U); // a1, b1, a2 (x3), a3, b3: the input is what it says
    const auto run = [&](const topology& topo) {
        topology_test_driver driver(topo, no_cache);
        auto in = driver.create_input_topic<std::string, std::string>("in");
        for (const auto& [v, ts] : input) {
            in.pipe_input("k", v, ts);
        }
        return driver.create_output_topic<std::string, std::string>("pairs")
            .read_key_values_to_list();
    };
    const auto optimized = run(t);
    const auto plain = run(build({}));
    // The same pairs; within one arriving record the two sides may be matched in either
    // order, so compare as sorted lists.
    const auto sorted = [](std::vector<key_value<std::string, std::string>> v) {
        std::sort(v.begin(), v.end(), [](const auto& x, const auto& y) {
            return std::tie(x.key, x.value) < std::tie(y.key, y.value);
        });
        return v;
    };
    EXPECT_EQ(sorted(optimized), sorted(expected));
    EXPECT_EQ(sorted(plain), sorted(expected));
}

TEST(topology_optimization, groupings_after_a_merge_of_re_keyed_streams_share_one_topic) {
    stream_builder b;
    auto left = b.stream<std::string, std::string>({"left"}).select_key(first_letter);
    auto right = b.stream<std::string, std::string>({"right"});
    auto both = left.merge(right);
    both.group_by_key().count().to_stream().to("counts");
    both.group_by_key().count().to_stream().to("counts-2");
    EXPECT_EQ(b.build(merged).internal_topics().size(), 1U);
    EXPECT_EQ(b.build().internal_topics().size(), 2U);

    topology_test_driver driver(b.build(merged), no_cache);
    driver.create_input_topic<std::string, std::string>("left").pipe_input("x", "a1", 1);
    driver.create_input_topic<std::string, std::string>("right").pipe_input("a", "zz", 2);
    const auto counts =
        driver.create_output_topic<std::string, int64_t>("counts").read_key_values_to_list();
    const auto counts_2 =
        driver.create_output_topic<std::string, int64_t>("counts-2").read_key_values_to_list();
    // "a1" re-keyed to "a", then "zz" keyed "a" already: both count under "a".
    const std::vector<key_value<std::string, int64_t>> want{{"a", 1}, {"a", 2}};
    EXPECT_EQ(counts, want);
    EXPECT_EQ(counts_2, want);
}

TEST(topology_optimization, null_keys_are_dropped_by_the_groupings_only_and_a_join_merges_too) {
    // The key change makes null keys (values starting with '-'). Behind it, a filter feeds a
    // sink, two counts and a stream-table join: all three repartitions merge, and still the
    // sink and the left join see the null-key records while the counts drop them.
    using okey = std::optional<std::string>;
    const auto build = [](const topology_optimization& o) {
        stream_builder b;
        auto tiers = b.table<okey, std::string>("tiers");
        auto keyed = b.stream<std::string, std::string>({"in"})
                         .map([](const std::string&, const std::string& v) {
                             return key_value<okey, std::string>{
                                 v.starts_with("-") ? std::nullopt : okey(v.substr(0, 1)), v};
                         })
                         .filter([](const okey&, const std::string& v) { return v != "skip"; });
        keyed.to("raw", produced<okey, std::string>{});
        keyed.group_by_key().count().to_stream().to("counts", produced<okey, int64_t>{});
        keyed.group_by_key()
            .count(materialized<okey, int64_t>::as("counts-2"))
            .to_stream()
            .to("counts-2", produced<okey, int64_t>{});
        keyed
            .left_join(tiers,
                       [](const std::string& v, const std::optional<std::string>& tier) {
                           return v + "@" + tier.value_or("none");
                       })
            .to("joined", produced<okey, std::string>{});
        return b.build(o);
    };
    EXPECT_EQ(build(merged).internal_topics().size(), 1U);
    EXPECT_EQ(build({}).internal_topics().size(), 3U);

    const auto run = [](const topology& t) {
        topology_test_driver driver(t, no_cache);
        driver.create_input_topic<okey, std::optional<std::string>>("tiers").pipe_input(
            okey("a"), std::optional<std::string>("gold"), 0);
        auto in = driver.create_input_topic<std::string, std::string>("in");
        int64_t ts = 0;
        for (const char* v : {"a1", "-x", "skip", "b1", "a2", "-y"}) {
            in.pipe_input("k", v, ++ts);
        }
        std::map<std::string, std::vector<std::string>> out;
        const auto show = [](const okey& k) { return k.value_or("null"); };
        for (const auto& kv :
             driver.create_output_topic<okey, std::string>("raw").read_key_values_to_list()) {
            out["raw"].push_back(show(kv.key) + "=" + kv.value);
        }
        for (const char* topic : {"counts", "counts-2"}) {
            for (const auto& kv :
                 driver.create_output_topic<okey, int64_t>(topic).read_key_values_to_list()) {
                out[topic].push_back(show(kv.key) + "=" + std::to_string(kv.value));
            }
        }
        for (const auto& kv :
             driver.create_output_topic<okey, std::string>("joined").read_key_values_to_list()) {
            out["joined"].push_back(show(kv.key) + "=" + kv.value);
        }
        return out;
    };
    const auto optimized = run(build(merged));
    EXPECT_EQ(optimized, run(build({})));
    // From the input: "skip" goes nowhere; null keys reach the sink and the left join only.
    EXPECT_EQ(optimized.at("raw"),
              (std::vector<std::string>{"a=a1", "null=-x", "b=b1", "a=a2", "null=-y"}));
    EXPECT_EQ(optimized.at("counts"), (std::vector<std::string>{"a=1", "b=1", "a=2"}));
    EXPECT_EQ(optimized.at("counts-2"), optimized.at("counts"));
    EXPECT_EQ(optimized.at("joined"),
              (std::vector<std::string>{"a=a1@gold", "null=-x@none", "b=b1@none", "a=a2@gold",
                                        "null=-y@none"}));
}

TEST(topology_optimization, each_key_change_merges_the_groupings_that_follow_it) {
    // map, then select_key: groupings after each are re-keyed by their own key change.
    stream_builder b;
    auto mapped = b.stream<std::string, std::string>({"in"}).map(
        [](const std::string& k, const std::string& v) { return make_key_value(v, k); });
    mapped.group_by_key().count().to_stream().to("by-value");
    auto reselected = mapped.select_key(first_letter);
    reselected.group_by_key().count().to_stream().to("by-letter");
    reselected.group_by_key().count().to_stream().to("by-letter-2");
    const topology t = b.build(merged);
    EXPECT_EQ(t.internal_topics().size(), 2U); // map's one, select_key's two merged
    EXPECT_EQ(b.build().internal_topics().size(), 3U);
    topology_test_driver driver(t, no_cache);
    auto in = driver.create_input_topic<std::string, std::string>("in");
    in.pipe_input("k1", "ab", 1);
    in.pipe_input("k2", "ac", 2);
    in.pipe_input("k3", "ab", 3);
    const auto values = [&](const std::string& topic) {
        return driver.create_output_topic<std::string, int64_t>(topic).read_values_to_list();
    };
    EXPECT_EQ(values("by-value"), (std::vector<int64_t>{1, 1, 2}));
    EXPECT_EQ(values("by-letter"), (std::vector<int64_t>{1, 2, 3}));
    EXPECT_EQ(values("by-letter-2"), (std::vector<int64_t>{1, 2, 3}));
}

TEST(topology_optimization, the_config_takes_what_brook_makes_and_refuses_the_rest_with_why) {
    const auto config = [](const std::string& value) {
        return streams_config({{"application.id", "app"},
                               {"bootstrap.servers", "localhost:9092"},
                               {"topology.optimization", value}});
    };
    const topology_optimization reuse{.reuse_source_topics = true};
    const topology_optimization both{.merge_repartition_topics = true, .reuse_source_topics = true};
    EXPECT_EQ(config("none").topology_optimization(), topology_optimization{});
    EXPECT_EQ(config("merge.repartition.topics").topology_optimization(), merged);
    EXPECT_EQ(config("reuse.ktable.source.topics").topology_optimization(), reuse);
    EXPECT_EQ(config("all").topology_optimization(), both);
    EXPECT_EQ(
        config(" reuse.ktable.source.topics , merge.repartition.topics").topology_optimization(),
        both);
    EXPECT_EQ(both.to_string(), "all");
    EXPECT_EQ(topology_optimization::parse(reuse.to_string()), reuse);
    EXPECT_EQ(topology_optimization::parse(merged.to_string()), merged);
    for (const std::string value :
         {"single.store.self.join", "merge.repartition.topics,single.store.self.join"}) {
        try {
            (void)config(value);
            ADD_FAILURE() << value << " was taken";
        } catch (const config_error& e) {
            const std::string what = e.what();
            EXPECT_NE(what.find("topology.optimization"), std::string::npos) << what;
            EXPECT_NE(what.find("Brook does not make"), std::string::npos) << what;
        }
    }
    for (const std::string value : {"", "merge", "none,merge.repartition.topics", "all,none"}) {
        EXPECT_THROW((void)config(value), config_error) << value;
    }
}

// builder.table("rows") joined by a stream: the table's store and whether it is logged.
topology table_join(
    const topology_optimization& o,
    const std::function<brook::table<std::string, std::optional<std::string>>(stream_builder&)>&
        make_table) {
    stream_builder b;
    auto rows = make_table(b);
    b.stream<std::string, std::string>({"events"})
        .left_join(rows,
                   [](const std::string& v, const std::optional<std::string>& row) {
                       return v + "=" + row.value_or("none");
                   })
        .to("out");
    return b.build(o);
}

const store_spec& store_named(const topology& t, const std::string& name) {
    for (const store_spec& s : t.stores()) {
        if (s.name == name) {
            return s;
        }
    }
    throw std::runtime_error("no store " + name);
}

TEST(topology_optimization, a_table_read_from_a_topic_restores_from_it_when_asked) {
    const topology_optimization reuse{.reuse_source_topics = true};
    const auto plain_table = [](stream_builder& b) {
        return b.table<std::string, std::string>(
            "rows", consumed<std::string, std::string>{},
            materialized<std::string, std::string>::as("rows-store"));
    };
    const topology reused = table_join(reuse, plain_table);
    const store_spec& s = store_named(reused, "rows-store");
    EXPECT_FALSE(s.logged);
    ASSERT_TRUE(s.source.has_value());
    EXPECT_EQ(s.source->topic, "rows");
    EXPECT_TRUE(reused.changelog_topics("app").empty());
    // The same description: only where the store restores from differs.
    EXPECT_EQ(reused.describe(), table_join({}, plain_table).describe());
    const topology plain = table_join({}, plain_table);
    EXPECT_TRUE(store_named(plain, "rows-store").logged);
    EXPECT_FALSE(store_named(plain, "rows-store").source.has_value());
    EXPECT_EQ(plain.changelog_topics("app"),
              (std::vector<std::string>{"app-rows-store-changelog"}));

    // The record -> row conversion: what the table would make of each record.
    std::string key;
    std::string value;
    using row = source_changelog::row;
    EXPECT_EQ(s.source->convert(std::string_view("k"), std::string_view("v"), 42, key, value),
              row::put);
    EXPECT_EQ(key, "k");
    const auto decoded =
        value_and_timestamp_serde<string_serde>{}.deserialize(nullable_bytes(value));
    EXPECT_EQ(decoded.value, "v");
    EXPECT_EQ(decoded.timestamp, 42);
    EXPECT_EQ(s.source->convert(std::string_view("k"), std::nullopt, 43, key, value), row::remove);
    EXPECT_EQ(key, "k");
    EXPECT_EQ(s.source->convert(std::nullopt, std::string_view("v"), 44, key, value), row::skip);
}

TEST(topology_optimization, a_table_whose_records_are_not_its_rows_keeps_its_changelog) {
    const topology_optimization reuse{.reuse_source_topics = true};
    // A versioned store's changelog has a layout of its own.
    const topology versioned = table_join(reuse, [](stream_builder& b) {
        return b.table<std::string, std::string>(
            "rows", consumed<std::string, std::string>{},
            materialized<std::string, std::string>::as("rows-store")
                .versioned(std::chrono::hours(1)));
    });
    EXPECT_FALSE(store_named(versioned, "rows-store").source.has_value());
    // Rows timed by an extractor are not at their records' timestamps.
    const topology extracted = table_join(reuse, [](stream_builder& b) {
        consumed<std::string, std::string> c;
        c.extractor = [](const record<std::string, std::string>&) { return int64_t{7}; };
        return b.table<std::string, std::string>(
            "rows", c, materialized<std::string, std::string>::as("rows-store"));
    });
    EXPECT_FALSE(store_named(extracted, "rows-store").source.has_value());
    // A store the user keeps without a changelog stays so.
    const topology unlogged = table_join(reuse, [](stream_builder& b) {
        auto m = materialized<std::string, std::string>::as("rows-store");
        m.with_logging_disabled();
        return b.table<std::string, std::string>("rows", consumed<std::string, std::string>{}, m);
    });
    EXPECT_FALSE(store_named(unlogged, "rows-store").source.has_value());
    EXPECT_FALSE(store_named(unlogged, "rows-store").logged);
}

TEST(topology_optimization, an_application_refuses_a_topology_built_with_other_optimizations) {
    const streams_config config({{"application.id", "app"},
                                 {"bootstrap.servers", "localhost:9092"},
                                 {"topology.optimization", "merge.repartition.topics"}});
    try {
        kafka_streams app(two_groupings({}), config);
        ADD_FAILURE() << "a topology built without the config's optimization was taken";
    } catch (const config_error& e) {
        EXPECT_NE(std::string(e.what()).find("stream_builder::build(config)"), std::string::npos)
            << e.what();
    }
    EXPECT_NO_THROW(kafka_streams(two_groupings(merged), config));
    // Restoring a table from its topic would bring back records refused by event time.
    const streams_config refusing({{"application.id", "app"},
                                   {"bootstrap.servers", "localhost:9092"},
                                   {"topology.optimization", "all"},
                                   {"max.event.time.future.ms", "60000"}});
    const auto reusing = table_join(topology_optimization::parse("all"), [](stream_builder& b) {
        return b.table<std::string, std::string>("rows");
    });
    EXPECT_THROW(kafka_streams(reusing, refusing), config_error);
    // A processor-API topology has no logical graph: any optimization setting takes it.
    topology_builder hand;
    hand.add_source<std::string, std::string>("src", {"in"});
    EXPECT_NO_THROW(kafka_streams(hand.build(), config));
}

} // namespace
} // namespace brook
