// Stream-table and stream-stream joins through the topology test driver, case by case
// against Kafka Streams' semantics (KStreamKTableJoinTest, KStreamKStreamJoinTest,
// KStreamKStreamLeftJoinTest, KStreamKStreamOuterJoinTest): which records join, what is
// emitted when, at which timestamp, and what happens to nulls, duplicates, late records
// and keys that changed before the join.

#include <chrono>
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

using namespace std::chrono_literals;
using opt = std::optional<std::string>;

const std::map<std::string, std::string> config{{"application.id", "joins"},
                                                {"statestore.cache.max.bytes", "0"}};

struct out_record {
    std::string key;
    std::string value;
    int64_t timestamp = 0;
    auto operator<=>(const out_record&) const = default;
};

std::ostream& operator<<(std::ostream& out, const out_record& r) {
    return out << r.key << "=" << r.value << "@" << r.timestamp;
}

std::vector<out_record> drain(topology_test_driver& driver, const std::string& topic = "out") {
    std::vector<out_record> all;
    for (auto& r :
         driver.create_output_topic<std::string, std::string>(topic).read_records_to_list()) {
        all.push_back({r.key, r.value, r.timestamp});
    }
    return all;
}

std::string show(const opt& v) {
    return v.value_or("null");
}

enum class kind { inner, left, outer };

// ---- stream-table ----------------------------------------------------------------------

topology stream_table(bool left) {
    stream_builder b;
    auto orders = b.stream<std::string, std::string>({"orders"});
    auto customers = b.table<std::string, std::string>("customers");
    if (left) {
        orders
            .left_join(customers,
                       [](const std::string& o, const opt& c) { return o + "+" + show(c); })
            .to("out");
    } else {
        orders
            .join(customers, [](const std::string& o, const std::string& c) { return o + "+" + c; })
            .to("out");
    }
    return b.build();
}

TEST(stream_table_join, joins_each_record_with_the_table_as_it_stands_and_ignores_table_updates) {
    topology_test_driver driver(stream_table(false), config);
    auto orders = driver.create_input_topic<std::string, std::string>("orders");
    auto customers = driver.create_input_topic<std::string, opt>("customers");

    orders.pipe_input("c1", "o1", 10); // no customer yet: nothing
    customers.pipe_input("c1", opt("gold"), 20);
    customers.pipe_input("c2", opt("silver"), 21);
    EXPECT_TRUE(drain(driver).empty()) << "table updates must not produce join results";
    orders.pipe_input("c1", "o2", 30);
    orders.pipe_input("c2", "o3", 31);
    customers.pipe_input("c1", opt("platinum"), 40);
    orders.pipe_input("c1", "o4", 41);
    customers.pipe_input("c1", std::nullopt, 50); // deleted
    orders.pipe_input("c1", "o5", 51);
    EXPECT_EQ(drain(driver),
              (std::vector<out_record>{
                  {"c1", "o2+gold", 30}, {"c2", "o3+silver", 31}, {"c1", "o4+platinum", 41}}));
}

TEST(stream_table_join, a_left_join_passes_nullopt_for_a_missing_or_deleted_table_row) {
    topology_test_driver driver(stream_table(true), config);
    auto orders = driver.create_input_topic<std::string, std::string>("orders");
    auto customers = driver.create_input_topic<std::string, opt>("customers");

    orders.pipe_input("c1", "o1", 10);
    customers.pipe_input("c1", opt("gold"), 20);
    orders.pipe_input("c1", "o2", 30);
    customers.pipe_input("c1", std::nullopt, 40);
    orders.pipe_input("c1", "o3", 50);
    EXPECT_EQ(drain(driver),
              (std::vector<out_record>{
                  {"c1", "o1+null", 10}, {"c1", "o2+gold", 30}, {"c1", "o3+null", 50}}));
}

