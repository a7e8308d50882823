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
#include "engine/store/stores.h"
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

// ---- table group_by: aggregations with a subtractor ------------------------------------

std::vector<std::pair<std::string, int64_t>> read_counts(topology_test_driver& driver) {
    std::vector<std::pair<std::string, int64_t>> all;
    for (auto& r : driver.create_output_topic<std::string, int64_t>("out").read_records_to_list()) {
        all.emplace_back(r.key, r.value);
    }
    return all;
}

TEST(table_ops, a_regrouped_count_moves_a_row_between_groups_when_it_changes) {
    stream_builder b;
    b.table<std::string, std::string>("users") // user -> region
        .group_by([](const std::string& user, const std::string& region) {
            return key_value<std::string, std::string>{region, user};
        })
        .count(materialized<std::string, int64_t>::as("users-per-region"))
        .to_stream()
        .to("out");
    topology_test_driver driver(b.build(), config);
    auto users = driver.create_input_topic<std::string, opt>("users");
    users.pipe_input("u1", opt("eu"), 1);
    users.pipe_input("u2", opt("eu"), 2);
    users.pipe_input("u1", opt("us"), 3);    // leaves eu, joins us
    users.pipe_input("u2", std::nullopt, 4); // deleted: leaves eu
    EXPECT_EQ(read_counts(driver), (std::vector<std::pair<std::string, int64_t>>{
                                       {"eu", 1}, {"eu", 2}, {"eu", 1}, {"us", 1}, {"eu", 0}}));
    auto& store = get_store<timestamped_key_value_store<std::string, int64_t>>(
        driver.state_store("users-per-region"));
    EXPECT_EQ(store.get("eu")->value, 0);
    EXPECT_EQ(store.get("us")->value, 1);
}

TEST(table_ops, aggregate_and_reduce_subtract_a_changed_rows_old_value) {
    for (const bool reduce : {false, true}) {
        stream_builder b;
        auto grouped_rows = b.table<std::string, int64_t>("balances") // account -> cents
                                .group_by([](const std::string& account, int64_t cents) {
                                    return key_value<std::string, int64_t>{
                                        account.substr(0, 1), cents}; // bank: first letter
                                });
        auto add = [](const std::string&, int64_t v, int64_t total) { return total + v; };
        auto sub = [](const std::string&, int64_t v, int64_t total) { return total - v; };
        (reduce ? grouped_rows.reduce(add, sub)
                : grouped_rows.aggregate([] { return int64_t{0}; }, add, sub))
            .to_stream()
            .to("out");
        topology_test_driver driver(b.build(), config);
        auto balances = driver.create_input_topic<std::string, std::optional<int64_t>>("balances");
        balances.pipe_input("a1", 100, 1);
        balances.pipe_input("a2", 50, 2);
        balances.pipe_input("a1", 30, 3); // 100 out, 30 in
        balances.pipe_input("b1", 7, 4);
        balances.pipe_input("a2", std::nullopt, 5);
        EXPECT_EQ(read_counts(driver),
                  (std::vector<std::pair<std::string, int64_t>>{
                      {"a", 100}, {"a", 150}, {"a", 50}, {"a", 80}, {"b", 7}, {"a", 30}}))
            << (reduce ? "reduce" : "aggregate");
    }
}

// A subtraction that reaches a group with no aggregate (written by hand here; a lost add
// would do the same) changes nothing and forwards nothing: Kafka Streams' KTableAggregate
// subtracts only from an aggregate it holds, so the next add starts from the initializer.
TEST(table_ops, a_subtraction_from_a_group_with_no_aggregate_changes_nothing) {
    for (const bool reduce : {false, true}) {
        stream_builder b;
        auto grouped_rows =
            b.table<std::string, int64_t>("balances")
                .group_by(
                    [](const std::string& account, int64_t cents) {
                        return key_value<std::string, int64_t>{account.substr(0, 1), cents};
                    },
                    grouped<std::string, int64_t>::as("banks"));
        auto add = [](const std::string&, int64_t v, int64_t total) { return total + v; };
        auto sub = [](const std::string&, int64_t v, int64_t total) { return total - v; };
        (reduce ? grouped_rows.reduce(add, sub, materialized<std::string, int64_t>::as("totals"))
                : grouped_rows.aggregate([] { return int64_t{0}; }, add, sub,
                                         materialized<std::string, int64_t>::as("totals")))
            .to_stream()
            .to("out");
        topology_test_driver driver(b.build(), config);
        auto moves =
            driver.create_input_topic<std::string, std::string>("table-ops-banks-repartition");
        std::string cents;
        default_serde<int64_t>{}.serialize(5, cents);
        moves.pipe_bytes(std::string_view("a"), std::string_view(std::string(1, '\0') + cents), 1);
        EXPECT_TRUE(read_counts(driver).empty()) << (reduce ? "reduce" : "aggregate");
        auto& store = get_store<timestamped_key_value_store<std::string, int64_t>>(
            driver.state_store("totals"));
        EXPECT_FALSE(store.get("a").has_value()) << (reduce ? "reduce" : "aggregate");

        // The same topic's adds do reach the aggregate: the next one starts the group.
        default_serde<int64_t>{}.serialize(7, cents);
        moves.pipe_bytes(std::string_view("a"), std::string_view(std::string(1, '\1') + cents), 2);
        auto balances = driver.create_input_topic<std::string, std::optional<int64_t>>("balances");
        balances.pipe_input("a1", 100, 3);
        EXPECT_EQ(read_counts(driver),
                  (std::vector<std::pair<std::string, int64_t>>{{"a", 7}, {"a", 107}}))
            << (reduce ? "reduce" : "aggregate");
    }
}

