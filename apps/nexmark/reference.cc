#include "apps/nexmark/reference.h"

#include <algorithm>
#include <stdexcept>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace brook::apps::nexmark {

namespace {

// The windows of queries.h.
constexpr int64_t q5_size_ms = 10'000;
constexpr int64_t q5_advance_ms = 2'000;
constexpr int64_t q7_size_ms = 10'000;
constexpr int64_t q11_gap_ms = 10'000;
constexpr int64_t q3_category = 10;
constexpr int64_t q46_join_after_ms = 20'000; // bids join from their auction's time to 20 s later
constexpr size_t q6_last = 10;

std::string canonical(std::string_view json_text) {
    try {
        // nlohmann keeps object members sorted by name, so dump() is one text per value.
        return nlohmann::json::parse(json_text).dump();
    } catch (const nlohmann::json::exception& e) {
        throw std::invalid_argument(fmt::format("an output value is not JSON ({})", e.what()));
    }
}

uint64_t hash(std::string_view a, std::string_view b, uint64_t seed) {
    uint64_t h = 1469598103934665603ULL ^ seed; // FNV-1a over a, a separator, b
    const auto step = [&](char c) {
        h ^= static_cast<unsigned char>(c);
        h *= 1099511628211ULL;
    };
    for (const char c : a) {
        step(c);
    }
    step('\x1f');
    for (const char c : b) {
        step(c);
    }
    h ^= h >> 33; // and a finalizer, so that sums of hashes mix every bit
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h;
}

template <class T>
std::string text_of(const T& value) {
    std::string buffer;
    default_serde<T>{}.serialize(value, buffer);
    return buffer;
}

} // namespace

void output_digest::add(std::string_view key, nullable_bytes value) {
    if (_table) {
        if (value) {
            _rows[std::string(key)] = canonical(*value);
        } else {
            _rows.erase(std::string(key));
        }
        return;
    }
    const std::string v = value ? canonical(*value) : std::string("<null>");
    ++_records;
    _sum += hash(key, v, 0);
    _mixed_sum += hash(key, v, 0x5bd1e995) * 0x9e3779b97f4a7c15ULL;
}

int64_t output_digest::size() const {
    return _table ? static_cast<int64_t>(_rows.size()) : _records;
}

bool output_digest::operator==(const output_digest& other) const {
    return _table == other._table && _records == other._records && _sum == other._sum &&
           _mixed_sum == other._mixed_sum && _rows == other._rows;
}

std::string output_digest::difference(const output_digest& other) const {
    if (*this == other) {
        return "none";
    }
    std::string out =
        fmt::format("{} {} against {}", _table ? "keys" : "records", size(), other.size());
    if (!_table) {
        return out + (size() == other.size() ? ", with different contents" : "");
    }
    int shown = 0;
    for (const auto& [key, value] : _rows) {
        auto it = other._rows.find(key);
        if (it == other._rows.end() || it->second != value) {
            out += fmt::format("; key {}: {} against {}", key, value,
                               it == other._rows.end() ? "nothing" : it->second);
            if (++shown == 3) {
                return out;
            }
        }
    }
    for (const auto& [key, value] : other._rows) {
        if (!_rows.contains(key)) {
            out += fmt::format("; key {}: nothing against {}", key, value);
            if (++shown == 3) {
                return out;
            }
        }
    }
    return out;
}

void expected_results::add(const person& p) {
    if (_q == query::q3 && (p.state == "OR" || p.state == "ID" || p.state == "CA")) {
        _q3_persons[p.id] = person_place{p.name, p.city, p.state};
    } else if (_q == query::q8) {
        _q8_persons[p.id] = {p.name, q8_window_start(p.date_time)};
    }
}

void expected_results::add(const auction& a) {
    if (_q == query::q3 && a.category == q3_category) {
        _q3_sellers[a.id] = a.seller;
    } else if (_q == query::q8) {
        _q8_sellers.emplace(a.seller, q8_window_start(a.date_time));
    } else if (_q == query::q4 || _q == query::q6) {
        const auction_terms terms{a.date_time, a.expires, a.seller, a.category};
        _auctions[a.id] = terms;
        if (auto early = _early_bids.find(a.id); early != _early_bids.end()) {
            for (const bid_price& b : early->second) {
                bid_on(a.id, terms, b);
            }
            _early_bids.erase(early);
        }
    }
}

// A bid joins its auction within the join window (timestamps from the auction's to 20 s
// later) and counts within the auction's time, both ends included.
void expected_results::bid_on(int64_t auction_id, const auction_terms& a, const bid_price& b) {
    if (b.date_time < a.date_time || b.date_time > a.expires ||
        static_cast<uint64_t>(b.date_time) - static_cast<uint64_t>(a.date_time) >
            static_cast<uint64_t>(q46_join_after_ms)) {
        return;
    }
    auto [it, added] = _winning.try_emplace(auction_id, b.price);
    if (!added) {
        it->second = std::max(it->second, b.price);
    }
}

