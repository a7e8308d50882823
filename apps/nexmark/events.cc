#include "apps/nexmark/events.h"

#include <array>
#include <string_view>

#include <fmt/format.h>

#include "apps/nexmark/wire.h"

namespace brook::apps::nexmark {

using wire::append_json_string;
using wire::get_int64s;
using wire::put_int64s;
using wire::read_object;

namespace {

constexpr std::array<std::string_view, 7> bid_fields = {"auction", "bidder",   "price", "channel",
                                                        "url",     "dateTime", "extra"};
constexpr std::array<bool, 7> bid_ints = {true, true, true, false, false, true, false};
constexpr std::array<std::string_view, 8> person_fields = {
    "id", "name", "emailAddress", "creditCard", "city", "state", "dateTime", "extra"};
constexpr std::array<bool, 8> person_ints = {true, false, false, false, false, false, true, false};
constexpr std::array<std::string_view, 10> auction_fields = {
    "id",       "itemName", "description", "initialBid", "reserve",
    "dateTime", "expires",  "seller",      "category",   "extra"};
constexpr std::array<bool, 10> auction_ints = {true, false, false, true, true,
                                               true, true,  true,  true, false};
constexpr std::array<std::string_view, 2> auction_price_fields = {"auction", "price"};
constexpr std::array<std::string_view, 2> auction_count_fields = {"auction", "num"};
constexpr std::array<std::string_view, 4> highest_bid_fields = {"auction", "bidder", "price",
                                                                "dateTime"};

} // namespace

bool better(const auction_count& a, const auction_count& b) {
    return a.num != b.num ? a.num > b.num : a.auction < b.auction;
}

bool better(const highest_bid& a, const highest_bid& b) {
    if (a.price != b.price) {
        return a.price > b.price;
    }
    if (a.auction != b.auction) {
        return a.auction < b.auction;
    }
    if (a.bidder != b.bidder) {
        return a.bidder < b.bidder;
    }
    return a.date_time < b.date_time;
}

nullable_bytes bid_serde::serialize(const bid& b, std::string& buffer) const {
    buffer.clear();
    fmt::format_to(std::back_inserter(buffer),
                   R"({{"auction":{},"bidder":{},"price":{},"channel":)", b.auction, b.bidder,
                   b.price);
    append_json_string(buffer, b.channel);
    buffer += R"(,"url":)";
    append_json_string(buffer, b.url);
    fmt::format_to(std::back_inserter(buffer), R"(,"dateTime":{},"extra":)", b.date_time);
    append_json_string(buffer, b.extra);
    buffer.push_back('}');
    return std::string_view(buffer);
}

bid bid_serde::deserialize(nullable_bytes in) const {
    auto f = read_object(in, "bid", bid_fields, bid_ints);
    return bid{f[0].integer,         f[1].integer, f[2].integer,        std::move(f[3].text),
               std::move(f[4].text), f[5].integer, std::move(f[6].text)};
}

nullable_bytes person_serde::serialize(const person& p, std::string& buffer) const {
    buffer.clear();
    fmt::format_to(std::back_inserter(buffer), R"({{"id":{},"name":)", p.id);
    append_json_string(buffer, p.name);
    buffer += R"(,"emailAddress":)";
    append_json_string(buffer, p.email_address);
    buffer += R"(,"creditCard":)";
    append_json_string(buffer, p.credit_card);
    buffer += R"(,"city":)";
    append_json_string(buffer, p.city);
    buffer += R"(,"state":)";
    append_json_string(buffer, p.state);
    fmt::format_to(std::back_inserter(buffer), R"(,"dateTime":{},"extra":)", p.date_time);
    append_json_string(buffer, p.extra);
    buffer.push_back('}');
    return std::string_view(buffer);
}

person person_serde::deserialize(nullable_bytes in) const {
    auto f = read_object(in, "person", person_fields, person_ints);
    return person{f[0].integer,         std::move(f[1].text), std::move(f[2].text),
                  std::move(f[3].text), std::move(f[4].text), std::move(f[5].text),
                  f[6].integer,         std::move(f[7].text)};
}

nullable_bytes auction_serde::serialize(const auction& a, std::string& buffer) const {
    buffer.clear();
    fmt::format_to(std::back_inserter(buffer), R"({{"id":{},"itemName":)", a.id);
    append_json_string(buffer, a.item_name);
    buffer += R"(,"description":)";
    append_json_string(buffer, a.description);
    fmt::format_to(std::back_inserter(buffer),
                   R"(,"initialBid":{},"reserve":{},"dateTime":{},"expires":{},"seller":{},)"
                   R"("category":{},"extra":)",
                   a.initial_bid, a.reserve, a.date_time, a.expires, a.seller, a.category);
    append_json_string(buffer, a.extra);
    buffer.push_back('}');
    return std::string_view(buffer);
}

auction auction_serde::deserialize(nullable_bytes in) const {
    auto f = read_object(in, "auction", auction_fields, auction_ints);
    return auction{f[0].integer, std::move(f[1].text), std::move(f[2].text), f[3].integer,
                   f[4].integer, f[5].integer,         f[6].integer,         f[7].integer,
                   f[8].integer, std::move(f[9].text)};
}

nullable_bytes auction_price_serde::serialize(const auction_price& a, std::string& buffer) const {
    buffer.clear();
    fmt::format_to(std::back_inserter(buffer), R"({{"auction":{},"price":{}}})", a.auction,
                   a.price);
    return std::string_view(buffer);
}

auction_price auction_price_serde::deserialize(nullable_bytes in) const {
    const auto f = read_object(in, "auction price", auction_price_fields, {true, true});
    return {f[0].integer, f[1].integer};
}

nullable_bytes auction_count_serde::serialize(const auction_count& a, std::string& buffer) const {
    buffer.clear();
    fmt::format_to(std::back_inserter(buffer), R"({{"auction":{},"num":{}}})", a.auction, a.num);
    return std::string_view(buffer);
}

auction_count auction_count_serde::deserialize(nullable_bytes in) const {
    const auto f = read_object(in, "auction count", auction_count_fields, {true, true});
    return {f[0].integer, f[1].integer};
}

nullable_bytes highest_bid_serde::serialize(const highest_bid& h, std::string& buffer) const {
    buffer.clear();
    fmt::format_to(std::back_inserter(buffer),
                   R"({{"auction":{},"bidder":{},"price":{},"dateTime":{}}})", h.auction, h.bidder,
                   h.price, h.date_time);
    return std::string_view(buffer);
}

highest_bid highest_bid_serde::deserialize(nullable_bytes in) const {
    const auto f = read_object(in, "highest bid", highest_bid_fields, {true, true, true, true});
    return {f[0].integer, f[1].integer, f[2].integer, f[3].integer};
}

nullable_bytes auction_count_store_serde::serialize(const auction_count& a,
                                                    std::string& buffer) const {
    put_int64s(buffer, {a.auction, a.num});
    return std::string_view(buffer);
}

auction_count auction_count_store_serde::deserialize(nullable_bytes in) const {
    const auto v = get_int64s<2>(in, "an auction count");
    return {v[0], v[1]};
}

nullable_bytes highest_bid_store_serde::serialize(const highest_bid& h, std::string& buffer) const {
    put_int64s(buffer, {h.auction, h.bidder, h.price, h.date_time});
    return std::string_view(buffer);
}

highest_bid highest_bid_store_serde::deserialize(nullable_bytes in) const {
    const auto v = get_int64s<4>(in, "a highest bid");
    return {v[0], v[1], v[2], v[3]};
}

} // namespace brook::apps::nexmark
