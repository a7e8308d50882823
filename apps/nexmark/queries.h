#pragma once

// Nexmark queries over topics of persons, auctions and bids (events.h), in Brook's DSL:
// what brook-bench runs against Kafka Streams, which runs the same queries written in its
// own DSL (bench/kafka-streams, Nexmark.java and NexmarkJoins.java), with the same output
// formats (join_values.h for the joins'). Over bids alone:
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
// With joins (every output a table, keyed by a decimal id unless said otherwise):
//
//   q3   local item suggestion: the sellers in OR, ID or CA of auctions in category 10,
//        keyed by auction: auctions and persons each re-keyed into a table, then a
//        foreign-key join on the seller
//   q4   average price per category: each auction joined with the bids on it within its
//        time (a stream-stream join from its start to 20 s later, auctions being open 1 to
//        20 s), the highest per auction, then per category the sum, count and average of
//        those, kept by a table aggregation that subtracts an auction's old highest bid
//   q6   average selling price per seller: as q4, then per seller the average of the highest
//        bids of its 10 latest auctions (by expiry, then id). Unlike Nexmark's, it does not
//        wait for auctions to close: its last values are over all the input
//   q8   new users: persons who opened an auction in the 10 s tumbling window they joined
//        in, keyed "<person>:<window start>": both sides re-keyed so, joined within 10 s
//
// Every window and join window has the grace `grace`. Repartition topics and stores are named
// "nexmark-q<n>-...", as on the Kafka Streams side.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace brook {
class stream_builder;
}

namespace brook::apps::nexmark {

enum class query { q0, q1, q2, q3, q4, q5, q6, q7, q8, q11 };

// The topics of the three kinds of event. A query reads the ones reads() says.
struct input_topics {
    std::string persons;
    std::string auctions;
    std::string bids;
};

// "PERSONS,AUCTIONS,BIDS", three non-empty topic names: how the benchmark apps take them.
// nullopt for anything else.
std::optional<input_topics> parse_input_topics(std::string_view text);

struct inputs_read {
    bool persons = false;
    bool auctions = false;
    bool bids = false;
};
inputs_read reads(query q);

// "q0" ... "q11"; nullopt for any other name.
std::optional<query> parse_query(std::string_view name);
std::string_view to_string(query q);

// Whether the query's output is a table (a key's last value is its result) rather than a
// stream of results.
bool output_is_table(query q);

void build_query(stream_builder& builder, query q, const input_topics& input,
                 const std::string& output, std::chrono::milliseconds grace);

} // namespace brook::apps::nexmark
