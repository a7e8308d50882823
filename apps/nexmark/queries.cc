#include "apps/nexmark/queries.h"

#include <array>
#include <utility>

#include <fmt/format.h>

#include "apps/nexmark/events.h"
#include "operators/stream_builder.h"

namespace brook::apps::nexmark {

namespace {

using namespace std::chrono_literals;

constexpr std::array<std::pair<query, std::string_view>, 6> names = {{{query::q0, "q0"},
                                                                      {query::q1, "q1"},
                                                                      {query::q2, "q2"},
                                                                      {query::q5, "q5"},
                                                                      {query::q7, "q7"},
                                                                      {query::q11, "q11"}}};

} // namespace

std::optional<query> parse_query(std::string_view name) {
    for (const auto& [q, n] : names) {
        if (n == name) {
            return q;
        }
    }
    return std::nullopt;
}

std::string_view to_string(query q) {
    for (const auto& [candidate, n] : names) {
        if (candidate == q) {
            return n;
        }
    }
    return "?";
}

bool output_is_table(query q) {
    return q == query::q5 || q == query::q7 || q == query::q11;
}

void build_query(stream_builder& builder, query q, const std::string& input,
                 const std::string& output, std::chrono::milliseconds grace) {
    auto bids = builder.stream<std::string, bid>({input});
    switch (q) {
    case query::q0:
        bids.to(output);
        return;
    case query::q1:
        bids.map_values([](const bid& b) {
                bid converted = b;
                converted.price = euros(b.price);
                return converted;
            })
            .to(output);
        return;
    case query::q2:
        bids.filter([](const std::string&, const bid& b) { return b.auction % 123 == 0; })
            .map_values([](const bid& b) {
                return auction_price{b.auction, b.price};
            })
            .to(output);
        return;
    case query::q5:
        bids.group_by([](const std::string&, const bid& b) { return b.auction; },
                      grouped<int64_t, bid>::as("nexmark-q5-by-auction"))
            .windowed_by(time_windows::of_size_and_grace(10s, grace).advance_by(2s))
            .count(materialized<int64_t, int64_t>::as("nexmark-q5-counts"))
            .to_stream()
            .map([](const windowed<int64_t>& w, const int64_t& n) {
                return key_value<std::string, auction_count>{std::to_string(w.start), {w.key, n}};
            })
            .group_by_key(
                grouped<std::string, auction_count, string_serde, auction_count_store_serde>::as(
                    "nexmark-q5-by-window"))
            .aggregate(
                [] {
                    return auction_count{0, 0};
                },
                [](const std::string&, const auction_count& c, const auction_count& top) {
                    return better(c, top) ? c : top;
                },
                materialized<std::string, auction_count, string_serde,
                             auction_count_store_serde>::as("nexmark-q5-top"))
            .to_stream()
            .to(output);
        return;
    case query::q7:
        bids.group_by([](const std::string&, const bid&) { return std::string("all"); },
                      grouped<std::string, bid>::as("nexmark-q7-all"))
            .windowed_by(time_windows::of_size_and_grace(10s, grace))
            .aggregate(
                [] { return highest_bid{}; },
                [](const std::string&, const bid& b, const highest_bid& top) {
                    const highest_bid candidate{b.auction, b.bidder, b.price, b.date_time};
                    return better(candidate, top) ? candidate : top;
                },
                materialized<std::string, highest_bid, string_serde, highest_bid_store_serde>::as(
                    "nexmark-q7-highest"))
            .to_stream()
            .map([](const windowed<std::string>& w, const highest_bid& h) {
                return key_value<std::string, highest_bid>{std::to_string(w.start), h};
            })
            .to(output);
        return;
    case query::q11:
        bids.group_by([](const std::string&, const bid& b) { return std::to_string(b.bidder); },
                      grouped<std::string, bid>::as("nexmark-q11-by-bidder"))
            .windowed_by(session_windows::of_inactivity_gap_and_grace(10s, grace))
            .count(materialized<std::string, int64_t>::as("nexmark-q11-sessions"))
            .to_stream()
            .map([](const windowed<std::string>& w, const std::optional<int64_t>& n) {
                std::optional<std::string> count;
                if (n) {
                    count = std::to_string(*n);
                }
                return key_value<std::string, std::optional<std::string>>{
                    fmt::format("{}:{}:{}", w.key, w.start, w.end), std::move(count)};
            })
            .to(output);
        return;
    }
}

} // namespace brook::apps::nexmark
