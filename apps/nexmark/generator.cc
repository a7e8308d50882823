#include "apps/nexmark/generator.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <string_view>

#include <fmt/format.h>

namespace brook::apps::nexmark {

namespace {

// The specification's constants.
constexpr int64_t person_proportion = 1;
constexpr int64_t auction_proportion = 3;
constexpr int64_t proportion_denominator = 50; // bids: the other 46
constexpr int64_t first_person_id = 1000;
constexpr int64_t first_auction_id = 1000;
constexpr int64_t first_category_id = 10;
constexpr int64_t num_categories = 5;
constexpr int64_t num_in_flight_auctions = 100;
constexpr int64_t num_active_people = 1000;
constexpr int64_t person_id_lead = 10;
constexpr int64_t auction_id_lead = 10;
constexpr int64_t hot_auction_ratio = 2; // 1 bid in 2 goes to a hot auction
constexpr int64_t hot_bidder_ratio = 4;  // 3 in 4 come from a hot bidder
constexpr int64_t hot_seller_ratio = 4;
constexpr int64_t hot_batch = 100; // a hot id is the first of its batch of 100
constexpr int64_t avg_person_bytes = 200;
constexpr int64_t avg_auction_bytes = 500;
constexpr int64_t avg_bid_bytes = 100;

constexpr std::array<std::string_view, 11> first_names = {
    "Peter", "Paul", "Luke", "John", "Saul", "Vicky", "Kate", "Julie", "Sarah", "Deiter", "Walter"};
constexpr std::array<std::string_view, 9> last_names = {
    "Shultz", "Abrams", "Spencer", "White", "Bartels", "Walton", "Smith", "Jones", "Noris"};
constexpr std::array<std::string_view, 6> us_states = {"AZ", "CA", "ID", "OR", "WA", "WY"};
constexpr std::array<std::string_view, 10> us_cities = {
    "Phoenix", "Los Angeles", "San Francisco", "Boise", "Portland",
    "Bend",    "Redmond",     "Seattle",       "Kent",  "Cheyenne"};
constexpr std::array<std::string_view, 4> hot_channels = {"Google", "Facebook", "Baidu", "Apple"};

// splitmix64: a random stream seeded per event.
class random_stream {
public:
    explicit random_stream(uint64_t seed) : _state(seed) {}
    uint64_t next() {
        uint64_t z = (_state += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
    // Uniform in [0, bound), bound > 0.
    int64_t below(int64_t bound) {
        return static_cast<int64_t>(next() % static_cast<uint64_t>(bound));
    }
    double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

private:
    uint64_t _state;
};

int64_t last_base0_person_id(int64_t event_id) {
    const int64_t epoch = event_id / proportion_denominator;
    const int64_t offset = std::min(event_id % proportion_denominator, person_proportion - 1);
    return epoch * person_proportion + offset;
}

int64_t last_base0_auction_id(int64_t event_id) {
    int64_t epoch = event_id / proportion_denominator;
    int64_t offset = event_id % proportion_denominator;
    if (offset < person_proportion) {
        --epoch; // before this epoch's first auction: the last one of the epoch before
        offset = auction_proportion - 1;
    } else if (offset >= person_proportion + auction_proportion) {
        offset = auction_proportion - 1; // a bid: the epoch's last auction
    } else {
        offset -= person_proportion;
    }
    return epoch * auction_proportion + offset;
}

int64_t next_base0_person_id(int64_t event_id, random_stream& r) {
    const int64_t people = last_base0_person_id(event_id) + 1;
    const int64_t active = std::min(people, num_active_people);
    return people - active + r.below(active + person_id_lead);
}

int64_t next_base0_auction_id(int64_t event_id, random_stream& r) {
    const int64_t max_auction = std::max<int64_t>(last_base0_auction_id(event_id), 0);
    const int64_t min_auction = std::max<int64_t>(max_auction - num_in_flight_auctions, 0);
    return min_auction + r.below(max_auction - min_auction + 1 + auction_id_lead);
}

std::string random_string(random_stream& r, int64_t length) {
    std::string s(static_cast<size_t>(length), ' ');
    for (char& c : s) {
        // Lower-case letters with a space now and then, as the specification's strings.
        const int64_t n = r.below(27);
        c = n == 26 ? ' ' : static_cast<char>('a' + n);
    }
    return s;
}

// Padding that brings an event of `current` bytes to `average` bytes on average, within
// 20% either way.
std::string extra(random_stream& r, int64_t current, int64_t average) {
    if (current >= average) {
        return {};
    }
    const int64_t wanted = average - current;
    const int64_t delta = wanted / 5;
    return random_string(r, wanted - delta + r.below(2 * delta + 1));
}

int64_t price(random_stream& r) {
    return std::llround(std::pow(10.0, r.unit() * 6.0) * 100.0);
}

} // namespace

event_kind generator::kind_of(int64_t n) {
    const int64_t offset = n % proportion_denominator;
    if (offset < person_proportion) {
        return event_kind::person;
    }
    if (offset < person_proportion + auction_proportion) {
        return event_kind::auction;
    }
    return event_kind::bid;
}

int64_t generator::events_for_bids(int64_t bids) {
    constexpr int64_t bids_per_epoch =
        proportion_denominator - person_proportion - auction_proportion;
    const int64_t full = (bids - 1) / bids_per_epoch;  // whole epochs before the last bid's
    const int64_t rest = bids - full * bids_per_epoch; // its place among its epoch's bids
    return full * proportion_denominator + person_proportion + auction_proportion + rest;
}

const event& generator::next_person_or_auction() {
    while (kind_of(_next) == event_kind::bid) {
        ++_next;
    }
    return next();
}

const event& generator::next() {
    const int64_t n = _next++;
    random_stream r(_o.seed * 0x2545f4914f6cdd1dULL + static_cast<uint64_t>(n));
    event& e = _event;
    e.id = n;
    e.kind = kind_of(n);
    e.timestamp = _o.base_time_ms + n * 1000 / _o.events_per_second;
    e.key = std::to_string(n);
    e.json.clear();
    switch (e.kind) {
    case event_kind::person: {
        person& p = e.p;
        p.id = last_base0_person_id(n) + first_person_id;
        p.name = fmt::format("{} {}", first_names[r.below(first_names.size())],
                             last_names[r.below(last_names.size())]);
        p.email_address = fmt::format("{}@{}.com", random_string(r, 7), random_string(r, 5));
        p.credit_card = fmt::format("{:04d} {:04d} {:04d} {:04d}", r.below(10000), r.below(10000),
                                    r.below(10000), r.below(10000));
        p.city = us_cities[r.below(us_cities.size())];
        p.state = us_states[r.below(us_states.size())];
        p.date_time = e.timestamp;
        p.extra.clear();
        person_serde{}.serialize(p, _buffer);
        p.extra = extra(r, static_cast<int64_t>(_buffer.size()), avg_person_bytes);
        person_serde{}.serialize(p, _buffer);
        e.json = _buffer;
        break;
    }
    case event_kind::auction: {
        auction& a = e.a;
        a.id = last_base0_auction_id(n) + first_auction_id;
        a.seller = r.below(hot_seller_ratio) > 0 ? (last_base0_person_id(n) / hot_batch) * hot_batch
                                                 : next_base0_person_id(n, r);
        a.seller += first_person_id;
        a.initial_bid = price(r);
        a.expires = e.timestamp + 1000 * (1 + r.below(20)); // open 1 to 20 s
        a.item_name = random_string(r, 20);
        a.description = random_string(r, 100);
        a.reserve = a.initial_bid + price(r);
        a.date_time = e.timestamp;
        a.category = first_category_id + r.below(num_categories);
        a.extra.clear();
        auction_serde{}.serialize(a, _buffer);
        a.extra = extra(r, static_cast<int64_t>(_buffer.size()), avg_auction_bytes);
        auction_serde{}.serialize(a, _buffer);
        e.json = _buffer;
        break;
    }
    case event_kind::bid: {
        bid& b = e.b;
        b.auction = r.below(hot_auction_ratio) > 0
                        ? (last_base0_auction_id(n) / hot_batch) * hot_batch
                        : next_base0_auction_id(n, r);
        b.auction += first_auction_id;
        b.bidder = r.below(hot_bidder_ratio) > 0
                       ? (last_base0_person_id(n) / hot_batch) * hot_batch + 1
                       : next_base0_person_id(n, r);
        b.bidder += first_person_id;
        b.price = price(r);
        if (r.below(10) > 0) {
            const auto channel = hot_channels[r.below(hot_channels.size())];
            b.channel = std::string(channel);
            b.url = fmt::format("https://www.nexmark.com/{}/item.htm?query=1", channel);
        } else {
            const int64_t channel = r.below(10'000);
            b.channel = fmt::format("channel-{}", channel);
            b.url =
                fmt::format("https://www.nexmark.com/{}/{}/{}/item.htm?query=1&channel_id={}",
                            random_string(r, 5), random_string(r, 5), random_string(r, 5), channel);
        }
        b.date_time = e.timestamp;
        b.extra.clear();
        bid_serde{}.serialize(b, _buffer);
        b.extra = extra(r, static_cast<int64_t>(_buffer.size()), avg_bid_bytes);
        bid_serde{}.serialize(b, _buffer);
        e.json = _buffer;
        break;
    }
    }
    return e;
}

} // namespace brook::apps::nexmark
