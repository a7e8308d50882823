#include "apps/nexmark/join_queries.h"

#include <charconv>
#include <optional>

#include <fmt/format.h>

#include "apps/nexmark/events.h"
#include "apps/nexmark/join_values.h"
#include "operators/stream_builder.h"

namespace brook::apps::nexmark {

namespace {

using namespace std::chrono_literals;

constexpr int64_t q3_category = 10;

bool q3_state(const std::string& state) {
    return state == "OR" || state == "ID" || state == "CA";
}

// q8's key: "<person>:<window start>".
std::string person_in_window(int64_t person, int64_t time) {
    return fmt::format("{}:{}", person, q8_window_start(time));
}

// "<person>:<window start>" back into its two numbers. Every key reaching it was written by
// person_in_window (the join's output keys are its inputs' keys), so it always parses.
new_user user_of(const std::string& key, std::string name) {
    new_user u;
    u.name = std::move(name);
    const auto colon = key.find(':');
    const char* end = key.data() + key.size();
    std::from_chars(key.data(), key.data() + colon, u.id);
    std::from_chars(key.data() + colon + 1, end, u.starttime);
    return u;
}

// q4's and q6's first half: each auction joined with the bids on it from its start to 20 s
// later (auctions are open 1 to 20 s), a bid counting only within [dateTime, expires];
// then the highest of them per auction (the first one held on a tie). `prefix` names the
// join's and the table's stores and topics.
table<int64_t, winning_bid> winning_bids(stream_builder& builder, const input_topics& in,
                                         std::chrono::milliseconds grace,
                                         const std::string& prefix) {
    auto auctions = builder.stream<std::string, auction>({in.auctions})
                        .select_key([](const std::string&, const auction& a) { return a.id; })
                        .map_values([](const auction& a) {
                            return auction_terms{a.date_time, a.expires, a.seller, a.category};
                        });
    auto bids = builder.stream<std::string, bid>({in.bids})
                    .select_key([](const std::string&, const bid& b) { return b.auction; })
                    .map_values([](const bid& b) {
                        return bid_price{b.price, b.date_time};
                    });
    return auctions
        .join(
            bids,
            [](const auction_terms& a, const bid_price& b) -> std::optional<winning_bid> {
                if (a.date_time <= b.date_time && b.date_time <= a.expires) {
                    return winning_bid{a.seller, a.category, a.expires, b.price};
                }
                return std::nullopt;
            },
            join_windows::of_time_difference_and_grace(20s, grace).before(0ms),
            stream_joined<int64_t, auction_terms, bid_price>{.name = prefix + "-join"})
        .filter([](const int64_t&, const std::optional<winning_bid>& w) { return w.has_value(); })
        .map_values([](const std::optional<winning_bid>& w) { return *w; })
        .group_by_key(grouped<int64_t, winning_bid>::as(prefix + "-winning"))
        .reduce([](const winning_bid& held,
                   const winning_bid& next) { return next.price > held.price ? next : held; },
                materialized<int64_t, winning_bid>::as(prefix + "-winning"));
}

} // namespace

void build_q3(stream_builder& builder, const input_topics& in, const std::string& output) {
    auto auctions =
        builder.stream<std::string, auction>({in.auctions})
            .filter([](const std::string&, const auction& a) { return a.category == q3_category; })
            .select_key([](const std::string&, const auction& a) { return a.id; })
            .map_values([](const auction& a) {
                return seller_ref{a.id, a.seller};
            })
            .to_table(materialized<int64_t, seller_ref>::as("nexmark-q3-auctions"),
                      "nexmark-q3-auctions");
    auto persons =
        builder.stream<std::string, person>({in.persons})
            .filter([](const std::string&, const person& p) { return q3_state(p.state); })
            .select_key([](const std::string&, const person& p) { return p.id; })
            .map_values([](const person& p) {
                return person_place{p.name, p.city, p.state};
            })
            .to_table(materialized<int64_t, person_place>::as("nexmark-q3-persons"),
                      "nexmark-q3-persons");
    auctions
        .join(
            persons, [](const seller_ref& a) { return a.seller; },
            [](const seller_ref& a, const person_place& p) {
                return local_item{p.name, p.city, p.state, a.auction};
            },
            "nexmark-q3-join")
        .to_stream()
        .map([](const int64_t& auction_id, const std::optional<local_item>& item) {
            return key_value<std::string, std::optional<local_item>>{std::to_string(auction_id),
                                                                     item};
        })
        .to(output);
}

void build_q4(stream_builder& builder, const input_topics& in, const std::string& output,
              std::chrono::milliseconds grace) {
    winning_bids(builder, in, grace, "nexmark-q4")
        .group_by(
            [](const int64_t&, const winning_bid& w) {
                return key_value<int64_t, int64_t>{w.category, w.price};
            },
            grouped<int64_t, int64_t>::as("nexmark-q4-by-category"))
        .aggregate([] { return price_sum{}; },
                   [](const int64_t&, const int64_t& price, const price_sum& s) {
                       return price_sum{wrapping_add(s.sum, price), s.count + 1};
                   },
                   [](const int64_t&, const int64_t& price, const price_sum& s) {
                       return price_sum{wrapping_sub(s.sum, price), s.count - 1};
                   },
                   materialized<int64_t, price_sum>::as("nexmark-q4-averages"))
        .to_stream()
        .map([](const int64_t& category, const price_sum& s) {
            return key_value<std::string, category_average>{std::to_string(category),
                                                            {category, s.sum, s.count}};
        })
        .to(output);
}

void build_q6(stream_builder& builder, const input_topics& in, const std::string& output,
              std::chrono::milliseconds grace) {
    winning_bids(builder, in, grace, "nexmark-q6")
        .group_by(
            [](const int64_t& auction_id, const winning_bid& w) {
                return key_value<int64_t, recent_price>{w.seller, {w.expires, auction_id, w.price}};
            },
            grouped<int64_t, recent_price>::as("nexmark-q6-by-seller"))
        .aggregate([] { return recent_prices{}; },
                   [](const int64_t&, const recent_price& entry, const recent_prices& last) {
                       return with_entry(last, entry);
                   },
                   [](const int64_t&, const recent_price& entry, const recent_prices& last) {
                       return without_auction(last, entry.auction);
                   },
                   materialized<int64_t, recent_prices>::as("nexmark-q6-last-ten"))
        .to_stream()
        .map([](const int64_t& seller, const recent_prices& last) {
            return key_value<std::string, seller_average>{std::to_string(seller),
                                                          average_of(seller, last)};
        })
        .to(output);
}

void build_q8(stream_builder& builder, const input_topics& in, const std::string& output,
              std::chrono::milliseconds grace) {
    auto persons = builder.stream<std::string, person>({in.persons})
                       .select_key([](const std::string&, const person& p) {
                           return person_in_window(p.id, p.date_time);
                       })
                       .map_values([](const person& p) { return p.name; });
    auto sellers = builder.stream<std::string, auction>({in.auctions})
                       .select_key([](const std::string&, const auction& a) {
                           return person_in_window(a.seller, a.date_time);
                       })
                       .map_values([](const auction& a) { return a.id; });
    persons
        .join(
            sellers, [](const std::string& name, const int64_t&) { return name; },
            join_windows::of_time_difference_and_grace(10s, grace),
            stream_joined<std::string, std::string, int64_t>{.name = "nexmark-q8-join"})
        .group_by_key(grouped<std::string, std::string>::as("nexmark-q8-users"))
        .reduce([](const std::string& first, const std::string&) { return first; },
                materialized<std::string, std::string>::as("nexmark-q8-users"))
        .to_stream()
        .map_values(
            [](const std::string& key, const std::string& name) { return user_of(key, name); })
        .to(output);
}

} // namespace brook::apps::nexmark