TEST(stream_table_join, joins_a_table_that_is_an_aggregation) {
    stream_builder b;
    auto clicks = b.stream<std::string, std::string>({"clicks"});
    auto counts = b.stream<std::string, std::string>({"views"}).group_by_key().count();
    clicks.join(counts, [](const std::string& c, int64_t n) { return c + "#" + std::to_string(n); })
        .to("out");
    topology_test_driver driver(b.build(), config);
    auto views = driver.create_input_topic<std::string, std::string>("views");
    auto click = driver.create_input_topic<std::string, std::string>("clicks");
    views.pipe_input("u", "v", 1);
    views.pipe_input("u", "v", 2);
    click.pipe_input("u", "c", 3);
    click.pipe_input("other", "c", 4);
    EXPECT_EQ(drain(driver), (std::vector<out_record>{{"u", "c#2", 3}}));
}

TEST(stream_table_join, null_keys_are_dropped_by_an_inner_join_and_kept_by_a_left_join) {
    // KIP-962 (Kafka Streams 3.7+): a left stream-table join keeps null-key records.
    for (const bool left : {false, true}) {
        stream_builder b;
        auto orders = b.stream<opt, std::string>({"orders"});
        auto customers = b.table<opt, std::string>("customers");
        if (left) {
            orders
                .left_join(customers,
                           [](const opt& k, const std::string& o, const opt& c) {
                               return show(k) + ":" + o + "+" + show(c);
                           })
                .to("out", produced<opt, std::string>{});
        } else {
            orders
                .join(customers, [](const opt& k, const std::string& o,
                                    const std::string& c) { return show(k) + ":" + o + "+" + c; })
                .to("out", produced<opt, std::string>{});
        }
        topology_test_driver driver(b.build(), config);
        auto in = driver.create_input_topic<opt, std::string>("orders");
        auto table = driver.create_input_topic<opt, opt>("customers");
        table.pipe_input(opt("c1"), opt("gold"), 1);
        in.pipe_null_key("o1", 2);
        in.pipe_input(opt("c1"), "o2", 3);
        auto out = driver.create_output_topic<opt, std::string>("out").read_values_to_list();
        if (left) {
            EXPECT_EQ(out, (std::vector<std::string>{"null:o1+null", "c1:o2+gold"}));
        } else {
            EXPECT_EQ(out, (std::vector<std::string>{"c1:o2+gold"}));
        }
        in.pipe_null_key("o3", 4);
        table.pipe_null_key(opt("ignored"), 5); // a table row without a key: skipped too
        EXPECT_EQ(driver.counters().null_records_skipped.load(), left ? 1U : 3U)
            << "every skipped record is counted, not only the first warned about";
    }
}

TEST(stream_table_join, null_values_are_dropped_by_both_joins) {
    stream_builder b;
    auto orders = b.stream<std::string, opt>({"orders"});
    auto customers = b.table<std::string, std::string>("customers");
    orders.left_join(customers, [](const opt& o, const opt& c) { return show(o) + "+" + show(c); })
        .to("out");
    topology_test_driver driver(b.build(), config);
    auto in = driver.create_input_topic<std::string, opt>("orders");
    in.pipe_input("c1", std::nullopt, 1);
    in.pipe_input("c1", opt("o"), 2);
    in.pipe_input("c2", std::nullopt, 3);
    EXPECT_EQ(drain(driver), (std::vector<out_record>{{"c1", "o+null", 2}}));
    EXPECT_EQ(driver.counters().null_records_skipped.load(), 2U);
}

