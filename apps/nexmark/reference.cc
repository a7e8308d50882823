#include "apps/nexmark/reference.h"

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

void expected_results::add(const std::string& key, const bid& b) {
    const int64_t ts = b.date_time;
    switch (_q) {
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

output_digest expected_results::digest() const {
    if (!output_is_table(_q)) {
        return _stream;
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
