#include "apps/nexmark/queries.h"

#include <array>
#include <utility>

#include <fmt/format.h>

#include "apps/nexmark/events.h"
#include "apps/nexmark/join_queries.h"
#include "operators/stream_builder.h"

namespace brook::apps::nexmark {

namespace {

using namespace std::chrono_literals;

constexpr std::array<std::pair<query, std::string_view>, 10> names = {{{query::q0, "q0"},
                                                                       {query::q1, "q1"},
                                                                       {query::q2, "q2"},
                                                                       {query::q3, "q3"},
                                                                       {query::q4, "q4"},
                                                                       {query::q5, "q5"},
                                                                       {query::q6, "q6"},
                                                                       {query::q7, "q7"},
                                                                       {query::q8, "q8"},
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
    switch (q) {
    case query::q0:
    case query::q1:
    case query::q2:
        return false;
    case query::q3:
    case query::q4:
    case query::q5:
    case query::q6:
    case query::q7:
    case query::q8:
    case query::q11:
        return true;
    }
    return false;
}

std::optional<input_topics> parse_input_topics(std::string_view text) {
    std::array<std::string, 3> parts;
    size_t at = 0;
    for (size_t i = 0; i < parts.size(); ++i) {
        const size_t comma = text.find(',', at);
        const bool last = i + 1 == parts.size();
        if ((comma == std::string_view::npos) != last) {
            return std::nullopt; // too few or too many
        }
        parts[i] = std::string(text.substr(at, last ? std::string_view::npos : comma - at));
        if (parts[i].empty()) {
            return std::nullopt;
        }
        at = comma + 1;
    }
    return input_topics{std::move(parts[0]), std::move(parts[1]), std::move(parts[2])};
}

inputs_read reads(query q) {
    switch (q) {
    case query::q3:
    case query::q8:
        return {.persons = true, .auctions = true};
    case query::q4:
    case query::q6:
        return {.auctions = true, .bids = true};
    default:
        return {.bids = true};
    }
}

void build_query(stream_builder& builder, query q, const input_topics& input,
                 const std::string& output, std::chrono::milliseconds grace) {
    const auto bids = [&] { return builder.stream<std::string, bid>({input.bids}); };
    switch (q) {
    case query::q0:
        bids().to(output);
        return;
    case query::q1:
        bids()
            .map_values([](const bid& b) {
                bid converted = b;
                converted.price = euros(b.price);
                return converted;
            })
            .to(output);
        return;
    case query::q2:
        bids()
            .filter([](const std::string&, const bid& b) { return b.auction % 123 == 0; })
            .map_values([](const bid& b) {
                return auction_price{b.auction, b.price};
            })
            .to(output);
        return;
    case query::q5:
        bids()
            .group_by([](const std::string&, const bid& b) { return b.auction; },
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
        bids()
            .group_by([](const std::string&, const bid&) { return std::string("all"); },
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
        bids()
            .group_by([](const std::string&, const bid& b) { return std::to_string(b.bidder); },
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
    case query::q3:
        build_q3(builder, input, output);
        return;
    case query::q4:
        build_q4(builder, input, output, grace);
        return;
    case query::q6:
        build_q6(builder, input, output, grace);
        return;
    case query::q8:
        build_q8(builder, input, output, grace);
        return;
    }
}

} // namespace brook::apps::nexmark