TEST(stream_table_join, a_stream_whose_key_changed_is_repartitioned_before_the_join) {
    stream_builder b;
    auto orders = b.stream<std::string, std::string>({"orders"})
                      .select_key([](const std::string&, const std::string& v) {
                          return v.substr(0, v.find(':'));
                      });
    auto customers = b.table<std::string, std::string>("customers");
    orders.join(customers, [](const std::string& o, const std::string& c) { return o + "+" + c; })
        .to("out");
    const topology topo = b.build();
    EXPECT_NE(topo.describe().find("KSTREAM-JOIN-"), std::string::npos);
    ASSERT_EQ(topo.internal_topics().size(), 1u);
    EXPECT_NE(topo.internal_topics()[0].name.find("-left-repartition"), std::string::npos);
    topology_test_driver driver(topo, config);
    driver.create_input_topic<std::string, opt>("customers").pipe_input("c9", opt("gold"), 1);
    driver.create_input_topic<std::string, std::string>("orders").pipe_input("x", "c9:o1", 2);
    EXPECT_EQ(drain(driver), (std::vector<out_record>{{"c9", "c9:o1+gold", 2}}));
}

// ---- table-table -----------------------------------------------------------------------

struct two_tables {
    explicit two_tables(kind k) : driver(make(k), config) {}
    static topology make(kind k) {
        stream_builder b;
        auto left = b.table<std::string, std::string>("left");
        auto right = b.table<std::string, std::string>("right");
        auto show_pair = [](const opt& l, const opt& r) { return show(l) + "+" + show(r); };
        switch (k) {
        case kind::inner:
            left.join(right, [](const std::string& l, const std::string& r) { return l + "+" + r; })
                .to_stream()
                .to("out", produced<std::string, opt>{});
            break;
        case kind::left:
            left.left_join(right,
                           [](const std::string& l, const opt& r) { return l + "+" + show(r); })
                .to_stream()
                .to("out", produced<std::string, opt>{});
            break;
        case kind::outer:
            left.outer_join(right, show_pair).to_stream().to("out", produced<std::string, opt>{});
            break;
        }
        return b.build();
    }
    std::vector<std::tuple<std::string, std::string, int64_t>> read() {
        std::vector<std::tuple<std::string, std::string, int64_t>> all;
        for (auto& r : driver.create_output_topic<std::string, opt>("out").read_records_to_list()) {
            all.emplace_back(r.key, show(r.value), r.timestamp);
        }
        return all;
    }
    topology_test_driver driver;
    test_input_topic<std::string, opt> left = driver.create_input_topic<std::string, opt>("left");
    test_input_topic<std::string, opt> right = driver.create_input_topic<std::string, opt>("right");
};

using rows = std::vector<std::tuple<std::string, std::string, int64_t>>;

TEST(table_table_join, an_inner_join_has_a_row_while_both_tables_have_the_key) {
    two_tables t(kind::inner);
    t.left.pipe_input("k", opt("a"), 10);      // no right row: nothing
    t.right.pipe_input("k", opt("x"), 5);      // both: a+x at the later timestamp
    t.left.pipe_input("k", opt("b"), 20);      // updated
    t.right.pipe_input("k", std::nullopt, 30); // the row goes away
    t.left.pipe_input("k", std::nullopt, 40);  // nothing had a row: no second tombstone
    t.right.pipe_input("j", opt("y"), 50);     // no left row: nothing
    EXPECT_EQ(t.read(), (rows{{"k", "a+x", 10}, {"k", "b+x", 20}, {"k", "null", 30}}));
}

TEST(table_table_join, a_left_join_has_a_row_while_the_left_table_has_the_key) {
    two_tables t(kind::left);
    t.left.pipe_input("k", opt("a"), 10);
    t.right.pipe_input("k", opt("x"), 20);
    t.right.pipe_input("k", std::nullopt, 30);
    t.left.pipe_input("k", std::nullopt, 40);
    t.right.pipe_input("j", opt("y"), 50); // no left row: nothing
    EXPECT_EQ(
        t.read(),
        (rows{{"k", "a+null", 10}, {"k", "a+x", 20}, {"k", "a+null", 30}, {"k", "null", 40}}));
}