// A transformer that numbers each key's versions in a store of its own and drops rows
// equal to "hide" (Kafka Streams' KTableTransformValuesTest, materialized).
class versioned final : public value_transformer_with_key<std::string, std::string, std::string> {
public:
    void init(processor_task& task) override {
        _versions = &get_store<key_value_store<std::string, int64_t>>(task, "versions");
    }
    std::optional<std::string> transform(const std::string& key, const std::string& row) override {
        if (row == "hide") {
            return std::nullopt;
        }
        const int64_t version = _versions->get(key).value_or(0) + 1;
        _versions->put(key, version);
        return row + "#" + std::to_string(version);
    }
    void close() override { ++closed; }
    static inline int closed = 0;

private:
    key_value_store<std::string, int64_t>* _versions = nullptr;
};

TEST(table_ops, transform_values_runs_a_stateful_transformer_on_each_row) {
    stream_builder b;
    b.add_state_store(stores::key_value_store_builder<std::string, int64_t>("versions").build());
    auto derived = b.table<std::string, std::string>("in").transform_values(
        std::function<std::unique_ptr<versioned>()>([] { return std::make_unique<versioned>(); }),
        {"versions"}, "numbered");
    derived.to_stream().to("out", produced<std::string, opt>{});
    versioned::closed = 0;
    {
        topology_test_driver driver(b.build(), config);
        auto in = driver.create_input_topic<std::string, opt>("in");
        in.pipe_input("a", opt("x"), 1);
        in.pipe_input("a", opt("y"), 2);
        in.pipe_input("a", opt("hide"), 3);  // no row now: tombstone
        in.pipe_input("b", opt("hide"), 4);  // never had a row: nothing
        in.pipe_input("a", std::nullopt, 5); // deleted, had no row: nothing, no call
        in.pipe_input("a", opt("z"), 6);
        EXPECT_EQ(read(driver),
                  (rows{{"a", "x#1", 1}, {"a", "y#2", 2}, {"a", "null", 3}, {"a", "z#3", 6}}));
        auto& store = get_store<timestamped_key_value_store<std::string, std::string>>(
            driver.state_store("numbered-store"));
        EXPECT_EQ(store.get("a")->value, "z#3");
    }
    EXPECT_EQ(versioned::closed, 1);
}

// stream.to_table() (Kafka Streams' KStream#toTable, KStreamToTableNodeTest's cases): each
// record replaces its key's row at its own timestamp, a null value deletes, a null key is
// skipped, and a re-keyed stream is repartitioned first.
TEST(table_ops, to_table_keeps_each_keys_latest_value_and_deletes_on_a_null_value) {
    stream_builder b;
    b.stream<opt, opt>({"in"})
        .to_table(materialized<opt, std::string>::as("latest"))
        .to_stream()
        .to("out-opt", produced<opt, opt>{});
    topology_test_driver driver(b.build(), config);
    auto in = driver.create_input_topic<opt, opt>("in");
    in.pipe_input(opt("a"), opt("1"), 5);
    in.pipe_input(opt("b"), opt("2"), 6);
    in.pipe_input(opt("a"), opt("3"), 2);        // older, still the latest value (not versioned)
    in.pipe_input(std::nullopt, opt("lost"), 7); // null key: skipped
    in.pipe_input(opt("b"), std::nullopt, 8);    // deletes b
    in.pipe_input(opt("c"), std::nullopt, 9);    // deletes a row that never was
    std::vector<std::tuple<std::string, std::string, int64_t>> got;
    for (auto& r : driver.create_output_topic<opt, opt>("out-opt").read_records_to_list()) {
        got.emplace_back(r.key.value_or("null"), r.value.value_or("null"), r.timestamp);
    }
    EXPECT_EQ(
        got,
        (rows{{"a", "1", 5}, {"b", "2", 6}, {"a", "3", 2}, {"b", "null", 8}, {"c", "null", 9}}));
    auto& store =
        get_store<timestamped_key_value_store<opt, std::string>>(driver.state_store("latest"));
    EXPECT_EQ(store.get(opt("a"))->value, "3");
    EXPECT_EQ(store.get(opt("a"))->timestamp, 2);
    EXPECT_FALSE(store.get(opt("b")).has_value());
    EXPECT_EQ(driver.counters().null_records_skipped.load(), 1U);
}

