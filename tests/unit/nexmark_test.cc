// The Nexmark queries Brook's benchmark runs (apps/nexmark), checked against results
// computed from their own input: every query over 20,000 generated events, fed out of order
// and with hostile records among them; the generator's proportions and determinism; and
// the event formats' strictness, each refusal naming its field.

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "apps/nexmark/events.h"
#include "apps/nexmark/generator.h"
#include "apps/nexmark/join_values.h"
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

// One input record of any kind, as the generator (or a test) made it.
struct generated_event {
    event_kind kind = event_kind::bid;
    std::string key;
    std::string json;
    int64_t timestamp = 0;
    person p;
    auction a;
    bid b;
};

std::vector<generated_event> generate_events(int64_t events, uint64_t seed, int64_t rate) {
    generator gen({.seed = seed, .base_time_ms = base_ms, .events_per_second = rate});
    std::vector<generated_event> out;
    for (int64_t i = 0; i < events; ++i) {
        const event& e = gen.next();
        out.push_back({e.kind, e.key, e.json, e.timestamp, e.p, e.a, e.b});
    }
    return out;
}

// Bids the generator never makes but a producer may: prices at the ends of int64 (q1 must
// not overflow, q7 must rank them, q4's and q6's sums wrap), and one bidder's bids exactly a
// gap apart (q11 joins them into one session) and a gap and a millisecond apart (two
// sessions). And an auction of its own (q4, q6) with bids at both ends of its time, just
// outside them, and after 20 s, the join window's end, though the auction is open longer.
std::vector<generated_event> edge_events() {
    std::vector<generated_event> out;
    const auto add_bid = [&](int64_t auction_id, int64_t bidder, int64_t price, int64_t ts) {
        generated_event e{
            .kind = event_kind::bid, .key = "edge-" + std::to_string(out.size()), .timestamp = ts};
        e.b = bid{auction_id, bidder, price, "edge", "https://edge", ts, ""};
        bid_serde{}.serialize(e.b, e.json);
        out.push_back(std::move(e));
    };
    const auto add_auction = [&](int64_t id, int64_t seller, int64_t category, int64_t ts,
                                 int64_t expires) {
        generated_event e{.kind = event_kind::auction,
                          .key = "edge-" + std::to_string(out.size()),
                          .timestamp = ts};
        e.a = auction{id, "item", "edge", 1, 2, ts, expires, seller, category, ""};
        auction_serde{}.serialize(e.a, e.json);
        out.push_back(std::move(e));
    };
    add_bid(1230, 7, std::numeric_limits<int64_t>::max(), base_ms + 15'000);
    add_bid(1230, 7, std::numeric_limits<int64_t>::min(), base_ms + 25'000);
    add_bid(1001, 7, -5, base_ms + 45'000);
    add_bid(1001, 8, -10, base_ms + 46'000);
    add_bid(1001, 9, -1'234'567, base_ms + 47'000);
    const int64_t lonely = 999'999; // a bidder the generator never makes
    add_bid(1001, lonely, 100, base_ms + 60'000);
    add_bid(1001, lonely, 100, base_ms + 70'000);  // exactly the gap later: the same session
    add_bid(1001, lonely, 100, base_ms + 80'001);  // a gap and 1 ms later: a new session
    add_bid(1001, lonely, 100, base_ms + 100'000); // and another

    // Auction 9'000'001 is open from 50 s to 75 s; auction 9'000'002 from 120 s to 121 s,
    // and both have hostile prices to sum in category 12.
    const int64_t open = base_ms + 50'000;
    add_auction(9'000'001, 1000, 12, open, open + 25'000);
    add_bid(9'000'001, 5, 700, open - 1);      // before it opens
    add_bid(9'000'001, 5, 300, open);          // as it opens: counts
    add_bid(9'000'001, 5, 800, open + 20'001); // open, but past the join window
    add_bid(9'000'001, 5, 400, open + 20'000); // the window's last millisecond: counts
    add_auction(9'000'002, 1000, 12, base_ms + 120'000, base_ms + 121'000);
    add_bid(9'000'002, 5, std::numeric_limits<int64_t>::max(), base_ms + 121'000); // at expiry
    add_bid(9'000'002, 5, 900, base_ms + 121'001);                                 // just after
    add_auction(9'000'003, 1000, 12, base_ms + 130'000, base_ms + 131'000);
    add_bid(9'000'003, 6, std::numeric_limits<int64_t>::max(), base_ms + 130'500);
    return out;
}

std::string topic_of(event_kind kind) {
    switch (kind) {
    case event_kind::person:
        return "persons";
    case event_kind::auction:
        return "auctions";
    case event_kind::bid:
        break;
    }
    return "bids";
}

// The query's output equals what the input says it must be, although records arrive up to
// 64 events out of order (as from several partitions and topics) and hostile records are
// skipped, three on each topic. 20,000 events at 100 per second of event time span 200 s: a
// hundred q5 windows, twenty q7 and q8 windows, q11 sessions that close, about 400 persons
// and 1,200 auctions, some of whose sellers open more than ten.
TEST_P(nexmark_query, output_equals_the_results_computed_from_the_input) {
    const query q = GetParam();
    auto events = generate_events(20'000, 11, 100);
    for (auto& edge : edge_events()) {
        events.push_back(std::move(edge));
    }
    // The reference takes events in event-time order, as the generator makes them.
    std::stable_sort(events.begin(), events.end(),
                     [](const auto& a, const auto& b) { return a.timestamp < b.timestamp; });

    expected_results expected(q);
    for (const auto& e : events) {
        switch (e.kind) {
        case event_kind::person:
            expected.add(e.p);
            break;
        case event_kind::auction:
            expected.add(e.a);
            break;
        case event_kind::bid:
            expected.add(e.key, e.b);
            break;
        }
    }
    std::vector<const generated_event*> order;
    for (const auto& e : events) {
        order.push_back(&e);
    }
    std::mt19937_64 rng(5);
    for (size_t at = 0; at + 64 <= order.size(); at += 64) {
        std::shuffle(order.begin() + static_cast<std::ptrdiff_t>(at),
                     order.begin() + static_cast<std::ptrdiff_t>(at + 64), rng);
    }

    stream_builder builder;
    build_query(builder, q, input_topics{"persons", "auctions", "bids"}, "out", 1h);
    topology_test_driver driver(
        builder.build(), {{"default.deserialization.exception.handler", "log_and_continue"}});
    std::map<std::string, test_input_topic<std::string, std::string>> inputs;
    const inputs_read read = reads(q);
    for (const auto& [topic, wanted] :
         {std::pair{"persons", read.persons}, {"auctions", read.auctions}, {"bids", read.bids}}) {
        if (wanted) {
            inputs.emplace(topic, driver.create_input_topic<std::string, std::string>(topic));
        }
    }
    auto out = driver.create_output_topic<std::string, std::string>("out");
    int64_t fed = 0;
    for (size_t i = 0; i < order.size(); ++i) {
        const generated_event& e = *order[i];
        auto in = inputs.find(topic_of(e.kind));
        if (in == inputs.end()) {
            continue;
        }
        in->second.pipe_input(e.key, e.json, e.timestamp);
        ++fed;
        if (i == 100) {
            for (auto& [topic, hostile] : inputs) {
                hostile.pipe_input("hostile-1", R"({"id":1.5,"auction":1.5})", e.timestamp);
                hostile.pipe_input("hostile-2", "not json at all", e.timestamp);
                hostile.pipe_bytes(std::string_view("hostile-3"), std::nullopt, e.timestamp);
                // Whole events with one field of the wrong type.
                hostile.pipe_input(
                    "hostile-4",
                    topic == "persons"
                        ? R"({"id":"1000","name":"n","emailAddress":"e","creditCard":"c",)"
                          R"("city":"Kent","state":"OR","dateTime":1,"extra":""})"
                    : topic == "auctions"
                        ? R"({"id":1000,"itemName":"i","description":"d","initialBid":1,)"
                          R"("reserve":1,"dateTime":1,"expires":2,"seller":1.5,)"
                          R"("category":10,"extra":""})"
                        : R"({"auction":1000,"bidder":1,"price":"9","channel":"c","url":"u",)"
                          R"("dateTime":1,"extra":""})",
                    e.timestamp);
            }
        }
    }
    ASSERT_GT(fed, 1'000);
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
                         testing::Values(query::q0, query::q1, query::q2, query::q3, query::q4,
                                         query::q5, query::q6, query::q7, query::q8, query::q11),
                         [](const testing::TestParamInfo<query>& info) {
                             return std::string(to_string(info.param));
                         });

// A window whose bids all have negative prices still has a highest bid: the one nearest
// zero (no price is taken for "no bid yet").
TEST(nexmark_q7, the_highest_of_negative_prices_is_the_one_nearest_zero) {
    stream_builder builder;
    build_query(builder, query::q7, input_topics{"persons", "auctions", "bids"}, "out", 1h);
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

TEST(nexmark_events, persons_and_auctions_are_read_back_as_written_and_bad_ones_refused) {
    const person p{7, "A \"quoted\" name", "a@b.com", "1234", "Kent", "WA", 5, "x"};
    std::string buffer;
    EXPECT_EQ(person_serde{}.deserialize(person_serde{}.serialize(p, buffer)), p);
    const auction a{9, "item", "desc", 1, 2, 3, 4, 7, 10, ""};
    EXPECT_EQ(auction_serde{}.deserialize(auction_serde{}.serialize(a, buffer)), a);

    const auto refusal = [](auto serde, std::string_view text) {
        try {
            serde.deserialize(text);
        } catch (const serde_error& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    EXPECT_NE(refusal(person_serde{}, R"({"id":1,"name":"n"})").find("'emailAddress'"),
              std::string::npos);
    EXPECT_NE(refusal(auction_serde{}, R"({"id":1,"itemName":"i","description":"d",)"
                                       R"("initialBid":1,"reserve":1,"dateTime":1,)"
                                       R"("expires":"soon","seller":1,"category":1,"extra":""})")
                  .find("'expires'"),
              std::string::npos);
    EXPECT_NE(refusal(auction_serde{}, R"({"id":1,"id":2})").find("'id' twice"), std::string::npos);
    // As Jackson's strict duplicate detection: any name, at any depth.
    EXPECT_NE(refusal(person_serde{}, R"({"x":1,"x":2})").find("'x' twice"), std::string::npos);
    EXPECT_NE(refusal(bid_serde{}, R"({"x":[{"y":1},{"y":2,"y":3}]})").find("'y' twice"),
              std::string::npos);
    EXPECT_EQ(refusal(bid_serde{}, R"({"auction":1,"bidder":2,"price":3,"channel":"c","url":"u",)"
                                   R"("dateTime":4,"extra":"","x":[{"y":1},{"y":2}]})"),
              "no error")
        << "the same name in two objects is no duplicate";
    EXPECT_THROW(person_serde{}.deserialize(std::nullopt), serde_error);
}

// q6's last ten: an entry replaces its auction's, the ten latest by (expires, auction) stay,
// and taking an entry out and putting it back gives the same ten, so a table row's update
// (subtract the old value, add the new) never loses one.
TEST(nexmark_values, the_last_ten_keep_the_latest_and_survive_an_update) {
    recent_prices last;
    for (int64_t i = 0; i < 15; ++i) {
        last = with_entry(last, {1000 + (i % 5) * 10, i, 100 + i});
    }
    ASSERT_EQ(last.entries.size(), 10u);
    EXPECT_EQ(last.entries.front(), (recent_price{1040, 14, 114}));
    // Expiries 1040, 1030 and 1020 hold three auctions each: the tenth is (1010, 11).
    EXPECT_EQ(last.entries.back(), (recent_price{1010, 11, 111}));
    const recent_prices before = last;
    last = with_entry(without_auction(last, 9), {1040, 9, 500}); // auction 9's price went up
    ASSERT_EQ(last.entries.size(), 10u);
    EXPECT_EQ(last.entries[1], (recent_price{1040, 9, 500}));
    EXPECT_EQ(without_auction(last, 12345).entries.size(), 10u) << "an unknown auction is no-op";
    EXPECT_EQ(with_entry(before, {0, 99, 1}).entries, before.entries) << "too old to keep";

    const seller_average avg = average_of(3, last);
    EXPECT_EQ(avg.count, 10);
    EXPECT_EQ(avg.avg, 1474 / 10); // 114 + 500 + 104 + 113 + 108 + 103 + 112 + 107 + 102 + 111

    std::string buffer;
    const recent_prices back =
        recent_prices_serde{}.deserialize(recent_prices_serde{}.serialize(last, buffer));
    EXPECT_EQ(back.entries, last.entries);
    buffer.resize(buffer.size() - 1);
    EXPECT_THROW(recent_prices_serde{}.deserialize(std::string_view(buffer)), serde_error);
    std::string eleven;
    recent_prices_serde{}.serialize(recent_prices{}, eleven);
    eleven[7] = 11;
    eleven.append(11 * 24, '\0');
    EXPECT_THROW(recent_prices_serde{}.deserialize(std::string_view(eleven)), serde_error);
    EXPECT_THROW(winning_bid_serde{}.deserialize(std::string_view("short")), serde_error);
}

TEST(nexmark_values, sums_wrap_as_java_longs_and_averages_truncate) {
    constexpr int64_t max = std::numeric_limits<int64_t>::max();
    EXPECT_EQ(wrapping_add(max, 1), std::numeric_limits<int64_t>::min());
    EXPECT_EQ(wrapping_sub(std::numeric_limits<int64_t>::min(), 1), max);
    EXPECT_EQ(average(-7, 2), -3);
    EXPECT_EQ(average(7, 0), 0);
    EXPECT_EQ(q8_window_start(19'999), 10'000);
    EXPECT_EQ(q8_window_start(-1), -10'000);
    // Below INT64_MIN it wraps, as Java's t - Math.floorMod(t, 10000) does.
    constexpr int64_t min = std::numeric_limits<int64_t>::min();
    EXPECT_EQ(q8_window_start(min), wrapping_sub(min, ((min % 10'000) + 10'000) % 10'000));
    std::string buffer;
    EXPECT_EQ(category_average_serde{}.serialize({10, 7, 2}, buffer).value(),
              R"({"category":10,"avg":3,"count":2,"sum":7})");
    EXPECT_THROW(category_average_serde{}.deserialize(
                     std::string_view(R"({"category":10,"avg":4,"count":2,"sum":7})")),
                 serde_error);
    EXPECT_EQ(parse_input_topics("p,a,b").value().auctions, "a");
    EXPECT_FALSE(parse_input_topics("p,a").has_value());
    EXPECT_FALSE(parse_input_topics("p,,b").has_value());
    EXPECT_FALSE(parse_input_topics("p,a,b,c").has_value());
}

} // namespace
} // namespace brook::apps::nexmark
