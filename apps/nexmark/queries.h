#pragma once

// Nexmark queries q0, q1, q2, q5, q7 and q11 over a topic of bids (events.h), in Brook's
// DSL: what brook-bench runs against Kafka Streams, which runs the same queries written
// in its own DSL (bench/kafka-streams, Nexmark.java), with the same output formats.
//
//   q0   passthrough: each bid read and written again, under its key
//   q1   currency conversion: price * 908 / 1000 (integer, truncating)
//   q2   selection: the auction and price of bids on auctions whose id % 123 == 0
//   q5   hot items: per hopping window (10 s, every 2 s) the auction with the most bids,
//        keyed by the window's start; a count per (auction, window), then the largest
//        per window, ties to the smaller auction id (the update stream of counts only
//        grows, so its largest is the largest final count)
//   q7   highest bid: per tumbling 10 s window the bid with the highest price (ties: see
//        events.h), keyed by the window's start
//   q11  user sessions: bids per bidder and session (10 s inactivity gap), keyed
//        "<bidder>:<start>:<end>", with a tombstone for a session merged into a later one
//
// Every window has the grace `grace`. Repartition topics and stores are named
// "nexmark-q<n>-...", as on the Kafka Streams side.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace brook {
class stream_builder;
}

namespace brook::apps::nexmark {

enum class query { q0, q1, q2, q5, q7, q11 };

// "q0" ... "q11"; nullopt for any other name.
std::optional<query> parse_query(std::string_view name);
std::string_view to_string(query q);

// Whether the query's output is a table (a key's last value is its result) rather than a
// stream of results.
bool output_is_table(query q);

void build_query(stream_builder& builder, query q, const std::string& input,
                 const std::string& output, std::chrono::milliseconds grace);

} // namespace brook::apps::nexmark