TEST(table_table_join, an_outer_join_has_a_row_while_either_table_has_the_key) {
    two_tables t(kind::outer);
    t.right.pipe_input("k", opt("y"), 10);
    t.left.pipe_input("k", opt("b"), 20);
    t.left.pipe_input("k", std::nullopt, 30);
    t.right.pipe_input("k", std::nullopt, 40);
    t.right.pipe_input("k", std::nullopt, 50); // deleting what is not there: nothing
    EXPECT_EQ(
        t.read(),
        (rows{{"k", "null+y", 10}, {"k", "b+y", 20}, {"k", "null+y", 30}, {"k", "null", 40}}));
}

TEST(table_table_join, joins_an_aggregation_with_a_topic_table_and_keeps_the_result_queryable) {
    stream_builder b;
    auto counts = b.stream<std::string, std::string>({"clicks"}).group_by_key().count();
    auto names = b.table<std::string, std::string>("names");
    auto joined_table = counts.join(
        names, [](int64_t n, const std::string& name) { return name + ":" + std::to_string(n); },
        "clicks-by-name");
    EXPECT_EQ(joined_table.store_name(), "clicks-by-name-store");
    joined_table.to_stream().to("out", produced<std::string, opt>{});
    topology_test_driver driver(b.build(), config);
    auto clicks = driver.create_input_topic<std::string, std::string>("clicks");
    driver.create_input_topic<std::string, opt>("names").pipe_input("u", opt("Ada"), 1);
    clicks.pipe_input("u", "c", 2);
    clicks.pipe_input("u", "c", 3);
    auto out = driver.create_output_topic<std::string, opt>("out").read_values_to_list();
    EXPECT_EQ(out, (std::vector<opt>{opt("Ada:1"), opt("Ada:2")}));
    auto& store = get_store<timestamped_key_value_store<std::string, std::string>>(
        driver.state_store("clicks-by-name-store"));
    ASSERT_TRUE(store.get("u").has_value());
    EXPECT_EQ(store.get("u")->value, "Ada:2");
}

// ---- stream-global table ---------------------------------------------------------------

TEST(stream_global_table_join, looks_up_the_selected_key_in_the_full_table) {
    for (const bool left : {false, true}) {
        stream_builder b;
        auto customers = b.global_table<std::string, std::string>("customers");
        auto orders = b.stream<std::string, std::string>({"orders"}); // key: order, value: customer
        auto selector = [](const std::string&, const std::string& customer) { return customer; };
        if (left) {
            orders
                .left_join(
                    customers, selector,
                    [](const std::string& order, const std::string& customer, const opt& name) {
                        return order + "@" + customer + "=" + show(name);
                    })
                .to("out");
        } else {
            orders
                .join(customers, selector,
                      [](const std::string& customer, const std::string& name) {
                          return customer + "=" + name;
                      })
                .to("out");
        }
        topology_test_driver driver(b.build(), config);
        auto table = driver.create_input_topic<std::string, opt>("customers");
        auto in = driver.create_input_topic<std::string, std::string>("orders");
        table.pipe_input("c1", opt("Ada"), 1);
        in.pipe_input("o1", "c1", 2);
        in.pipe_input("o2", "c2", 3); // no such customer yet
        table.pipe_input("c2", opt("Bob"), 4);
        table.pipe_input("c1", std::nullopt, 5); // deleted
        in.pipe_input("o3", "c2", 6);
        in.pipe_input("o4", "c1", 7);
        if (left) {
            EXPECT_EQ(drain(driver), (std::vector<out_record>{{"o1", "o1@c1=Ada", 2},
                                                              {"o2", "o2@c2=null", 3},
                                                              {"o3", "o3@c2=Bob", 6},
                                                              {"o4", "o4@c1=null", 7}}));
        } else {
            EXPECT_EQ(drain(driver),
                      (std::vector<out_record>{{"o1", "c1=Ada", 2}, {"o3", "c2=Bob", 6}}));
        }
    }
}

