#pragma once

// What a Nexmark query (queries.h) must output for a given input, computed directly from
// the bids, and a digest of what a system did output, so that the benchmark and the tests
// can check any system's results against the input, and against each other.
//
// A result is compared after it is read back as JSON (so field order and spacing do not
// matter, numbers and strings do). A query with a stream output is compared as a multiset
// of (key, value); one with a table output as its last value per key, a null removing the
// key.
//
// Threading: none; each object is used by one thread.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "apps/nexmark/events.h"
#include "apps/nexmark/join_values.h"
#include "apps/nexmark/queries.h"
#include "engine/nullable_bytes.h"

namespace brook::apps::nexmark {

// The results of one query's output topic, in a form two outputs can be compared in.
class output_digest {
public:
    explicit output_digest(bool table) : _table(table) {}

    // One output record. Throws std::invalid_argument for a value that is not JSON.
    void add(std::string_view key, nullable_bytes value);

    // Records (a stream) or keys (a table) in the result.
    int64_t size() const;
    bool operator==(const output_digest& other) const;
    // What differs from `other`, for a failure message: sizes and, for tables, the first
    // few keys whose values differ.
    std::string difference(const output_digest& other) const;

private:
    bool _table;
    // A stream: how many records, and two order-independent sums of their hashes.
    int64_t _records = 0;
    uint64_t _sum = 0;
    uint64_t _mixed_sum = 0;
    // A table: each key's last value, in canonical JSON.
    std::map<std::string, std::string> _rows;
};

// The expected output of `q` over events fed in their event order (the order the generator
// made them; they may reach a system in another order, which must not change its results),
// each with its dateTime as its timestamp. The join queries assume every event's partner
// comes within the join's grace, and each person and auction id once.
class expected_results {
public:
    explicit expected_results(query q) : _q(q) {}

    void add(const std::string& key, const bid& b);
    void add(const person& p);
    void add(const auction& a);
    output_digest digest() const;

private:
    query _q;
    output_digest _stream{false};
    // q5: the counts of windows still open, by (window start, auction); a window is folded
    // into _q5_top (its most bid-on auction) once a bid at or past its end comes, so the
    // counts kept are those of the last few windows only.
    std::map<std::pair<int64_t, int64_t>, int64_t> _q5_counts;
    std::map<int64_t, auction_count> _q5_top;
    void fold_q5_windows_before(int64_t end);
    std::map<int64_t, highest_bid> _q7_highest; // window start
    struct session {
        int64_t start = 0;
        int64_t end = 0;
        int64_t count = 0;
    };
    std::map<int64_t, session> _q11_open;                               // bidder
    std::map<std::tuple<int64_t, int64_t, int64_t>, int64_t> _q11_done; // bidder, start, end

    // q3: the persons and auctions the query keeps, joined at the end.
    std::map<int64_t, person_place> _q3_persons; // by id
    std::map<int64_t, int64_t> _q3_sellers;      // auction -> seller
    // q8: each person's name and window, and the (seller, window) pairs of auctions.
    std::map<int64_t, std::pair<std::string, int64_t>> _q8_persons;
    std::set<std::pair<int64_t, int64_t>> _q8_sellers;
    // q4 and q6: every auction, the bids on auctions not seen yet (a bid may name an auction
    // a few ids ahead, made in the same millisecond), and each auction's highest bid within
    // its time.
    std::map<int64_t, auction_terms> _auctions;
    std::map<int64_t, std::vector<bid_price>> _early_bids;
    std::map<int64_t, int64_t> _winning;
    void bid_on(int64_t auction_id, const auction_terms& a, const bid_price& b);
    output_digest join_digest() const;
};

} // namespace brook::apps::nexmark
