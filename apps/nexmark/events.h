#pragma once

// Nexmark's events (person, auction, bid) and the results of the queries Brook's benchmark
// runs on bids alone (apps/nexmark/queries.h), with the JSON formats both benchmark systems
// read and write; the join queries' values are in join_values.h.
// Kafka Streams' side of the benchmark (bench/kafka-streams, Nexmark.java) writes the same
// fields, so the harness can check that the two systems' outputs are equal.
//
// Every number is a JSON integer (no floating point: the two systems' outputs are compared
// exactly). Reading is strict: the value must be one flat JSON object with every field of
// the type, once, of the right JSON type; fields the type does not have are ignored, as
// Jackson's FAIL_ON_UNKNOWN_PROPERTIES=false would. Nesting deeper than 64 levels is
// refused before parsing (json_fields.h), where Jackson allows 1,000: no bid nests at all. Anything
// else throws serde_error with a reason that names the field, so a hostile record goes to the
// deserialization exception handler (and from there to a dead-letter topic, if the app asks for
// one).

#include <cstdint>
#include <limits>
#include <string>

#include "engine/serde/serde.h"

namespace brook::apps::nexmark {

// A bid: {"auction":A,"bidder":B,"price":P,"channel":"..","url":"..","dateTime":T,"extra":".."}
// dateTime is epoch milliseconds; the generator writes it as the record's timestamp too.
struct bid {
    int64_t auction = 0;
    int64_t bidder = 0;
    int64_t price = 0;
    std::string channel;
    std::string url;
    int64_t date_time = 0;
    std::string extra;

    bool operator==(const bid&) const = default;
};

// A person: {"id":I,"name":"..","emailAddress":"..","creditCard":"..","city":"..",
// "state":"..","dateTime":T,"extra":".."}
struct person {
    int64_t id = 0;
    std::string name;
    std::string email_address;
    std::string credit_card;
    std::string city;
    std::string state;
    int64_t date_time = 0;
    std::string extra;

    bool operator==(const person&) const = default;
};

// An auction: {"id":I,"itemName":"..","description":"..","initialBid":P,"reserve":P,
// "dateTime":T,"expires":T,"seller":S,"category":C,"extra":".."}; it takes bids from dateTime
// to expires, both included.
struct auction {
    int64_t id = 0;
    std::string item_name;
    std::string description;
    int64_t initial_bid = 0;
    int64_t reserve = 0;
    int64_t date_time = 0;
    int64_t expires = 0;
    int64_t seller = 0;
    int64_t category = 0;
    std::string extra;

    bool operator==(const auction&) const = default;
};

// q2's result: {"auction":A,"price":P}
struct auction_price {
    int64_t auction = 0;
    int64_t price = 0;
};

// q5's result: {"auction":A,"num":N}, the auction with the most bids in a window.
struct auction_count {
    int64_t auction = 0;
    int64_t num = 0;
};

// q7's result: {"auction":A,"bidder":B,"price":P,"dateTime":T}, a window's highest bid.
// The default one is below every bid (better() than none), so it starts each window.
struct highest_bid {
    int64_t auction = std::numeric_limits<int64_t>::max();
    int64_t bidder = std::numeric_limits<int64_t>::max();
    int64_t price = std::numeric_limits<int64_t>::min();
    int64_t date_time = std::numeric_limits<int64_t>::max();
};

// q1's conversion, price * 908 / 1000 truncated toward zero, computed so that it cannot
// overflow for any int64 price (a hostile one included). Kafka Streams' side computes the
// same expression.
constexpr int64_t euros(int64_t dollars) {
    return dollars / 1000 * 908 + dollars % 1000 * 908 / 1000;
}

// The orders that pick one result out of many, the same in both systems, so that ties
// have one answer: more bids, then the smaller auction id (q5); a higher price, then the
// smaller auction, bidder and dateTime (q7).
bool better(const auction_count& a, const auction_count& b);
bool better(const highest_bid& a, const highest_bid& b);

struct bid_serde {
    nullable_bytes serialize(const bid& b, std::string& buffer) const;
    bid deserialize(nullable_bytes in) const;
};
struct person_serde {
    nullable_bytes serialize(const person& p, std::string& buffer) const;
    person deserialize(nullable_bytes in) const;
};
struct auction_serde {
    nullable_bytes serialize(const auction& a, std::string& buffer) const;
    auction deserialize(nullable_bytes in) const;
};
struct auction_price_serde {
    nullable_bytes serialize(const auction_price& a, std::string& buffer) const;
    auction_price deserialize(nullable_bytes in) const;
};
struct auction_count_serde {
    nullable_bytes serialize(const auction_count& a, std::string& buffer) const;
    auction_count deserialize(nullable_bytes in) const;
};
struct highest_bid_serde {
    nullable_bytes serialize(const highest_bid& h, std::string& buffer) const;
    highest_bid deserialize(nullable_bytes in) const;
};

// The queries' intermediate values in repartition topics and stores: big-endian int64s,
// 16 bytes for an auction count and 32 for a highest bid, as the Kafka Streams side keeps
// them. Any other length throws serde_error.
struct auction_count_store_serde {
    nullable_bytes serialize(const auction_count& a, std::string& buffer) const;
    auction_count deserialize(nullable_bytes in) const;
};
struct highest_bid_store_serde {
    nullable_bytes serialize(const highest_bid& h, std::string& buffer) const;
    highest_bid deserialize(nullable_bytes in) const;
};

} // namespace brook::apps::nexmark

namespace brook {
template <>
struct default_serde<apps::nexmark::bid> : apps::nexmark::bid_serde {};
template <>
struct default_serde<apps::nexmark::person> : apps::nexmark::person_serde {};
template <>
struct default_serde<apps::nexmark::auction> : apps::nexmark::auction_serde {};
template <>
struct default_serde<apps::nexmark::auction_price> : apps::nexmark::auction_price_serde {};
template <>
struct default_serde<apps::nexmark::auction_count> : apps::nexmark::auction_count_serde {};
template <>
struct default_serde<apps::nexmark::highest_bid> : apps::nexmark::highest_bid_serde {};
} // namespace brook