TEST(stream_table_join, a_null_key_table_record_is_skipped_even_when_keys_are_plain_strings) {
    // std::string's serde reads a null key as "": the table used to store such a record as
    // the row of "", which a null-key order of a left join (key "" too) then found. Kafka
    // Streams skips null-key table records whatever the key type; so does Brook.
    stream_builder b;
    auto prices = b.table<std::string, std::string>(
        "prices", {}, materialized<std::string, std::string>::as("prices-store"));
    b.stream<std::string, std::string>({"orders"})
        .left_join(prices, [](const std::string& o, const opt& p) { return o + "+" + show(p); })
        .to("out");
    topology_test_driver driver(b.build(), config);
    auto raw_prices = driver.create_input_topic<std::string, std::string>("prices");
    raw_prices.pipe_bytes(std::nullopt, std::string_view("9.99"), 1); // null key
    raw_prices.pipe_input("", "1.00", 2);                             // the empty key
    raw_prices.pipe_bytes(std::nullopt, std::nullopt, 3);             // null key, null value
    auto orders = driver.create_input_topic<std::string, std::string>("orders");
    orders.pipe_bytes(std::nullopt, std::string_view("o1"), 4); // reads as key ""
    EXPECT_EQ(drain(driver), (std::vector<out_record>{{"", "o1+1.00", 4}}));
    auto& store = get_store<timestamped_key_value_store<std::string, std::string>>(
        driver.state_store("prices-store"));
    EXPECT_EQ(store.get("")->value, "1.00") << "a null key replaced the row of \"\"";
}

TEST(stream_global_table_join,
     unreadable_and_null_key_rows_are_skipped_and_the_table_is_queryable) {
    stream_builder b;
    auto limits = b.global_table<std::string, int64_t>("limits", {}, "limits-store");
    b.stream<std::string, std::string>({"asks"})
        .join(
            limits, [](const std::string& k, const std::string&) { return k; },
            [](const std::string&, int64_t limit) { return std::to_string(limit); })
        .to("out");
    const topology topo = b.build();
    EXPECT_NE(topo.describe().find("Global store: limits-store (topic: limits"), std::string::npos)
        << topo.describe();
    topology_test_driver driver(topo, config);
    auto raw = driver.create_input_topic<std::string, std::string>("limits");
    raw.pipe_input("a", "not eight bytes", 1); // int64 needs 8 bytes: skipped
    raw.pipe_bytes(std::nullopt, std::string_view("\0\0\0\0\0\0\0\5", 8), 2); // null key
    driver.create_input_topic<std::string, int64_t>("limits").pipe_input("b", 7, 3);
    auto asks = driver.create_input_topic<std::string, std::string>("asks");
    asks.pipe_input("a", "?", 4);
    asks.pipe_input("b", "?", 5);
    EXPECT_EQ(drain(driver), (std::vector<out_record>{{"b", "7", 5}}));
    auto& store = get_store<timestamped_key_value_store<std::string, int64_t>>(
        driver.state_store("limits-store"));
    EXPECT_EQ(store.get("b")->value, 7);
    EXPECT_FALSE(store.get("a").has_value());
}

// ---- stream-stream ---------------------------------------------------------------------

topology stream_stream(kind k, join_windows w) {
    stream_builder b;
    auto left = b.stream<std::string, std::string>({"left"});
    auto right = b.stream<std::string, std::string>({"right"});
    switch (k) {
    case kind::inner:
        left.join(
                right, [](const std::string& l, const std::string& r) { return l + "+" + r; }, w)
            .to("out");
        break;
    case kind::left:
        left.left_join(
                right, [](const std::string& l, const opt& r) { return l + "+" + show(r); }, w)
            .to("out");
        break;
    case kind::outer:
        left.outer_join(
                right, [](const opt& l, const opt& r) { return show(l) + "+" + show(r); }, w)
            .to("out");
        break;
    }
    return b.build();
}

