// Grouping and aggregation through the topology test driver: group_by_key / group_by with
// count, reduce and aggregate, repartitioning, null keys and values, caching, changelogs,
// tables read from topics, typed store lookups and the store builders.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/errors.h"
#include "engine/store/get_store.h"
#include "engine/store/metered_store.h"
#include "engine/store/stores.h"
#include "engine/testing/topology_test_driver.h"
#include "operators/stream_builder.h"

namespace brook {
namespace {

using namespace std::chrono_literals;
using nullable_string = std::optional<std::string>;
using counts = std::vector<key_value<std::string, int64_t>>;

const std::map<std::string, std::string> no_cache{{"application.id", "app"},
                                                  {"statestore.cache.max.bytes", "0"}};
const std::map<std::string, std::string> with_cache{{"application.id", "app"}};

bool contains(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

std::string int64_bytes(int64_t v) {
    std::string buffer;
    return std::string(*int64_serde{}.serialize(v, buffer));
}

TEST(aggregation, group_by_key_count_forwards_each_new_count_with_the_newest_timestamp) {
    stream_builder b;
    b.stream<std::string, std::string>({"in"}).group_by_key().count().to_stream().to("out");
    topology_test_driver driver(b.build(), no_cache);
    auto in = driver.create_input_topic<std::string, std::string>("in");
    in.pipe_input("a", "x", 10);
    in.pipe_input("b", "y", 20);
    in.pipe_input("a", "z", 5); // out of order: the count keeps the newest timestamp

    const auto out = driver.create_output_topic<std::string, int64_t>("out").read_records_to_list();
    ASSERT_EQ(out.size(), 3U);
    EXPECT_EQ(out[0].key, "a");
    EXPECT_EQ(out[0].value, 1);
    EXPECT_EQ(out[0].timestamp, 10);
    EXPECT_EQ(out[1].key, "b");
    EXPECT_EQ(out[1].value, 1);
    EXPECT_EQ(out[1].timestamp, 20);
    EXPECT_EQ(out[2].key, "a");
    EXPECT_EQ(out[2].value, 2);
    EXPECT_EQ(out[2].timestamp, 10);

    // The generated store name is Kafka Streams' and the store is typed and timestamped.
    auto& store = get_store<timestamped_key_value_store<std::string, int64_t>>(
        driver.state_store("KSTREAM-AGGREGATE-STATE-STORE-0000000001"));
    EXPECT_EQ(store.get("a"), (value_and_timestamp<int64_t>{2, 10}));
    EXPECT_EQ(store.get("b"), (value_and_timestamp<int64_t>{1, 20}));
    EXPECT_EQ(store.get("c"), std::nullopt);
}

TEST(aggregation, reduce_takes_a_keys_first_value_as_it_is_and_combines_the_rest) {
    stream_builder b;
    b.stream<std::string, std::string>({"in"})
        .group_by_key()
        .reduce([](std::string agg, const std::string& v) { return agg + "," + v; })
        .to_stream()
        .to("out");
    topology_test_driver driver(b.build(), no_cache);
    auto in = driver.create_input_topic<std::string, std::string>("in");
    in.pipe_input("k", "a", 1);
    in.pipe_input("k", "b", 2);
    in.pipe_input("j", "c", 3);
    in.pipe_input("k", "d", 4);
    auto out = driver.create_output_topic<std::string, std::string>("out");
    EXPECT_EQ(out.read_key_values_to_list(),
              (std::vector<key_value<std::string, std::string>>{
                  {"k", "a"}, {"k", "a,b"}, {"j", "c"}, {"k", "a,b,d"}}));
}

TEST(aggregation, aggregate_starts_each_key_from_the_initializer_and_applies_the_adder) {
    stream_builder b;
    b.stream<std::string, std::string>({"in"})
        .group_by_key()
        .aggregate([] { return int64_t{100}; },
                   [](const std::string&, const std::string& v, int64_t agg) {
                       return agg + static_cast<int64_t>(v.size());
                   },
                   materialized<std::string, int64_t>::as("lengths"))
        .to_stream()
        .to("out");
    topology_test_driver driver(b.build(), no_cache);
    auto in = driver.create_input_topic<std::string, std::string>("in");
    in.pipe_input("k", "abc", 1);
    in.pipe_input("k", "de", 2);
    in.pipe_input("j", "", 3);
    EXPECT_EQ((driver.create_output_topic<std::string, int64_t>("out").read_key_values_to_list()),
              (counts{{"k", 103}, {"k", 105}, {"j", 100}}));
    auto& store =
        get_store<timestamped_key_value_store<std::string, int64_t>>(driver.state_store("lengths"));
    EXPECT_EQ(store.get("k")->value, 105);
}

TEST(aggregation, group_by_repartitions_through_a_topic_named_after_the_store) {
    stream_builder b;
    b.stream<std::string, std::string>({"in"})
        .group_by([](const std::string&, const std::string& v) { return v; })
        .count()
        .to_stream()
        .to("out");
    const topology t = b.build();
    EXPECT_EQ(t.subtopologies().size(), 2U);
    topology_test_driver driver(t, no_cache);
    auto in = driver.create_input_topic<std::string, std::string>("in");
    in.pipe_input("1", "red", 1);
    in.pipe_input("2", "blue", 2);
    in.pipe_input("3", "red", 3);
    EXPECT_TRUE(contains(driver.produced_topics(),
                         "app-KSTREAM-AGGREGATE-STATE-STORE-0000000002-repartition"));
    EXPECT_EQ((driver.create_output_topic<std::string, int64_t>("out").read_key_values_to_list()),
              (counts{{"red", 1}, {"blue", 1}, {"red", 2}}));
}

TEST(aggregation, a_grouped_name_names_the_repartition_topic_and_the_key_selector) {
    stream_builder b;
    b.stream<std::string, std::string>({"in"})
        .group_by([](const std::string&, const std::string& v) { return v; },
                  grouped<std::string, std::string>::as("by-colour"))
        .count(materialized<std::string, int64_t>::as("colour-counts"))
        .to_stream()
        .to("out");
    const topology t = b.build();
    const std::string description = t.describe();
    EXPECT_NE(description.find("Processor: by-colour (stores: [])"), std::string::npos);
    EXPECT_NE(description.find("Sink: by-colour-repartition-sink (topic: "
                               "<application.id>-by-colour-repartition)"),
              std::string::npos);
    EXPECT_NE(description.find("Source: by-colour-repartition-source"), std::string::npos);
    topology_test_driver driver(t, no_cache);
    driver.create_input_topic<std::string, std::string>("in").pipe_input("1", "red", 1);
    EXPECT_TRUE(contains(driver.produced_topics(), "app-by-colour-repartition"));
    EXPECT_TRUE(contains(driver.produced_topics(), "app-colour-counts-changelog"));
}

TEST(aggregation, group_by_key_repartitions_only_after_the_key_may_have_changed) {
    stream_builder b;
    auto s = b.stream<std::string, std::string>({"in"});
    s.group_by_key().count(materialized<std::string, int64_t>::as("plain")).to_stream().to("a");
    s.select_key([](const std::string&, const std::string& v) { return v; })
        .group_by_key()
        .count(materialized<std::string, int64_t>::as("rekeyed"))
        .to_stream()
        .to("b");
    topology_test_driver driver(b.build(), no_cache);
    auto in = driver.create_input_topic<std::string, std::string>("in");
    in.pipe_input("k1", "v", 1);
    in.pipe_input("k2", "v", 2);
    EXPECT_TRUE(contains(driver.produced_topics(), "app-rekeyed-repartition"));
    EXPECT_FALSE(contains(driver.produced_topics(), "app-plain-repartition"));
    EXPECT_EQ((driver.create_output_topic<std::string, int64_t>("a").read_key_values_to_list()),
              (counts{{"k1", 1}, {"k2", 1}}));
    EXPECT_EQ((driver.create_output_topic<std::string, int64_t>("b").read_key_values_to_list()),
              (counts{{"v", 1}, {"v", 2}}));
}

TEST(aggregation, records_with_a_null_key_or_a_null_value_are_skipped) {
    stream_builder b;
    b.stream<nullable_string, nullable_string>({"in"})
        .group_by_key()
        .count(materialized<nullable_string, int64_t>::as("counts"))
        .to_stream()
        .to("out");
    topology_test_driver driver(b.build(), no_cache);
    auto in = driver.create_input_topic<nullable_string, nullable_string>("in");
    in.pipe_input("k", "v", 1);
    in.pipe_input(std::nullopt, "v", 2);
    in.pipe_input("k", std::nullopt, 3);
    in.pipe_input("k", "w", 4);
    auto out = driver.create_output_topic<nullable_string, int64_t>("out");
    EXPECT_EQ(out.read_values_to_list(), (std::vector<int64_t>{1, 2}));
}

TEST(aggregation, with_caching_on_a_commit_forwards_one_result_per_key) {
    stream_builder b;
    b.stream<std::string, std::string>({"in"}).group_by_key().count().to_stream().to("out");
    topology_test_driver driver(b.build(), with_cache);
    driver.set_auto_commit(false);
    auto in = driver.create_input_topic<std::string, std::string>("in");
    in.pipe_input("a", "1", 1);
    in.pipe_input("a", "2", 2);
    in.pipe_input("b", "3", 3);
    in.pipe_input("a", "4", 4);
    auto out = driver.create_output_topic<std::string, int64_t>("out");
    EXPECT_TRUE(out.is_empty());
    driver.commit();
    const auto records = out.read_records_to_list();
    ASSERT_EQ(records.size(), 2U);
    std::map<std::string, std::pair<int64_t, int64_t>> by_key;
    for (const auto& r : records) {
        by_key[r.key] = {r.value, r.timestamp};
    }
    EXPECT_EQ(by_key["a"], (std::pair<int64_t, int64_t>{3, 4}));
    EXPECT_EQ(by_key["b"], (std::pair<int64_t, int64_t>{1, 3}));
    driver.commit();
    EXPECT_TRUE(out.is_empty());
}

TEST(aggregation, the_store_logs_value_and_timestamp_to_its_changelog) {
    stream_builder b;
    b.stream<std::string, std::string>({"in"})
        .group_by_key()
        .count(materialized<std::string, int64_t>::as("counts"))
        .to_stream()
        .to("out");
    topology_test_driver driver(b.build(), no_cache);
    driver.create_input_topic<std::string, std::string>("in").pipe_input("a", "x", 42);
    const captured_record logged = driver.take("app-counts-changelog");
    EXPECT_EQ(logged.key, "a");
    EXPECT_EQ(logged.value, int64_bytes(42) + int64_bytes(1)); // [timestamp][count]
}

TEST(aggregation, an_in_memory_store_without_logging_writes_no_changelog) {
    stream_builder b;
    b.stream<std::string, std::string>({"in"})
        .group_by_key()
        .count(materialized<std::string, int64_t>::as("counts").in_memory().with_logging_disabled())
        .to_stream()
        .to("out");
    topology_test_driver driver(b.build(), no_cache);
    driver.create_input_topic<std::string, std::string>("in").pipe_input("a", "x", 1);
    EXPECT_FALSE(contains(driver.produced_topics(), "app-counts-changelog"));
    EXPECT_FALSE(driver.state_store("counts").persistent());
    EXPECT_EQ((driver.create_output_topic<std::string, int64_t>("out").read_value()), 1);
}

TEST(aggregation, a_table_read_from_a_topic_applies_updates_and_deletes) {
    stream_builder b;
    b.table<std::string, std::string>("users", {},
                                      materialized<std::string, std::string>::as("users-store"))
        .to_stream()
        .to("out");
    topology_test_driver driver(b.build(), no_cache);
    auto in = driver.create_input_topic<std::string, nullable_string>("users");
    in.pipe_input("u1", "alice", 1);
    in.pipe_input("u2", "bob", 2);
    in.pipe_input("u1", "alicia", 3);
    in.pipe_input("u2", std::nullopt, 4); // a delete

    auto out = driver.create_output_topic<std::string, nullable_string>("out");
    EXPECT_EQ(out.read_key_values_to_list(),
              (std::vector<key_value<std::string, nullable_string>>{
                  {"u1", "alice"}, {"u2", "bob"}, {"u1", "alicia"}, {"u2", std::nullopt}}));
    auto& store = get_store<timestamped_key_value_store<std::string, std::string>>(
        driver.state_store("users-store"));
    EXPECT_EQ(store.get("u1"), (value_and_timestamp<std::string>{"alicia", 3}));
    EXPECT_EQ(store.get("u2"), std::nullopt);
}

TEST(aggregation, a_table_is_named_as_kafka_streams_names_it) {
    stream_builder b;
    b.table<std::string, std::string>("users").to_stream().to("out");
    const std::string expected = R"(Topologies:
   Sub-topology: 0
    Source: KSTREAM-SOURCE-0000000001 (topics: [users])
      --> KTABLE-SOURCE-0000000002
    Processor: KTABLE-SOURCE-0000000002 (stores: [users-STATE-STORE-0000000000])
      --> KTABLE-TOSTREAM-0000000003
      <-- KSTREAM-SOURCE-0000000001
    Processor: KTABLE-TOSTREAM-0000000003 (stores: [])
      --> KSTREAM-SINK-0000000004
      <-- KTABLE-SOURCE-0000000002
    Sink: KSTREAM-SINK-0000000004 (topic: out)
      <-- KTABLE-TOSTREAM-0000000003

)";
    EXPECT_EQ(b.build().describe(), expected);
}

TEST(aggregation, a_store_asked_for_with_other_types_names_both_types) {
    stream_builder b;
    b.stream<std::string, std::string>({"in"})
        .group_by_key()
        .count(materialized<std::string, int64_t>::as("counts"))
        .to_stream()
        .to("out");
    topology_test_driver driver(b.build(), no_cache);
    try {
        get_store<key_value_store<std::string, int64_t>>(driver.state_store("counts"));
        FAIL() << "expected a topology_error";
    } catch (const topology_error& e) {
        const std::string message = e.what();
        EXPECT_NE(message.find("store 'counts'"), std::string::npos) << message;
        EXPECT_NE(message.find("brook::key_value_store<std::string, long>"), std::string::npos)
            << message;
        EXPECT_NE(message.find("timestamped_key_value_store"), std::string::npos) << message;
    }
    EXPECT_THROW(driver.state_store("no-such-store"), topology_error);
}

// A processor that counts keys in a store it finds by name; `store` may name a store that
// is not connected, to test the error.
class key_counter final : public processor<std::string, std::string, std::string, int64_t> {
public:
    explicit key_counter(std::string store) : _store_name(std::move(store)) {}
    void init(context_type& context) override {
        _store = &get_store<key_value_store<std::string, int64_t>>(context, _store_name);
    }
    void process(record<std::string, std::string>&& r) override {
        const int64_t n = _store->get(r.key).value_or(0) + 1;
        _store->put(r.key, n);
        context().forward(record<std::string, int64_t>{r.key, n, r.timestamp, {}});
    }

private:
    std::string _store_name;
    key_value_store<std::string, int64_t>* _store = nullptr;
};

TEST(aggregation, a_store_built_with_stores_is_typed_metered_and_usable_from_a_processor) {
    topology_builder tb;
    tb.add_source<std::string, std::string>("source", {"in"});
    tb.add_processor<key_counter>(
        "counter", [] { return std::make_unique<key_counter>("key-counts"); }, {"source"});
    tb.add_sink<std::string, int64_t>("sink", "out", {"counter"});
    tb.add_state_store(stores::key_value_store_builder<std::string, int64_t>("key-counts")
                           .in_memory()
                           .with_caching_disabled()
                           .build(),
                       {"counter"});
    topology_test_driver driver(tb.build(), no_cache);
    auto in = driver.create_input_topic<std::string, std::string>("in");
    in.pipe_input("a", "1", 1);
    in.pipe_input("a", "2", 2);
    in.pipe_input("b", "3", 3);
    EXPECT_EQ((driver.create_output_topic<std::string, int64_t>("out").read_values_to_list()),
              (std::vector<int64_t>{1, 2, 1}));

    auto& store =
        get_store<key_value_store<std::string, int64_t>>(driver.state_store("key-counts"));
    std::vector<key_value<std::string, int64_t>> all;
    store.all([&](const std::string& k, int64_t v) {
        all.push_back({k, v});
        return true;
    });
    EXPECT_EQ(all, (counts{{"a", 2}, {"b", 1}}));
    std::vector<std::string> ranged;
    store.range("a", "a", [&](const std::string& k, int64_t) {
        ranged.push_back(k);
        return true;
    });
    EXPECT_EQ(ranged, std::vector<std::string>{"a"});
    EXPECT_EQ(store.put_if_absent("a", 7), 2);
    EXPECT_EQ(store.put_if_absent("c", 7), std::nullopt);
    EXPECT_EQ(store.remove("c"), 7);
    EXPECT_EQ(store.approximate_num_entries(), 2U);

    const auto& metered = dynamic_cast<const metered_store&>(driver.state_store("key-counts"));
    EXPECT_EQ(metered.operation_counters().puts.load(), 4U); // 3 by the processor, 1 here
    EXPECT_GE(metered.operation_counters().gets.load(), 3U);
    EXPECT_EQ(metered.operation_counters().removes.load(), 1U);
    EXPECT_TRUE(contains(driver.produced_topics(), "app-key-counts-changelog"));
}

TEST(aggregation, a_processor_asking_for_a_store_it_is_not_connected_to_fails_at_init) {
    topology_builder tb;
    tb.add_source<std::string, std::string>("source", {"in"});
    tb.add_processor<key_counter>(
        "counter", [] { return std::make_unique<key_counter>("missing"); }, {"source"});
    EXPECT_THROW(topology_test_driver(tb.build(), no_cache), topology_error);
}

TEST(aggregation, store_builders_set_kafka_streams_changelog_configs_and_defaults) {
    const store_spec kv = stores::key_value_store_builder<std::string, int64_t>("kv").build();
    EXPECT_TRUE(kv.logged);
    EXPECT_EQ(kv.changelog_config,
              (std::map<std::string, std::string>{{"cleanup.policy", "compact"}}));
    EXPECT_TRUE(kv.factory()->persistent());

    const store_spec window = stores::window_store_builder<std::string, int64_t>("w", 60s, 10s)
                                  .with_logging_enabled({{"min.insync.replicas", "2"}})
                                  .build();
    EXPECT_EQ(window.changelog_config,
              (std::map<std::string, std::string>{{"cleanup.policy", "compact,delete"},
                                                  {"min.insync.replicas", "2"},
                                                  {"retention.ms", "86460000"}}));
    const store_spec session =
        stores::session_store_builder<std::string, int64_t>("s", 1000ms).in_memory().build();
    EXPECT_EQ(session.changelog_config.at("retention.ms"), "86401000");
    EXPECT_FALSE(session.factory()->persistent());

    const store_spec unlogged =
        stores::key_value_store_builder<std::string, int64_t>("kv").with_logging_disabled().build();
    EXPECT_FALSE(unlogged.logged);
    EXPECT_TRUE(unlogged.changelog_config.empty());

    EXPECT_THROW((stores::key_value_store_builder<std::string, int64_t>("bad name!").build()),
                 topology_error);
    EXPECT_THROW((stores::window_store_builder<std::string, int64_t>("w", 5s, 10s).build()),
                 std::invalid_argument);
}

TEST(aggregation, windowed_and_value_and_timestamp_serdes_round_trip) {
    const windowed_serde<string_serde> ws;
    std::string buffer;
    const windowed<std::string> w{"key", 1000, 2000};
    const nullable_bytes bytes = ws.serialize(w, buffer);
    ASSERT_TRUE(bytes.has_value());
    EXPECT_EQ(std::string(*bytes), "key" + int64_bytes(1000) + int64_bytes(2000));
    EXPECT_EQ(ws.deserialize(bytes), w);
    EXPECT_THROW(ws.deserialize(std::string_view("short")), serde_error);

    const value_and_timestamp_serde<int64_serde> vs;
    const value_and_timestamp<int64_t> v{7, 99};
    const nullable_bytes vb = vs.serialize(v, buffer);
    EXPECT_EQ(std::string(*vb), int64_bytes(99) + int64_bytes(7));
    EXPECT_EQ(vs.deserialize(vb), v);
}

} // namespace
} // namespace brook
