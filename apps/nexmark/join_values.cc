#include "apps/nexmark/join_values.h"

#include <algorithm>
#include <array>
#include <string_view>

#include <fmt/format.h>

#include "apps/nexmark/wire.h"

namespace brook::apps::nexmark {

using wire::append_int64;
using wire::append_json_string;
using wire::get_int64s;
using wire::put_int64s;
using wire::read_object;

namespace {

constexpr size_t last_ten = 10;

// The order of q6's entries: the latest (expires, auction) first.
bool later(const recent_price& a, const recent_price& b) {
    return a.expires != b.expires ? a.expires > b.expires : a.auction > b.auction;
}

} // namespace

recent_prices with_entry(recent_prices prices, const recent_price& entry) {
    std::erase_if(prices.entries,
                  [&](const recent_price& e) { return e.auction == entry.auction; });
    prices.entries.insert(
        std::upper_bound(prices.entries.begin(), prices.entries.end(), entry, later), entry);
    if (prices.entries.size() > last_ten) {
        prices.entries.resize(last_ten);
    }
    return prices;
}

recent_prices without_auction(recent_prices prices, int64_t auction) {
    std::erase_if(prices.entries, [&](const recent_price& e) { return e.auction == auction; });
    return prices;
}

seller_average average_of(int64_t seller, const recent_prices& prices) {
    int64_t sum = 0;
    for (const recent_price& e : prices.entries) {
        sum = wrapping_add(sum, e.price);
    }
    const auto count = static_cast<int64_t>(prices.entries.size());
    return {seller, average(sum, count), count};
}

// --- Results ----------------------------------------------------------------------------

nullable_bytes local_item_serde::serialize(const local_item& v, std::string& buffer) const {
    buffer.assign(R"({"name":)");
    append_json_string(buffer, v.name);
    buffer += R"(,"city":)";
    append_json_string(buffer, v.city);
    buffer += R"(,"state":)";
    append_json_string(buffer, v.state);
    fmt::format_to(std::back_inserter(buffer), R"(,"id":{}}})", v.id);
    return std::string_view(buffer);
}

local_item local_item_serde::deserialize(nullable_bytes in) const {
    static constexpr std::array<std::string_view, 4> names = {"name", "city", "state", "id"};
    auto f = read_object(in, "q3 result", names, {false, false, false, true});
    return {std::move(f[0].text), std::move(f[1].text), std::move(f[2].text), f[3].integer};
}

nullable_bytes category_average_serde::serialize(const category_average& v,
                                                 std::string& buffer) const {
    buffer.clear();
    fmt::format_to(std::back_inserter(buffer), R"({{"category":{},"avg":{},"count":{},"sum":{}}})",
                   v.category, average(v.sum, v.count), v.count, v.sum);
    return std::string_view(buffer);
}

category_average category_average_serde::deserialize(nullable_bytes in) const {
    static constexpr std::array<std::string_view, 4> names = {"category", "avg", "count", "sum"};
    const auto f = read_object(in, "q4 result", names, {true, true, true, true});
    if (f[1].integer != average(f[3].integer, f[2].integer)) {
        throw serde_error("q4 result: 'avg' is not sum / count");
    }
    return {f[0].integer, f[3].integer, f[2].integer};
}

nullable_bytes seller_average_serde::serialize(const seller_average& v, std::string& buffer) const {
    buffer.clear();
    fmt::format_to(std::back_inserter(buffer), R"({{"seller":{},"avg":{},"count":{}}})", v.seller,
                   v.avg, v.count);
    return std::string_view(buffer);
}

seller_average seller_average_serde::deserialize(nullable_bytes in) const {
    static constexpr std::array<std::string_view, 3> names = {"seller", "avg", "count"};
    const auto f = read_object(in, "q6 result", names, {true, true, true});
    return {f[0].integer, f[1].integer, f[2].integer};
}

nullable_bytes new_user_serde::serialize(const new_user& v, std::string& buffer) const {
    buffer.clear();
    fmt::format_to(std::back_inserter(buffer), R"({{"id":{},"name":)", v.id);
    append_json_string(buffer, v.name);
    fmt::format_to(std::back_inserter(buffer), R"(,"starttime":{}}})", v.starttime);
    return std::string_view(buffer);
}

new_user new_user_serde::deserialize(nullable_bytes in) const {
    static constexpr std::array<std::string_view, 3> names = {"id", "name", "starttime"};
    auto f = read_object(in, "q8 result", names, {true, false, true});
    return {f[0].integer, std::move(f[1].text), f[2].integer};
}

// --- Values in stores and repartition topics ---------------------------------------------

nullable_bytes seller_ref_serde::serialize(const seller_ref& v, std::string& buffer) const {
    put_int64s(buffer, {v.auction, v.seller});
    return std::string_view(buffer);
}

seller_ref seller_ref_serde::deserialize(nullable_bytes in) const {
    const auto v = get_int64s<2>(in, "an auction's seller");
    return {v[0], v[1]};
}

nullable_bytes person_place_serde::serialize(const person_place& v, std::string& buffer) const {
    buffer.assign(R"({"name":)");
    append_json_string(buffer, v.name);
    buffer += R"(,"city":)";
    append_json_string(buffer, v.city);
    buffer += R"(,"state":)";
    append_json_string(buffer, v.state);
    buffer.push_back('}');
    return std::string_view(buffer);
}

person_place person_place_serde::deserialize(nullable_bytes in) const {
    static constexpr std::array<std::string_view, 3> names = {"name", "city", "state"};
    auto f = read_object(in, "a person's place", names, {false, false, false});
    return {std::move(f[0].text), std::move(f[1].text), std::move(f[2].text)};
}

nullable_bytes auction_terms_serde::serialize(const auction_terms& v, std::string& buffer) const {
    put_int64s(buffer, {v.date_time, v.expires, v.seller, v.category});
    return std::string_view(buffer);
}

auction_terms auction_terms_serde::deserialize(nullable_bytes in) const {
    const auto v = get_int64s<4>(in, "an auction's terms");
    return {v[0], v[1], v[2], v[3]};
}

nullable_bytes bid_price_serde::serialize(const bid_price& v, std::string& buffer) const {
    put_int64s(buffer, {v.price, v.date_time});
    return std::string_view(buffer);
}

bid_price bid_price_serde::deserialize(nullable_bytes in) const {
    const auto v = get_int64s<2>(in, "a bid's price");
    return {v[0], v[1]};
}

nullable_bytes winning_bid_serde::serialize(const winning_bid& v, std::string& buffer) const {
    put_int64s(buffer, {v.seller, v.category, v.expires, v.price});
    return std::string_view(buffer);
}

winning_bid winning_bid_serde::deserialize(nullable_bytes in) const {
    const auto v = get_int64s<4>(in, "a winning bid");
    return {v[0], v[1], v[2], v[3]};
}

nullable_bytes price_sum_serde::serialize(const price_sum& v, std::string& buffer) const {
    put_int64s(buffer, {v.sum, v.count});
    return std::string_view(buffer);
}

price_sum price_sum_serde::deserialize(nullable_bytes in) const {
    const auto v = get_int64s<2>(in, "a sum of prices");
    return {v[0], v[1]};
}

nullable_bytes recent_price_serde::serialize(const recent_price& v, std::string& buffer) const {
    put_int64s(buffer, {v.expires, v.auction, v.price});
    return std::string_view(buffer);
}

recent_price recent_price_serde::deserialize(nullable_bytes in) const {
    const auto v = get_int64s<3>(in, "a recent price");
    return {v[0], v[1], v[2]};
}

nullable_bytes recent_prices_serde::serialize(const recent_prices& v, std::string& buffer) const {
    buffer.clear();
    append_int64(buffer, static_cast<int64_t>(v.entries.size()));
    for (const recent_price& e : v.entries) {
        append_int64(buffer, e.expires);
        append_int64(buffer, e.auction);
        append_int64(buffer, e.price);
    }
    return std::string_view(buffer);
}

recent_prices recent_prices_serde::deserialize(nullable_bytes in) const {
    if (!in || in->size() < 8) {
        throw serde_error("a seller's last ten prices must start with an 8-byte count");
    }
    const int64_t count = get_int64s<1>(in->substr(0, 8), "a count")[0];
    if (count < 0 || count > static_cast<int64_t>(last_ten) ||
        in->size() != 8 + 24 * static_cast<size_t>(count)) {
        throw serde_error(fmt::format(
            "a seller's last ten prices: a count of {} in {} bytes (0 to 10 entries of 24)", count,
            in->size()));
    }
    recent_prices out;
    for (int64_t i = 0; i < count; ++i) {
        out.entries.push_back(
            recent_price_serde{}.deserialize(in->substr(8 + 24 * static_cast<size_t>(i), 24)));
    }
    return out;
}

} // namespace brook::apps::nexmark