void expected_results::add(const std::string& key, const bid& b) {
    const int64_t ts = b.date_time;
    switch (_q) {
    case query::q3:
    case query::q8:
        return; // no bids
    case query::q4:
    case query::q6: {
        const bid_price price{b.price, b.date_time};
        if (auto it = _auctions.find(b.auction); it != _auctions.end()) {
            bid_on(b.auction, it->second, price);
        } else {
            _early_bids[b.auction].push_back(price);
        }
        return;
    }
    case query::q0:
        _stream.add(key, text_of(b));
        return;
    case query::q1: {
        bid converted = b;
        converted.price = euros(b.price);
        _stream.add(key, text_of(converted));
        return;
    }
    case query::q2:
        if (b.auction % 123 == 0) {
            _stream.add(key, text_of(auction_price{b.auction, b.price}));
        }
        return;
    case query::q5:
        // Every hopping window that holds ts: starts at multiples of the advance, from the
        // latest one at or before ts back to the first one that still ends after it.
        fold_q5_windows_before(ts);
        for (int64_t start = ts - ts % q5_advance_ms; start > ts - q5_size_ms && start >= 0;
             start -= q5_advance_ms) {
            ++_q5_counts[{start, b.auction}];
        }
        return;
    case query::q7: {
        const highest_bid candidate{b.auction, b.bidder, b.price, ts};
        auto [it, added] = _q7_highest.try_emplace(ts - ts % q7_size_ms, candidate);
        if (!added && better(candidate, it->second)) {
            it->second = candidate;
        }
        return;
    }
    case query::q11: {
        auto [it, added] = _q11_open.try_emplace(b.bidder, session{ts, ts, 1});
        if (added) {
            return;
        }
        session& s = it->second;
        if (ts - s.end > q11_gap_ms) { // bids come in time order: the session has ended
            _q11_done[{b.bidder, s.start, s.end}] = s.count;
            s = session{ts, ts, 1};
        } else {
            s.end = std::max(s.end, ts);
            ++s.count;
        }
        return;
    }
    }
}

// Folds every window that ends at or before `end` into _q5_top: no later bid (bids come in
// event-time order) falls into it.
void expected_results::fold_q5_windows_before(int64_t end) {
    while (!_q5_counts.empty() && _q5_counts.begin()->first.first + q5_size_ms <= end) {
        const auto [window_auction, n] = *_q5_counts.begin();
        const auction_count candidate{window_auction.second, n};
        auto [it, added] = _q5_top.try_emplace(window_auction.first, candidate);
        if (!added && better(candidate, it->second)) {
            it->second = candidate;
        }
        _q5_counts.erase(_q5_counts.begin());
    }
}

output_digest expected_results::join_digest() const {
    output_digest out(true);
    switch (_q) {
    case query::q3:
        for (const auto& [auction_id, seller] : _q3_sellers) {
            if (auto p = _q3_persons.find(seller); p != _q3_persons.end()) {
                out.add(std::to_string(auction_id),
                        text_of(local_item{p->second.name, p->second.city, p->second.state,
                                           auction_id}));
            }
        }
        break;
    case query::q8:
        for (const auto& [id, name_window] : _q8_persons) {
            if (_q8_sellers.contains({id, name_window.second})) {
                out.add(fmt::format("{}:{}", id, name_window.second),
                        text_of(new_user{id, name_window.first, name_window.second}));
            }
        }
        break;
    case query::q4: {
        std::map<int64_t, price_sum> categories;
        for (const auto& [auction_id, price] : _winning) {
            price_sum& s = categories[_auctions.at(auction_id).category];
            s.sum = wrapping_add(s.sum, price);
            ++s.count;
        }
        for (const auto& [category, s] : categories) {
            out.add(std::to_string(category), text_of(category_average{category, s.sum, s.count}));
        }
        break;
    }
    case query::q6: {
        std::map<int64_t, std::vector<recent_price>> sellers;
        for (const auto& [auction_id, price] : _winning) {
            const auction_terms& a = _auctions.at(auction_id);
            sellers[a.seller].push_back({a.expires, auction_id, price});
        }
        for (auto& [seller, entries] : sellers) {
            std::sort(entries.begin(), entries.end(), [](const auto& x, const auto& y) {
                return std::tie(x.expires, x.auction) > std::tie(y.expires, y.auction);
            });
            entries.resize(std::min(entries.size(), q6_last));
            out.add(std::to_string(seller), text_of(average_of(seller, recent_prices{entries})));
        }
        break;
    }
    default:
        break;
    }
    return out;
}

output_digest expected_results::digest() const {
    if (!output_is_table(_q)) {
        return _stream;
    }
    if (_q == query::q3 || _q == query::q4 || _q == query::q6 || _q == query::q8) {
        return join_digest();
    }
    output_digest out(true);
    if (_q == query::q5) {
        std::map<int64_t, auction_count> top = _q5_top;
        for (const auto& [window_auction, n] : _q5_counts) { // the windows still open
            const auction_count candidate{window_auction.second, n};
            auto [it, added] = top.try_emplace(window_auction.first, candidate);
            if (!added && better(candidate, it->second)) {
                it->second = candidate;
            }
        }
        for (const auto& [start, c] : top) {
            out.add(std::to_string(start), text_of(c));
        }
    } else if (_q == query::q7) {
        for (const auto& [start, h] : _q7_highest) {
            out.add(std::to_string(start), text_of(h));
        }
    } else {
        auto sessions = _q11_done;
        for (const auto& [bidder, s] : _q11_open) {
            sessions[{bidder, s.start, s.end}] = s.count;
        }
        for (const auto& [k, n] : sessions) {
            const auto& [bidder, start, end] = k;
            out.add(fmt::format("{}:{}:{}", bidder, start, end), std::to_string(n));
        }
    }
    return out;
}

} // namespace brook::apps::nexmark