TEST(table_ops, to_table_of_a_re_keyed_stream_repartitions_first_and_joins_as_a_table) {
    stream_builder b;
    // user -> tier, re-keyed from records keyed by an event id; orders join the table.
    auto tiers = b.stream<std::string, std::string>({"tiers"})
                     .select_key([](const std::string&, const std::string& v) {
                         return v.substr(0, v.find('='));
                     })
                     .map_values([](const std::string& v) { return v.substr(v.find('=') + 1); })
                     .to_table();
    b.stream<std::string, std::string>({"orders"})
        .join(tiers,
              [](const std::string& order, const std::optional<std::string>& tier) {
                  return order + "@" + tier.value_or("?");
              })
        .to("out");
    const topology t = b.build();
    // Named after the table node, as Kafka Streams names a toTable() repartition.
    ASSERT_EQ(t.internal_topics().size(), 1U);
    EXPECT_EQ(t.internal_topics()[0].name, "KSTREAM-TOTABLE-0000000003-repartition");
    topology_test_driver driver(t, config);
    auto tiers_in = driver.create_input_topic<std::string, std::string>("tiers");
    tiers_in.pipe_input("e1", "ann=gold", 1);
    tiers_in.pipe_input("e2", "bob=silver", 2);
    tiers_in.pipe_input("e3", "ann=platinum", 3);
    auto orders = driver.create_input_topic<std::string, std::string>("orders");
    orders.pipe_input("ann", "o1", 4);
    orders.pipe_input("bob", "o2", 5);
    orders.pipe_input("cid", "o3", 6); // no tier: an inner join drops it
    const auto out =
        driver.create_output_topic<std::string, std::string>("out").read_key_values_to_list();
    EXPECT_EQ(out, (std::vector<key_value<std::string, std::string>>{{"ann", "o1@platinum"},
                                                                     {"bob", "o2@silver"}}));
}

TEST(table_ops, to_table_of_a_re_keyed_stream_deletes_through_the_repartition_topic) {
    // Values "user=tier" set a row; "user=" (nullopt after the map) deletes it.
    stream_builder b;
    b.stream<std::string, std::string>({"in"})
        .map([](const std::string&, const std::string& v) {
            const std::string tier = v.substr(v.find('=') + 1);
            return key_value<std::string, opt>{v.substr(0, v.find('=')),
                                               tier.empty() ? std::nullopt : opt(tier)};
        })
        .to_table(materialized<std::string, std::string>::as("tiers"), "tiers-table")
        .to_stream()
        .to("out", produced<std::string, opt>{});
    const topology t = b.build();
    ASSERT_EQ(t.internal_topics().size(), 1U);
    EXPECT_EQ(t.internal_topics()[0].name, "tiers-table-repartition");
    topology_test_driver driver(t, config);
    auto in = driver.create_input_topic<std::string, std::string>("in");
    in.pipe_input("e1", "ann=gold", 1);
    in.pipe_input("e2", "ann=", 2); // deletes ann
    in.pipe_input("e3", "bob=", 3); // deletes a row that never was
    in.pipe_input("e4", "bob=tin", 4);
    EXPECT_EQ(
        read(driver),
        (rows{{"ann", "gold", 1}, {"ann", "null", 2}, {"bob", "null", 3}, {"bob", "tin", 4}}));
    auto& store = get_store<timestamped_key_value_store<std::string, std::string>>(
        driver.state_store("tiers"));
    EXPECT_FALSE(store.get("ann").has_value());
    EXPECT_EQ(store.get("bob")->value, "tin");
}

} // namespace
} // namespace brook