struct two_streams {
    explicit two_streams(kind k,
                         join_windows w = join_windows::of_time_difference_without_grace(100ms))
        : driver(stream_stream(k, w), config),
          left(driver.create_input_topic<std::string, std::string>("left")),
          right(driver.create_input_topic<std::string, std::string>("right")) {}
    topology_test_driver driver;
    test_input_topic<std::string, std::string> left;
    test_input_topic<std::string, std::string> right;
};

TEST(stream_stream_join, joins_records_whose_timestamps_are_within_the_window_both_ends_inclusive) {
    two_streams s(kind::inner);
    s.left.pipe_input("k", "L", 1000);
    s.right.pipe_input("k", "r899", 899);   // 101 before: out
    s.right.pipe_input("k", "r900", 900);   // 100 before: in
    s.right.pipe_input("k", "r1100", 1100); // 100 after: in
    s.right.pipe_input("k", "r1101", 1101); // 101 after: out
    s.right.pipe_input("other", "x", 1000); // other key: out
    EXPECT_EQ(drain(s.driver),
              (std::vector<out_record>{{"k", "L+r900", 1000}, {"k", "L+r1100", 1100}}));
}

TEST(stream_stream_join, each_pair_joins_once_whichever_side_comes_first_including_duplicates) {
    two_streams s(kind::inner);
    s.left.pipe_input("k", "A", 10);
    s.left.pipe_input("k", "B", 10); // same key and time: both kept
    s.right.pipe_input("k", "a", 20);
    s.left.pipe_input("k", "C", 30);
    EXPECT_EQ(drain(s.driver),
              (std::vector<out_record>{{"k", "A+a", 20}, {"k", "B+a", 20}, {"k", "C+a", 30}}));
}

TEST(stream_stream_join, before_and_after_can_differ) {
    // Right records from 50 ms before to 10 ms after a left record join it.
    two_streams s(kind::inner,
                  join_windows::of_time_difference_without_grace(0ms).before(50ms).after(10ms));
    s.left.pipe_input("k", "L", 1000);
    s.right.pipe_input("k", "r949", 949);
    s.right.pipe_input("k", "r950", 950);
    s.right.pipe_input("k", "r1010", 1010);
    s.right.pipe_input("k", "r1011", 1011);
    EXPECT_EQ(drain(s.driver),
              (std::vector<out_record>{{"k", "L+r950", 1000}, {"k", "L+r1010", 1010}}));
}

TEST(stream_stream_join, a_left_join_emits_an_unmatched_left_record_only_after_its_window_closes) {
    two_streams s(kind::left, join_windows::of_time_difference_and_grace(100ms, 50ms));
    s.left.pipe_input("k", "A", 1000);
    s.right.pipe_input("z", "other", 1150); // stream time 1150 = 1000 + 100 + 50: still open
    EXPECT_TRUE(drain(s.driver).empty()) << "emitted before the window and grace closed";
    s.right.pipe_input("z", "other", 1151); // now closed
    EXPECT_EQ(drain(s.driver), (std::vector<out_record>{{"k", "A+null", 1000}}));
    s.right.pipe_input("z", "other", 2000);
    EXPECT_TRUE(drain(s.driver).empty()) << "an unmatched record was emitted twice";
}

TEST(stream_stream_join, a_left_join_never_emits_nullopt_for_a_record_that_joins_later) {
    two_streams s(kind::left, join_windows::of_time_difference_and_grace(100ms, 50ms));
    s.left.pipe_input("k", "A", 1000);
    s.left.pipe_input("j", "B", 1000);
    s.right.pipe_input("k", "a", 1090);
    s.left.pipe_input("z", "C", 5000); // closes every window so far (C waits)
    EXPECT_EQ(drain(s.driver),
              (std::vector<out_record>{{"k", "A+a", 1090}, {"j", "B+null", 1000}}));
    s.right.pipe_input("q", "late-unmatched-right", 4990);
    s.left.pipe_input("z", "D", 9000);
    EXPECT_EQ(drain(s.driver), (std::vector<out_record>{{"z", "C+null", 5000}}))
        << "a left join must not emit right records without a partner";
}

