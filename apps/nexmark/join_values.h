#pragma once

// The values of the Nexmark queries that join (q3, q4, q6 and q8, queries.h): their
// results, as JSON both benchmark systems write alike, and the compact values they keep in
// stores and repartition topics, as runs of big-endian int64s (Kafka Streams' side,
// NexmarkJoins.java, keeps the same). Reading is as strict as for events (events.h): a
// result must be a flat object with every field, a stored value exactly its length; anything
// else throws serde_error naming what is wrong.

#include <cstdint>
#include <string>
#include <vector>

#include "engine/serde/serde.h"

namespace brook::apps::nexmark {

// --- Results ----------------------------------------------------------------------------

// q3's result: {"name":"..","city":"..","state":"..","id":A}, a seller in one of the
// query's states with auction A in its category, keyed by A.
struct local_item {
    std::string name;
    std::string city;
    std::string state;
    int64_t id = 0;
};

// q4's result: {"category":C,"avg":A,"count":N,"sum":S}: the winning prices of N auctions of
// category C sum to S, and A = S / N (truncated; 0 for none). S wraps around as a Java long
// does, so that hostile prices give both systems the same answer.
struct category_average {
    int64_t category = 0;
    int64_t sum = 0;
    int64_t count = 0;
};

// q6's result: {"seller":S,"avg":A,"count":N}: the average winning price (truncated, over a
// wrapping sum, 0 for none) of the seller's last N <= 10 auctions.
struct seller_average {
    int64_t seller = 0;
    int64_t avg = 0;
    int64_t count = 0;
};

// q8's result: {"id":P,"name":"..","starttime":T}: person P joined in the 10 s window
// starting at T and opened an auction in it.
struct new_user {
    int64_t id = 0;
    std::string name;
    int64_t starttime = 0;
};

// --- Values in stores and repartition topics ---------------------------------------------

// q3: an auction of the category, with the seller it is joined to (16 bytes).
struct seller_ref {
    int64_t auction = 0;
    int64_t seller = 0;
};

// q3: a person of the states, as the result needs it: {"name","city","state"} (JSON).
struct person_place {
    std::string name;
    std::string city;
    std::string state;
};

// q4 and q6: an auction, as the join with its bids needs it (32 bytes).
struct auction_terms {
    int64_t date_time = 0;
    int64_t expires = 0;
    int64_t seller = 0;
    int64_t category = 0;
};

// q4 and q6: a bid, as the join needs it (16 bytes).
struct bid_price {
    int64_t price = 0;
    int64_t date_time = 0;
};

// q4 and q6: an auction's highest bid so far within its time (32 bytes).
struct winning_bid {
    int64_t seller = 0;
    int64_t category = 0;
    int64_t expires = 0;
    int64_t price = 0;
};

// q4: the sum and count of a category's winning prices (16 bytes).
struct price_sum {
    int64_t sum = 0;
    int64_t count = 0;
};

// q6: one auction among a seller's last ten (24 bytes), and the ten: a count, then the
// entries (8 + 24 * count bytes, count <= 10).
struct recent_price {
    int64_t expires = 0;
    int64_t auction = 0;
    int64_t price = 0;
    bool operator==(const recent_price&) const = default;
};
struct recent_prices {
    std::vector<recent_price> entries; // latest (expires, auction) first
};

// The arithmetic both systems do alike.
// a + b and a - b wrapping around as Java's long arithmetic does (no undefined overflow).
constexpr int64_t wrapping_add(int64_t a, int64_t b) {
    return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}
constexpr int64_t wrapping_sub(int64_t a, int64_t b) {
    return static_cast<int64_t>(static_cast<uint64_t>(a) - static_cast<uint64_t>(b));
}
// sum / count truncated toward zero, 0 for count 0; count is never negative here, and
// INT64_MIN / -1 cannot come up.
constexpr int64_t average(int64_t sum, int64_t count) {
    return count <= 0 ? 0 : sum / count;
}

// q6's adder and subtractor: `entry` put into (replacing the same auction's) or taken out
// of the last ten, which keep the ten latest by (expires, auction).
recent_prices with_entry(recent_prices prices, const recent_price& entry);
recent_prices without_auction(recent_prices prices, int64_t auction);
seller_average average_of(int64_t seller, const recent_prices& prices);

// The start of the 10 s tumbling window holding t (q8): t - floorMod(t, 10 s), wrapping
// below INT64_MIN as Java's long does (a hostile dateTime may be anything).
constexpr int64_t q8_window_start(int64_t t) {
    constexpr int64_t size = 10'000;
    const int64_t r = t % size;
    return wrapping_sub(t, r < 0 ? r + size : r);
}

// --- Serdes -----------------------------------------------------------------------------

struct local_item_serde {
    nullable_bytes serialize(const local_item& v, std::string& buffer) const;
    local_item deserialize(nullable_bytes in) const;
};
struct category_average_serde {
    nullable_bytes serialize(const category_average& v, std::string& buffer) const;
    category_average deserialize(nullable_bytes in) const;
};
struct seller_average_serde {
    nullable_bytes serialize(const seller_average& v, std::string& buffer) const;
    seller_average deserialize(nullable_bytes in) const;
};
struct new_user_serde {
    nullable_bytes serialize(const new_user& v, std::string& buffer) const;
    new_user deserialize(nullable_bytes in) const;
};
struct seller_ref_serde {
    nullable_bytes serialize(const seller_ref& v, std::string& buffer) const;
    seller_ref deserialize(nullable_bytes in) const;
};
struct person_place_serde {
    nullable_bytes serialize(const person_place& v, std::string& buffer) const;
    person_place deserialize(nullable_bytes in) const;
};
struct auction_terms_serde {
    nullable_bytes serialize(const auction_terms& v, std::string& buffer) const;
    auction_terms deserialize(nullable_bytes in) const;
};
struct bid_price_serde {
    nullable_bytes serialize(const bid_price& v, std::string& buffer) const;
    bid_price deserialize(nullable_bytes in) const;
};
struct winning_bid_serde {
    nullable_bytes serialize(const winning_bid& v, std::string& buffer) const;
    winning_bid deserialize(nullable_bytes in) const;
};
struct price_sum_serde {
    nullable_bytes serialize(const price_sum& v, std::string& buffer) const;
    price_sum deserialize(nullable_bytes in) const;
};
struct recent_price_serde {
    nullable_bytes serialize(const recent_price& v, std::string& buffer) const;
    recent_price deserialize(nullable_bytes in) const;
};
struct recent_prices_serde {
    nullable_bytes serialize(const recent_prices& v, std::string& buffer) const;
    recent_prices deserialize(nullable_bytes in) const;
};

} // namespace brook::apps::nexmark

namespace brook {
#define BROOK_NEXMARK_DEFAULT_SERDE(type)                                                          \
    template <>                                                                                    \
    struct default_serde<apps::nexmark::type> : apps::nexmark::type##_serde {}
BROOK_NEXMARK_DEFAULT_SERDE(local_item);
BROOK_NEXMARK_DEFAULT_SERDE(category_average);
BROOK_NEXMARK_DEFAULT_SERDE(seller_average);
BROOK_NEXMARK_DEFAULT_SERDE(new_user);
BROOK_NEXMARK_DEFAULT_SERDE(seller_ref);
BROOK_NEXMARK_DEFAULT_SERDE(person_place);
BROOK_NEXMARK_DEFAULT_SERDE(auction_terms);
BROOK_NEXMARK_DEFAULT_SERDE(bid_price);
BROOK_NEXMARK_DEFAULT_SERDE(winning_bid);
BROOK_NEXMARK_DEFAULT_SERDE(price_sum);
BROOK_NEXMARK_DEFAULT_SERDE(recent_price);
BROOK_NEXMARK_DEFAULT_SERDE(recent_prices);
#undef BROOK_NEXMARK_DEFAULT_SERDE
} // namespace brook
