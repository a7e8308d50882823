#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "engine/serde/json_serde.h"
#include "engine/serde/serde.h"
#include "engine/serde/serdes.h"

namespace brook {
namespace {

// A user type with nlohmann conversions, as an application would define it.
struct order {
    std::string id;
    int64_t amount_cents = 0;
    std::vector<std::string> items;
    friend bool operator==(const order&, const order&) = default;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(order, id, amount_cents, items)

struct no_json_at_all {};

// Bytes as lowercase hex pairs separated by spaces, the way the expected values are written.
std::string hex(nullable_bytes b) {
    if (!b) {
        return "null";
    }
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (const char c : *b) {
        const auto u = static_cast<unsigned char>(c);
        if (!out.empty()) {
            out += ' ';
        }
        out += digits[u >> 4];
        out += digits[u & 0xf];
    }
    return out;
}

// Raw bytes from a list of octets, for inputs with high bytes and embedded zeros.
std::string raw(std::initializer_list<unsigned char> octets) {
    return std::string(octets.begin(), octets.end());
}

template <class S, class T>
T round_trip(const S& serde, const T& value) {
    std::string buffer;
    return serde.deserialize(serde.serialize(value, buffer));
}

// Runs `f` and returns the serde_error message it throws, or fails the test.
template <class F>
std::string error_of(F&& f) {
    try {
        f();
    } catch (const serde_error& e) {
        return e.what();
    }
    ADD_FAILURE() << "expected serde_error";
    return {};
}

// The values in the exact-bytes tests below were printed by Kafka 3.9.1's
// IntegerSerializer, LongSerializer, FloatSerializer and DoubleSerializer.

TEST(serde, int32_is_big_endian_like_java) {
    std::string buffer;
    const int32_serde s;
    EXPECT_EQ(hex(s.serialize(1, buffer)), "00 00 00 01");
    EXPECT_EQ(hex(s.serialize(-1, buffer)), "ff ff ff ff");
    EXPECT_EQ(hex(s.serialize(0x12345678, buffer)), "12 34 56 78");
    EXPECT_EQ(hex(s.serialize(std::numeric_limits<int32_t>::min(), buffer)), "80 00 00 00");
}

TEST(serde, int32_round_trips_its_extremes) {
    const int32_serde s;
    for (const int32_t v : {0, 1, -1, 0x7f, 0x80, 0xff, std::numeric_limits<int32_t>::min(),
                            std::numeric_limits<int32_t>::max()}) {
        EXPECT_EQ(round_trip(s, v), v);
    }
    EXPECT_EQ(s.deserialize(raw({0x80, 0x00, 0x00, 0x01})), -2147483647);
}

TEST(serde, int64_is_big_endian_like_java) {
    std::string buffer;
    const int64_serde s;
    EXPECT_EQ(hex(s.serialize(int64_t{1}, buffer)), "00 00 00 00 00 00 00 01");
    EXPECT_EQ(hex(s.serialize(int64_t{-1}, buffer)), "ff ff ff ff ff ff ff ff");
    EXPECT_EQ(hex(s.serialize(int64_t{0x0102030405060708}, buffer)), "01 02 03 04 05 06 07 08");
    EXPECT_EQ(hex(s.serialize(std::numeric_limits<int64_t>::min(), buffer)),
              "80 00 00 00 00 00 00 00");
}

TEST(serde, int64_round_trips_its_extremes) {
    const int64_serde s;
    for (const int64_t v :
         {int64_t{0}, int64_t{-1}, int64_t{1} << 40, std::numeric_limits<int64_t>::min(),
          std::numeric_limits<int64_t>::max()}) {
        EXPECT_EQ(round_trip(s, v), v);
    }
}

TEST(serde, int64_accepts_a_narrower_int_but_int32_refuses_a_wider_one) {
    std::string buffer;
    EXPECT_EQ(hex(int64_serde{}.serialize(7, buffer)), "00 00 00 00 00 00 00 07");
    static_assert(serde_for<int64_serde, int64_t>);
    static_assert(!serde_for<int32_serde, int64_t>, "would silently truncate");
    static_assert(!serde_for<float_serde, double>, "would silently round");
}

TEST(serde, double_is_ieee754_bits_big_endian_like_java) {
    std::string buffer;
    const double_serde s;
    EXPECT_EQ(hex(s.serialize(1.0, buffer)), "3f f0 00 00 00 00 00 00");
    EXPECT_EQ(hex(s.serialize(-2.5, buffer)), "c0 04 00 00 00 00 00 00");
    EXPECT_EQ(hex(s.serialize(0.1, buffer)), "3f b9 99 99 99 99 99 9a");
    EXPECT_EQ(hex(s.serialize(-0.0, buffer)), "80 00 00 00 00 00 00 00");
}

TEST(serde, double_writes_every_nan_as_javas_canonical_nan) {
    std::string buffer;
    const double_serde s;
    EXPECT_EQ(hex(s.serialize(std::numeric_limits<double>::quiet_NaN(), buffer)),
              "7f f8 00 00 00 00 00 00");
    // A signalling NaN with a payload; Java's doubleToLongBits collapses it too.
    const double payload_nan = std::bit_cast<double>(uint64_t{0x7ff0000000000001});
    EXPECT_EQ(hex(s.serialize(payload_nan, buffer)), "7f f8 00 00 00 00 00 00");
    EXPECT_TRUE(std::isnan(round_trip(s, payload_nan)));
}

TEST(serde, double_round_trips_exactly) {
    const double_serde s;
    for (const double v : {0.0, 1.0, -2.5, 0.1, 1e308, std::numeric_limits<double>::denorm_min(),
                           std::numeric_limits<double>::infinity()}) {
        EXPECT_EQ(round_trip(s, v), v);
    }
    EXPECT_TRUE(std::signbit(round_trip(s, -0.0)));
}

TEST(serde, float_is_ieee754_bits_big_endian_like_java) {
    std::string buffer;
    const float_serde s;
    EXPECT_EQ(hex(s.serialize(1.0f, buffer)), "3f 80 00 00");
    EXPECT_EQ(hex(s.serialize(-2.5f, buffer)), "c0 20 00 00");
    EXPECT_EQ(round_trip(s, 3.25f), 3.25f);
}

TEST(serde, fixed_width_numbers_reject_the_wrong_length_saying_what_they_need) {
    EXPECT_EQ(error_of([] { int32_serde{}.deserialize(std::string_view("abc")); }),
              "int32 needs 4 bytes, got 3");
    EXPECT_EQ(error_of([] { int32_serde{}.deserialize(std::string_view("")); }),
              "int32 needs 4 bytes, got 0");
    EXPECT_EQ(error_of([] { int64_serde{}.deserialize(std::string_view("1234")); }),
              "int64 needs 8 bytes, got 4");
    EXPECT_EQ(error_of([] { double_serde{}.deserialize(std::string_view("123456789")); }),
              "double needs 8 bytes, got 9");
    EXPECT_EQ(error_of([] { float_serde{}.deserialize(std::string_view("12345678")); }),
              "float needs 4 bytes, got 8");
}

TEST(serde, fixed_width_numbers_reject_null_and_point_to_optional) {
    EXPECT_EQ(error_of([] { int32_serde{}.deserialize(std::nullopt); }),
              "int32 cannot be null: declare std::optional<int32_t> to accept nulls");
    EXPECT_EQ(error_of([] { int64_serde{}.deserialize(std::nullopt); }),
              "int64 cannot be null: declare std::optional<int64_t> to accept nulls");
    EXPECT_EQ(error_of([] { double_serde{}.deserialize(std::nullopt); }),
              "double cannot be null: declare std::optional<double> to accept nulls");
    EXPECT_EQ(error_of([] { float_serde{}.deserialize(std::nullopt); }),
              "float cannot be null: declare std::optional<float> to accept nulls");
}

TEST(serde, serializing_into_a_reused_buffer_keeps_its_storage) {
    std::string buffer;
    buffer.reserve(256);
    const char* storage = buffer.data();
    const auto bytes_out = int64_serde{}.serialize(int64_t{42}, buffer);
    EXPECT_EQ(bytes_out->data(), storage);
    EXPECT_EQ(buffer.data(), storage);
    const auto json_out = json_serde<order>{}.serialize(order{"o-1", 5, {"tea"}}, buffer);
    EXPECT_EQ(json_out->data(), storage);
    EXPECT_EQ(int32_serde{}.serialize(9, buffer)->size(), 4u);
    EXPECT_EQ(buffer.data(), storage);
}

TEST(serde, string_is_its_bytes_and_serializes_without_copying) {
    std::string buffer;
    const std::string value = "héllo, world";
    const auto out = string_serde{}.serialize(value, buffer);
    ASSERT_TRUE(out.has_value());
    EXPECT_EQ(out->data(), value.data());
    EXPECT_EQ(out->size(), value.size());
    EXPECT_TRUE(buffer.empty());
    EXPECT_EQ(round_trip(string_serde{}, std::string("with\0zero", 9)),
              std::string("with\0zero", 9));
}

TEST(serde, string_reads_null_as_empty_and_optional_string_tells_them_apart) {
    EXPECT_EQ(string_serde{}.deserialize(std::nullopt), "");
    EXPECT_EQ(string_serde{}.deserialize(std::string_view("")), "");

    const default_serde<std::optional<std::string>> s;
    std::string buffer;
    EXPECT_EQ(s.serialize(std::nullopt, buffer), std::nullopt);
    const auto empty = s.serialize(std::string(), buffer);
    ASSERT_TRUE(empty.has_value());
    EXPECT_TRUE(empty->empty());
    EXPECT_EQ(s.deserialize(std::nullopt), std::nullopt);
    EXPECT_EQ(s.deserialize(std::string_view("")), std::optional<std::string>(""));
}

TEST(serde, bytes_keep_high_and_zero_octets_and_serialize_without_copying) {
    const bytes value(raw({0x00, 0x80, 0xff, 0x7f}));
    std::string buffer;
    const auto out = bytes_serde{}.serialize(value, buffer);
    ASSERT_TRUE(out.has_value());
    EXPECT_EQ(out->data(), value.data());
    EXPECT_EQ(hex(out), "00 80 ff 7f");
    EXPECT_EQ(round_trip(bytes_serde{}, value), value);
    EXPECT_EQ(bytes_serde{}.deserialize(std::nullopt), bytes());
}

TEST(serde, bytes_compare_bytewise_as_unsigned) {
    EXPECT_LT(bytes(std::string_view("a")), bytes(std::string_view("ab")));
    EXPECT_LT(bytes(raw({0x7f})), bytes(raw({0x80})));
    EXPECT_EQ(bytes(std::string_view("x")).view(), "x");
    EXPECT_EQ(bytes(std::string_view("xyz")).size(), 3u);
}

TEST(serde, optional_maps_nullopt_to_kafka_null_and_delegates_otherwise) {
    const optional_serde<int32_serde> s;
    std::string buffer;
    EXPECT_EQ(s.serialize(std::nullopt, buffer), std::nullopt);
    EXPECT_EQ(hex(s.serialize(1, buffer)), "00 00 00 01");
    EXPECT_EQ(s.deserialize(std::nullopt), std::nullopt);
    EXPECT_EQ(s.deserialize(raw({0xff, 0xff, 0xff, 0xff})), std::optional<int32_t>(-1));
    EXPECT_EQ(error_of([&] { s.deserialize(std::string_view("12")); }),
              "int32 needs 4 bytes, got 2");
}

TEST(serde, void_is_always_null_and_refuses_bytes) {
    std::string buffer;
    EXPECT_EQ(void_serde{}.serialize(void_value{}, buffer), std::nullopt);
    EXPECT_EQ(void_serde{}.deserialize(std::nullopt), void_value{});
    EXPECT_EQ(error_of([] { void_serde{}.deserialize(std::string_view("k")); }),
              "void_value must be null, got 1 bytes");
}

TEST(serde, json_struct_round_trips_as_compact_json) {
    const json_serde<order> s;
    const order o{"o-17", 1250, {"tea", "scone"}};
    std::string buffer;
    const auto out = s.serialize(o, buffer);
    ASSERT_TRUE(out.has_value());
    EXPECT_EQ(*out, R"({"amount_cents":1250,"id":"o-17","items":["tea","scone"]})");
    EXPECT_EQ(s.deserialize(out), o);
}

TEST(serde, json_malformed_text_throws_with_nlohmanns_message) {
    const std::string message =
        error_of([] { json_serde<order>{}.deserialize(std::string_view("{\"id\":")); });
    EXPECT_NE(message.find("malformed JSON"), std::string::npos) << message;
    EXPECT_NE(message.find("parse error"), std::string::npos) << message;

    EXPECT_NE(error_of([] {
                  json_serde<order>{}.deserialize(std::string_view(""));
              }).find("malformed JSON"),
              std::string::npos);
}

TEST(serde, json_of_the_wrong_shape_throws_naming_the_type_mismatch) {
    const std::string message = error_of([] {
        json_serde<order>{}.deserialize(
            std::string_view(R"({"id":7,"amount_cents":1,"items":[]})"));
    });
    EXPECT_NE(message.find("does not fit"), std::string::npos) << message;
    EXPECT_NE(message.find("type must be string"), std::string::npos) << message;
}

TEST(serde, json_refuses_null_except_for_a_json_document) {
    EXPECT_NE(error_of([] { json_serde<order>{}.deserialize(std::nullopt); }).find("std::optional"),
              std::string::npos);
    EXPECT_TRUE(json_serde<nlohmann::json>{}.deserialize(std::nullopt).is_null());

    const optional_serde<json_serde<order>> optional_orders;
    EXPECT_EQ(optional_orders.deserialize(std::nullopt), std::nullopt);
}

TEST(serde, json_document_round_trips) {
    const json_serde<nlohmann::json> s;
    const nlohmann::json doc = {{"a", 1}, {"b", {true, nullptr, "é"}}};
    std::string buffer;
    EXPECT_EQ(*s.serialize(doc, buffer), R"({"a":1,"b":[true,null,"é"]})");
    EXPECT_EQ(round_trip(s, doc), doc);
}

TEST(serde, json_nested_deeper_than_the_limit_is_refused_not_a_stack_overflow) {
    // 100,000 levels parse (nlohmann does not recurse there) but overflow the stack when the
    // document is written or copied; found by fuzz/serdes.cc.
    const std::string deep = std::string(100000, '[') + std::string(100000, ']');
    const std::string message =
        error_of([&] { json_serde<nlohmann::json>{}.deserialize(std::string_view(deep)); });
    EXPECT_NE(message.find("nested deeper than 1000 levels"), std::string::npos) << message;

    // At the limit it reads and writes back; brackets inside strings do not count.
    const std::string at_limit =
        std::string(max_json_depth, '[') + "\"[[[{{{\\\"[\"" + std::string(max_json_depth, ']');
    const json_serde<nlohmann::json> s;
    const nlohmann::json doc = s.deserialize(std::string_view(at_limit));
    std::string buffer;
    EXPECT_EQ(*s.serialize(doc, buffer), at_limit);
    EXPECT_THROW(s.deserialize(std::string_view("[" + at_limit + "]")), serde_error);
}

TEST(serde, json_refuses_to_write_invalid_utf8) {
    std::string buffer;
    const nlohmann::json doc = raw({0xff, 0xfe});
    EXPECT_NE(error_of([&] {
                  json_serde<nlohmann::json>{}.serialize(doc, buffer);
              }).find("cannot write JSON"),
              std::string::npos);
}

TEST(serde, default_serde_picks_the_kafka_compatible_serde_for_each_type) {
    static_assert(std::is_base_of_v<string_serde, default_serde<std::string>>);
    static_assert(std::is_base_of_v<bytes_serde, default_serde<bytes>>);
    static_assert(std::is_base_of_v<int32_serde, default_serde<int32_t>>);
    static_assert(std::is_base_of_v<int64_serde, default_serde<int64_t>>);
    static_assert(std::is_base_of_v<float_serde, default_serde<float>>);
    static_assert(std::is_base_of_v<double_serde, default_serde<double>>);
    static_assert(std::is_base_of_v<void_serde, default_serde<void_value>>);
    static_assert(std::is_base_of_v<json_serde<nlohmann::json>, default_serde<nlohmann::json>>);
    static_assert(std::is_base_of_v<json_serde<order>, default_serde<order>>);
    static_assert(std::is_base_of_v<json_serde<std::map<std::string, int>>,
                                    default_serde<std::map<std::string, int>>>);
    static_assert(std::is_base_of_v<optional_serde<default_serde<int64_t>>,
                                    default_serde<std::optional<int64_t>>>);
    static_assert(serde_for<default_serde<std::optional<order>>, std::optional<order>>);
    static_assert(json_convertible<order>);
    static_assert(!json_convertible<no_json_at_all>);
    static_assert(!detail::json_by_default<short>, "numbers are never JSON by default");

    const default_serde<std::optional<int64_t>> s;
    EXPECT_EQ(round_trip(s, std::optional<int64_t>(5)), std::optional<int64_t>(5));
    EXPECT_EQ(round_trip(s, std::optional<int64_t>()), std::nullopt);
}

} // namespace
} // namespace brook