TEST(stream_stream_join, a_late_left_record_whose_window_has_closed_is_emitted_at_once) {
    two_streams s(kind::left, join_windows::of_time_difference_and_grace(100ms, 1000ms));
    s.left.pipe_input("z", "now", 5000);
    s.left.pipe_input("k", "late", 4000); // 4000 + 100 < 5000
    EXPECT_EQ(drain(s.driver), (std::vector<out_record>{{"k", "late+null", 4000}}));
}

TEST(stream_stream_join, an_outer_join_emits_unmatched_records_of_both_sides_oldest_first) {
    two_streams s(kind::outer);
    s.right.pipe_input("r", "b", 1010);
    s.left.pipe_input("l", "A", 1000);
    s.left.pipe_input("m", "M", 1020);
    s.right.pipe_input("m", "m", 1030);
    EXPECT_EQ(drain(s.driver), (std::vector<out_record>{{"m", "M+m", 1030}}));
    s.left.pipe_input("z", "Z", 2000);
    EXPECT_EQ(drain(s.driver),
              (std::vector<out_record>{{"l", "A+null", 1000}, {"r", "null+b", 1010}}));
}

TEST(stream_stream_join, null_keys_are_emitted_at_once_by_an_outer_side_and_dropped_otherwise) {
    stream_builder b;
    auto left = b.stream<opt, std::string>({"left"});
    auto right = b.stream<opt, std::string>({"right"});
    left.left_join(
            right, [](const std::string& l, const opt& r) { return l + "+" + show(r); },
            join_windows::of_time_difference_without_grace(100ms))
        .to("out", produced<opt, std::string>{});
    topology_test_driver driver(b.build(), config);
    auto l = driver.create_input_topic<opt, std::string>("left");
    auto r = driver.create_input_topic<opt, std::string>("right");
    l.pipe_null_key("A", 10);
    r.pipe_null_key("b", 11); // right side of a left join: dropped
    auto out = driver.create_output_topic<opt, std::string>("out").read_records_to_list();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_FALSE(out[0].key.has_value());
    EXPECT_EQ(out[0].value, "A+null");
    EXPECT_EQ(out[0].timestamp, 10);
}

TEST(stream_stream_join, records_older_than_the_retention_find_no_partner) {
    two_streams s(kind::inner, join_windows::of_time_difference_and_grace(100ms, 0ms));
    // A store expires by its own time (its latest put), as Kafka Streams' stores do.
    s.right.pipe_input("k", "old", 1000);
    s.right.pipe_input("z", "advance", 100000);
    s.left.pipe_input("k", "late", 1000); // "old" has expired from the right store
    EXPECT_TRUE(drain(s.driver).empty());
}

TEST(stream_stream_join, join_windows_refuse_negative_and_empty_windows) {
    EXPECT_THROW(join_windows::of_time_difference_and_grace(-1ms, 0ms), std::invalid_argument);
    EXPECT_THROW(join_windows::of_time_difference_and_grace(1ms, -1ms), std::invalid_argument);
    EXPECT_THROW(join_windows::of_time_difference_without_grace(10ms).before(-11ms),
                 std::invalid_argument);
}

TEST(stream_stream_join, describe_shows_the_join_nodes_and_their_stores) {
    const std::string d =
        stream_stream(kind::left, join_windows::of_time_difference_without_grace(100ms)).describe();
    for (const char* part : {"KSTREAM-WINDOWED-0000000002", "KSTREAM-WINDOWED-0000000003",
                             "KSTREAM-JOINTHIS-0000000004", "KSTREAM-OUTEROTHER-0000000005",
                             "KSTREAM-OUTERSHARED-0000000006-store",
                             "KSTREAM-JOINTHIS-0000000004-store", "KSTREAM-MERGE-0000000007"}) {
        EXPECT_NE(d.find(part), std::string::npos) << part << " missing from\n" << d;
    }
}

} // namespace
} // namespace brook
