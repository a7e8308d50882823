// The Nexmark queries Brook's benchmark runs (apps/nexmark), checked against results
// computed from their own input: every query over ~18,000 generated bids, fed out of order
// and with hostile records among them; the generator's proportions and determinism; and
// the event formats' strictness, each refusal naming its field.

#include <algorithm>
#include <cstdint>
#include <limits>
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

// `events` events at `rate` per second of event time.
std::vector<generated_bid> generate_bids(int64_t events, uint64_t seed, int64_t rate = 10'000) {
    generator gen({.seed = seed, .base_time_ms = base_ms, .events_per_second = rate});
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

// Bids the generator never makes but a producer may: prices at the ends of int64 (q1 must
// not overflow, q7 must rank them), and one bidder's bids exactly a gap apart (q11 joins
// them into one session) and a gap and a millisecond apart (two sessions).
std::vector<generated_bid> edge_bids() {
    std::vector<generated_bid> out;
    const auto add = [&](int64_t auction, int64_t bidder, int64_t price, int64_t ts) {
        bid b{auction, bidder, price, "edge", "https://edge", ts, ""};
        std::string json;
        bid_serde{}.serialize(b, json);
        out.push_back({"edge-" + std::to_string(out.size()), json, b});
    };
    add(1230, 7, std::numeric_limits<int64_t>::max(), base_ms + 15'000);
    add(1230, 7, std::numeric_limits<int64_t>::min(), base_ms + 25'000);
    add(1001, 7, -5, base_ms + 45'000);
    add(1001, 8, -10, base_ms + 46'000);
    add(1001, 9, -1'234'567, base_ms + 47'000);
    const int64_t lonely = 999'999; // a bidder the generator never makes
    add(1001, lonely, 100, base_ms + 60'000);
    add(1001, lonely, 100, base_ms + 70'000);  // exactly the gap later: the same session
    add(1001, lonely, 100, base_ms + 80'001);  // a gap and 1 ms later: a new session
    add(1001, lonely, 100, base_ms + 100'000); // and another
    return out;
}

// The query's output equals what the input says it must be, although records arrive up to
// 64 bids out of order (as from several partitions) and three hostile records are skipped.
// 20,000 events at 100 per second of event time span 200 s: a hundred q5 windows, twenty
// q7 windows, and q11 sessions that close.
TEST_P(nexmark_query, output_equals_the_results_computed_from_the_input) {
    const query q = GetParam();
    auto bids = generate_bids(20'000, 11, 100);
    ASSERT_GT(bids.size(), 18'000u);
    for (auto& edge : edge_bids()) {
        bids.push_back(std::move(edge));
    }
    // The reference takes bids in event-time order, as the generator makes them.
    std::stable_sort(bids.begin(), bids.end(),
                     [](const auto& a, const auto& b) { return a.b.date_time < b.b.date_time; });

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

// A window whose bids all have negative prices still has a highest bid: the one nearest
// zero (no price is taken for "no bid yet").
TEST(nexmark_q7, the_highest_of_negative_prices_is_the_one_nearest_zero) {
    stream_builder builder;
    build_query(builder, query::q7, "bids", "out", 1h);
    topology_test_driver driver(builder.build());
    auto in = driver.create_input_topic<std::string, bid>("bids");
    auto out = driver.create_output_topic<std::string, highest_bid>("out");
    in.pipe_input("a", bid{1, 2, -10, "c", "u", base_ms + 1, ""}, base_ms + 1);
    in.pipe_input("b", bid{1, 3, -5, "c", "u", base_ms + 2, ""}, base_ms + 2);
    in.pipe_input("c", bid{1, 4, -7, "c", "u", base_ms + 3, ""}, base_ms + 3);
    std::optional<highest_bid> last;
    while (!out.is_empty()) {
        last = out.read_value();
    }
    ASSERT_TRUE(last.has_value());
    EXPECT_EQ(last->price, -5);
    EXPECT_EQ(last->bidder, 3);
}

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

// q1's conversion is price * 908 / 1000 truncated toward zero, for every int64 price:
// computed here in 128 bits, where it cannot overflow.
TEST(nexmark_events, the_currency_conversion_is_exact_and_never_overflows) {
    std::mt19937_64 rng(3);
    std::vector<int64_t> prices = {0,
                                   1,
                                   -1,
                                   999,
                                   -999,
                                   1000,
                                   -1001,
                                   std::numeric_limits<int64_t>::max(),
                                   std::numeric_limits<int64_t>::min()};
    for (int i = 0; i < 10'000; ++i) {
        prices.push_back(static_cast<int64_t>(rng()));
        prices.push_back(static_cast<int64_t>(rng() % 100'000'000) - 50'000'000);
    }
    __extension__ using int128 = __int128; // GCC's and Clang's, wide enough for p * 908
    for (const int64_t p : prices) {
        const int128 exact = static_cast<int128>(p) * 908 / 1000;
        EXPECT_TRUE(static_cast<int128>(euros(p)) == exact) << p;
    }
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
    EXPECT_EQ(error_of(R"({"auction":1,"auction":2,"bidder":2,"price":3,)" + ok_tail + "}"),
              "bid has field 'auction' twice");
    EXPECT_EQ(error_of("[1,2]"), "bid is not a JSON object");
    EXPECT_NE(error_of("{\"auction\":").find("bid is not valid JSON"), std::string::npos);
    EXPECT_NE(error_of(std::string(100, '[')).find("nested deeper"), std::string::npos);
    EXPECT_THROW(bid_serde{}.deserialize(std::nullopt), serde_error);
    EXPECT_THROW(auction_count_serde{}.deserialize(std::string_view(R"({"auction":1})")),
                 serde_error);
}

} // namespace
} // namespace brook::apps::nexmark
