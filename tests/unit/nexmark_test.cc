// The Nexmark queries Brook's benchmark runs (apps/nexmark), checked against results
// computed from their own input: every query over ~18,000 generated bids, fed out of order
// and with hostile records among them; the generator's proportions and determinism; and
// the event formats' strictness, each refusal naming its field.

#include <algorithm>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "apps/nexmark/events.h"
#include "apps/nexmark/generator.h"
#include "apps/nexmark/queries.h"
#include "apps/nexmark/reference.h"
#include "engine/serde/serdes.h"
#include "engine/testing/topology_test_driver.h"
#include "operators/stream_builder.h"

namespace brook::apps::nexmark {
namespace {

using namespace std::chrono_literals;

constexpr int64_t base_ms = 1'700'000'000'000;

struct generated_bid {
    std::string key;
    std::string json;
    bid b;
};

std::vector<generated_bid> generate_bids(int64_t events, uint64_t seed) {
    generator gen({.seed = seed, .base_time_ms = base_ms});
    std::vector<generated_bid> bids;
    for (int64_t i = 0; i < events; ++i) {
        const event& e = gen.next();
        if (e.kind == event_kind::bid) {
            bids.push_back({e.key, e.json, e.b});
        }
    }
    return bids;
}

std::string error_of(const std::string& text) {
    try {
        bid_serde{}.deserialize(std::string_view(text));
    } catch (const serde_error& e) {
        return e.what();
    }
    return "no error";
}

class nexmark_query : public testing::TestWithParam<query> {};

// The query's output equals what the input says it must be, although records arrive up to
// 64 bids out of order (as from several partitions) and three hostile records are skipped.
TEST_P(nexmark_query, output_equals_the_results_computed_from_the_input) {
    const query q = GetParam();
    const auto bids = generate_bids(20'000, 11);
    ASSERT_GT(bids.size(), 18'000u);

    expected_results expected(q);
    for (const auto& g : bids) {
        expected.add(g.key, g.b);
    }
    std::vector<const generated_bid*> order;
    for (const auto& g : bids) {
        order.push_back(&g);
    }
    std::mt19937_64 rng(5);
    for (size_t at = 0; at + 64 <= order.size(); at += 64) {
        std::shuffle(order.begin() + static_cast<std::ptrdiff_t>(at),
                     order.begin() + static_cast<std::ptrdiff_t>(at + 64), rng);
    }

    stream_builder builder;
    build_query(builder, q, "bids", "out", 1h);
    topology_test_driver driver(
        builder.build(), {{"default.deserialization.exception.handler", "log_and_continue"}});
    auto in = driver.create_input_topic<std::string, std::string>("bids");
    auto out = driver.create_output_topic<std::string, std::string>("out");
    for (size_t i = 0; i < order.size(); ++i) {
        const generated_bid& g = *order[i];
        in.pipe_input(g.key, g.json, g.b.date_time);
        if (i == 100) {
            in.pipe_input("hostile-1", "{\"auction\":1.5}", g.b.date_time);
            in.pipe_input("hostile-2", "not json at all", g.b.date_time);
            in.pipe_bytes(std::string_view("hostile-3"), std::nullopt, g.b.date_time);
        }
    }
    output_digest actual(output_is_table(q));
    while (!out.is_empty()) {
        const captured_record r = out.read_raw();
        ASSERT_TRUE(r.key.has_value());
        actual.add(*r.key, r.value ? nullable_bytes(std::string_view(*r.value)) : std::nullopt);
    }
    const output_digest want = expected.digest();
    EXPECT_GT(want.size(), 0);
    EXPECT_EQ(actual, want) << actual.difference(want);
}

INSTANTIATE_TEST_SUITE_P(all, nexmark_query,
                         testing::Values(query::q0, query::q1, query::q2, query::q5, query::q7,
                                         query::q11),
                         [](const testing::TestParamInfo<query>& info) {
                             return std::string(to_string(info.param));
                         });

TEST(nexmark_digest, a_changed_or_missing_record_makes_outputs_differ) {
    output_digest a(false);
    output_digest b(false);
    a.add("k", std::string_view(R"({"auction":1,"price":2})"));
    b.add("k", std::string_view(R"({"price":2, "auction":1})"));
    EXPECT_EQ(a, b) << "field order and spacing do not matter";
    b.add("k", std::string_view(R"({"auction":1,"price":3})"));
    EXPECT_NE(a, b);

    output_digest t1(true);
    output_digest t2(true);
    t1.add("w", std::string_view(R"({"auction":1,"num":2})"));
    t2.add("w", std::string_view(R"({"auction":1,"num":1})"));
    t2.add("w", std::string_view(R"({"auction":1,"num":2})"));
    EXPECT_EQ(t1, t2) << "a table compares last values";
    t2.add("gone", std::string_view("1"));
    t2.add("gone", std::nullopt);
    EXPECT_EQ(t1, t2) << "a null removes its key";
    t2.add("w", std::string_view(R"({"auction":2,"num":2})"));
    EXPECT_NE(t1, t2);
    EXPECT_NE(t1.difference(t2).find("key w"), std::string::npos) << t1.difference(t2);
    EXPECT_THROW(t1.add("x", std::string_view("{not json")), std::invalid_argument);
}

TEST(nexmark_generator, events_come_in_the_proportions_of_the_specification) {
    generator gen({.seed = 3, .base_time_ms = base_ms});
    int64_t persons = 0;
    int64_t auctions = 0;
    int64_t bids = 0;
    int64_t last_ts = 0;
    int64_t max_auction = 0;
    for (int64_t i = 0; i < 50'000; ++i) {
        const event& e = gen.next();
        EXPECT_EQ(e.id, i);
        EXPECT_GE(e.timestamp, last_ts);
        last_ts = e.timestamp;
        switch (e.kind) {
        case event_kind::person:
            ++persons;
            break;
        case event_kind::auction:
            ++auctions;
            max_auction = 1000 + auctions - 1;
            break;
        case event_kind::bid:
            ++bids;
            EXPECT_EQ(bid_serde{}.deserialize(std::string_view(e.json)), e.b);
            EXPECT_EQ(e.b.date_time, e.timestamp);
            EXPECT_GE(e.b.auction, 1000);
            EXPECT_LE(e.b.auction, max_auction + 10) << "a bid is on an auction that exists or "
                                                        "is about to (the specification's lead)";
            EXPECT_GT(e.b.price, 0);
            break;
        }
    }
    EXPECT_EQ(persons, 1'000);
    EXPECT_EQ(auctions, 3'000);
    EXPECT_EQ(bids, 46'000);
    EXPECT_EQ(last_ts, base_ms + 49'999 / 10) << "10,000 events per second of event time";
    EXPECT_EQ(generator::events_for_bids(1), 5);
    EXPECT_EQ(generator::events_for_bids(46), 50);
    EXPECT_EQ(generator::events_for_bids(47), 55);
}

TEST(nexmark_generator, the_same_seed_gives_the_same_events_and_another_seed_others) {
    const auto a = generate_bids(2'000, 9);
    const auto b = generate_bids(2'000, 9);
    const auto c = generate_bids(2'000, 10);
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) {
        EXPECT_EQ(a[i].json, b[i].json);
    }
    size_t same = 0;
    for (size_t i = 0; i < a.size(); ++i) {
        same += a[i].json == c[i].json ? 1 : 0;
    }
    EXPECT_LT(same, a.size() / 10);
}

TEST(nexmark_events, a_bid_is_read_back_as_written_even_with_characters_to_escape) {
    bid b{1001, 1002, 300, "Goo\"gle", "https://x/\\y", 1'700'000'000'000, "line\nbreak\x01"};
    std::string buffer;
    const std::string text(*bid_serde{}.serialize(b, buffer));
    EXPECT_EQ(bid_serde{}.deserialize(std::string_view(text)), b) << text;
    // Unknown fields are ignored, as Jackson does when told to.
    const std::string more = R"({"auction":1,"bidder":2,"price":3,"channel":"c","url":"u",)"
                             R"("dateTime":4,"extra":"","more":{"a":[1,2]}})";
    EXPECT_EQ(bid_serde{}.deserialize(std::string_view(more)).price, 3);
}

TEST(nexmark_events, a_bad_bid_is_refused_with_a_reason_that_names_its_field) {
    const std::string ok_tail = R"("channel":"c","url":"u","dateTime":4,"extra":"")";
    EXPECT_EQ(error_of(R"({"bidder":2,"price":3,)" + ok_tail + "}"), "bid has no field 'auction'");
    EXPECT_EQ(error_of(R"({"auction":1,"bidder":2,"price":3.5,)" + ok_tail + "}"),
              "bid: 'price' must be an integer from -2^63 to 2^63-1");
    EXPECT_EQ(error_of(R"({"auction":1,"bidder":2,"price":99999999999999999999,)" + ok_tail + "}"),
              "bid: 'price' must be an integer from -2^63 to 2^63-1");
    EXPECT_EQ(error_of(R"({"auction":1,"bidder":{"id":2},"price":3,)" + ok_tail + "}"),
              "bid: 'bidder' must be an integer from -2^63 to 2^63-1");
    EXPECT_EQ(error_of(R"({"auction":1,"bidder":2,"price":3,"channel":7,"url":"u","dateTime":4,)"
                       R"("extra":""})"),
              "bid: 'channel' must be a string");
    EXPECT_EQ(error_of("[1,2]"), "bid is not a JSON object");
    EXPECT_NE(error_of("{\"auction\":").find("bid is not valid JSON"), std::string::npos);
    EXPECT_NE(error_of(std::string(100, '[')).find("nested deeper"), std::string::npos);
    EXPECT_THROW(bid_serde{}.deserialize(std::nullopt), serde_error);
    EXPECT_THROW(auction_count_serde{}.deserialize(std::string_view(R"({"auction":1})")),
                 serde_error);
}

} // namespace
} // namespace brook::apps::nexmark
