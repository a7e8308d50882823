#pragma once

// The built-in serdes and the default_serde choice for each type.
//
// Fixed-width numbers are big-endian and byte-identical to Kafka's Java serializers
// (IntegerSerializer, LongSerializer, FloatSerializer, DoubleSerializer), so Brook and
// Java applications can share topics. Every serde here is an empty or tiny immutable value,
// safe to share between threads. None of them allocates when serializing a string, bytes or
// number into a reused buffer; JSON builds a document and so always allocates.

#include <bit>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include <nlohmann/json.hpp>

#include "engine/serde/serde.h"

namespace brook {

namespace detail {

// Errors are built out of line so the hot paths stay small.
[[noreturn, gnu::cold, gnu::noinline]] inline void
throw_wrong_size(const char* type, std::size_t expected, std::size_t got) {
    throw serde_error(std::string(type) + " needs " + std::to_string(expected) + " bytes, got " +
                      std::to_string(got));
}

[[noreturn, gnu::cold, gnu::noinline]] inline void throw_null(const char* type,
                                                              const char* cpp_type) {
    throw serde_error(std::string(type) + " cannot be null: declare std::optional<" + cpp_type +
                      "> to accept nulls");
}

// V converts to T without narrowing (int -> int64_t yes, int64_t -> int32_t no), so a
// serde for T cannot silently truncate a wider value.
template <class V, class T>
concept widens_to = std::is_arithmetic_v<V> && requires(V v) {
    T{v};
};

template <std::unsigned_integral U>
nullable_bytes write_big_endian(U value, std::string& buffer) {
    // At most 8 bytes: fits the small-string buffer, and shrinking keeps any larger
    // capacity, so this never allocates.
    buffer.resize(sizeof(U));
    for (std::size_t i = 0; i < sizeof(U); ++i) {
        buffer[sizeof(U) - 1 - i] = static_cast<char>(static_cast<unsigned char>(value >> (8 * i)));
    }
    return std::string_view(buffer);
}

template <std::unsigned_integral U>
U read_big_endian(nullable_bytes in, const char* type, const char* cpp_type) {
    if (!in) {
        throw_null(type, cpp_type);
    }
    if (in->size() != sizeof(U)) {
        throw_wrong_size(type, sizeof(U), in->size());
    }
    U value = 0;
    for (const char c : *in) {
        value = static_cast<U>(value << 8) | static_cast<unsigned char>(c);
    }
    return value;
}

} // namespace detail

// std::string as its bytes, unchanged (Kafka's StringSerializer with UTF-8, but Brook does
// not check the encoding). Serializing is zero-copy: the view points into the value, so an
// rvalue string is refused. Null deserializes to "": use std::optional<std::string> (the
// default for that type is optional_serde<string_serde>) to tell null from empty.
struct string_serde {
    using value_type = std::string;
    nullable_bytes serialize(const std::string& value, std::string& /*buffer*/) const noexcept {
        return std::string_view(value);
    }
    nullable_bytes serialize(std::string&& value, std::string& buffer) const = delete;
    std::string deserialize(nullable_bytes in) const {
        return in ? std::string(*in) : std::string();
    }
};

// brook::bytes unchanged (Kafka's ByteArraySerializer); zero-copy like string_serde. Null
// deserializes to empty bytes: use std::optional<bytes> to tell them apart.
struct bytes_serde {
    using value_type = bytes;
    nullable_bytes serialize(const bytes& value, std::string& /*buffer*/) const noexcept {
        return value.view();
    }
    nullable_bytes serialize(bytes&& value, std::string& buffer) const = delete;
    bytes deserialize(nullable_bytes in) const { return in ? bytes(*in) : bytes(); }
};

// 4 bytes, big-endian two's complement (Kafka's IntegerSerializer). Throws serde_error for
// any other length and for null.
struct int32_serde {
    using value_type = int32_t;
    template <detail::widens_to<int32_t> V>
    nullable_bytes serialize(V value, std::string& buffer) const {
        return detail::write_big_endian(static_cast<uint32_t>(int32_t{value}), buffer);
    }
    int32_t deserialize(nullable_bytes in) const {
        return static_cast<int32_t>(detail::read_big_endian<uint32_t>(in, "int32", "int32_t"));
    }
};

// 8 bytes, big-endian two's complement (Kafka's LongSerializer). Throws serde_error for any
// other length and for null.
struct int64_serde {
    using value_type = int64_t;
    template <detail::widens_to<int64_t> V>
    nullable_bytes serialize(V value, std::string& buffer) const {
        return detail::write_big_endian(static_cast<uint64_t>(int64_t{value}), buffer);
    }
    int64_t deserialize(nullable_bytes in) const {
        return static_cast<int64_t>(detail::read_big_endian<uint64_t>(in, "int64", "int64_t"));
    }
};

// IEEE-754 single bits, big-endian (Kafka's FloatSerializer, which uses floatToRawIntBits:
// NaN payloads are kept). Throws serde_error for any length but 4 and for null.
struct float_serde {
    using value_type = float;
    template <detail::widens_to<float> V>
    nullable_bytes serialize(V value, std::string& buffer) const {
        return detail::write_big_endian(std::bit_cast<uint32_t>(float{value}), buffer);
    }
    float deserialize(nullable_bytes in) const {
        return std::bit_cast<float>(detail::read_big_endian<uint32_t>(in, "float", "float"));
    }
};

// IEEE-754 double bits, big-endian (Kafka's DoubleSerializer). Java uses doubleToLongBits,
// which writes every NaN as 0x7ff8000000000000, so this does too. Throws serde_error for
// any length but 8 and for null.
struct double_serde {
    using value_type = double;
    template <detail::widens_to<double> V>
    nullable_bytes serialize(V value, std::string& buffer) const {
        const double d{value};
        const uint64_t bits =
            std::isnan(d) ? uint64_t{0x7ff8000000000000} : std::bit_cast<uint64_t>(d);
        return detail::write_big_endian(bits, buffer);
    }
    double deserialize(nullable_bytes in) const {
        return std::bit_cast<double>(detail::read_big_endian<uint64_t>(in, "double", "double"));
    }
};

// Always null, like Kafka's VoidSerde: the key serde of a keyless stream. Deserializing
// anything but null throws serde_error, as Kafka's VoidDeserializer does, because non-null
// bytes mean the declared type is wrong.
struct void_serde {
    using value_type = void_value;
    nullable_bytes serialize(void_value /*value*/, std::string& /*buffer*/) const noexcept {
        return std::nullopt;
    }
    void_value deserialize(nullable_bytes in) const {
        if (in) {
            throw serde_error("void_value must be null, got " + std::to_string(in->size()) +
                              " bytes");
        }
        return {};
    }
};

// std::optional<T> over a serde for T: nullopt is a Kafka null, and a present value is
// whatever Inner writes (so optional<std::string>{""} is empty bytes, not null). If Inner
// itself writes null for some value, that value reads back as nullopt.
template <class Inner>
class optional_serde {
public:
    using inner_value_type = std::remove_cvref_t<decltype(std::declval<const Inner&>().deserialize(
        std::declval<nullable_bytes>()))>;
    using value_type = std::optional<inner_value_type>;

    optional_serde() = default;
    explicit optional_serde(Inner inner) : _inner(std::move(inner)) {}

    nullable_bytes serialize(const value_type& value, std::string& buffer) const {
        if (!value) {
            return std::nullopt;
        }
        return _inner.serialize(*value, buffer);
    }
    // Throws what Inner throws for non-null bytes.
    value_type deserialize(nullable_bytes in) const {
        if (!in) {
            return std::nullopt;
        }
        return _inner.deserialize(in);
    }

private:
    [[no_unique_address]] Inner _inner{};
};

// T converts to and from nlohmann::json (to_json/from_json found by ADL, an
// adl_serializer specialization, or a type nlohmann supports natively).
template <class T>
concept json_convertible = requires(const T& value, const nlohmann::json& json) {
    nlohmann::json(value);
    { json.template get<T>() } -> std::same_as<T>;
};

// The deepest nesting of arrays and objects json_serde reads: Jackson's default limit
// (StreamReadConstraints.maxNestingDepth), so what a Java application writes reads here.
// nlohmann parses without recursion but copies, compares and writes a document
// recursively, so a record nested 100,000 deep, once read, would overflow the stack of the
// stream thread that copies or writes it (found by fuzz/serdes.cc).
inline constexpr size_t max_json_depth = 1000;

namespace detail {

// Whether JSON text nests arrays and objects deeper than `limit`; brackets inside strings
// do not count. One pass, no allocation: cheap next to the parse it guards.
inline bool json_nests_deeper_than(std::string_view text, size_t limit) {
    size_t depth = 0;
    bool in_string = false;
    bool escaped = false;
    for (const char c : text) {
        if (in_string) {
            if (escaped) {
                escaped = false;
            } else if (c == '\\') {
                escaped = true;
            } else if (c == '"') {
                in_string = false;
            }
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > limit) {
                return true;
            }
        } else if ((c == ']' || c == '}') && depth > 0) {
            --depth;
        }
    }
    return false;
}

// Appends the compact JSON text to `out`, reusing its capacity (json::dump would build
// a fresh string). Throws nlohmann::json::type_error for a string that is not UTF-8.
inline void dump_json(const nlohmann::json& json, std::string& out) {
    nlohmann::detail::serializer<nlohmann::json> writer(
        nlohmann::detail::output_adapter<char, std::string>(out), ' ');
    writer.dump(json, /*pretty_print=*/false, /*ensure_ascii=*/false, /*indent_step=*/0);
}

} // namespace detail

// T as compact UTF-8 JSON text through nlohmann. Serializing throws serde_error for a
// string that is not valid UTF-8; deserializing throws serde_error carrying nlohmann's
// message for malformed JSON or JSON of the wrong shape, for JSON nested deeper than
// max_json_depth, and for null unless T is nlohmann::json (then null reads as a JSON
// null). Use optional_serde<json_serde<T>> to accept nulls.
template <class T>
requires json_convertible<T>
struct json_serde {
    using value_type = T;

    nullable_bytes serialize(const T& value, std::string& buffer) const {
        buffer.clear();
        try {
            if constexpr (std::is_same_v<T, nlohmann::json>) {
                detail::dump_json(value, buffer);
            } else {
                detail::dump_json(nlohmann::json(value), buffer);
            }
        } catch (const nlohmann::json::exception& e) {
            throw serde_error(std::string("cannot write JSON: ") + e.what());
        }
        return std::string_view(buffer);
    }

    T deserialize(nullable_bytes in) const {
        if (!in) {
            if constexpr (std::is_same_v<T, nlohmann::json>) {
                return nlohmann::json(nullptr);
            } else {
                throw serde_error("JSON value cannot be null: declare std::optional<T> to "
                                  "accept nulls");
            }
        }
        if (detail::json_nests_deeper_than(*in, max_json_depth)) {
            throw serde_error("JSON nested deeper than " + std::to_string(max_json_depth) +
                              " levels of arrays and objects");
        }
        nlohmann::json json;
        try {
            json = nlohmann::json::parse(in->begin(), in->end());
        } catch (const nlohmann::json::exception& e) {
            throw serde_error(std::string("malformed JSON: ") + e.what());
        }
        if constexpr (std::is_same_v<T, nlohmann::json>) {
            return json;
        } else {
            try {
                return json.template get<T>();
            } catch (const nlohmann::json::exception& e) {
                throw serde_error(std::string("JSON does not fit the type: ") + e.what());
            }
        }
    }
};

// default_serde: the serde used when the user names none.
template <>
struct default_serde<std::string> : string_serde {};
template <>
struct default_serde<bytes> : bytes_serde {};
template <>
struct default_serde<int32_t> : int32_serde {};
template <>
struct default_serde<int64_t> : int64_serde {};
template <>
struct default_serde<float> : float_serde {};
template <>
struct default_serde<double> : double_serde {};
template <>
struct default_serde<void_value> : void_serde {};
template <>
struct default_serde<nlohmann::json> : json_serde<nlohmann::json> {};

template <class T>
struct default_serde<std::optional<T>> : optional_serde<default_serde<T>> {};

namespace detail {
template <class T>
inline constexpr bool is_optional = false;
template <class T>
inline constexpr bool is_optional<std::optional<T>> = true;

// JSON is the fallback for user types. Numbers, strings and optionals have their own
// serdes above; a number without one (short, bool) is refused rather than written as JSON
// text that no Java serde would read.
template <class T>
concept json_by_default = json_convertible<T> && !std::is_arithmetic_v<T> && !is_optional<T> &&
                          !std::is_same_v<T, std::string> && !std::is_same_v<T, nlohmann::json>;
} // namespace detail

template <class T>
requires detail::json_by_default<T>
struct default_serde<T> : json_serde<T> {
};

static_assert(serde_for<string_serde, std::string>);
static_assert(serde_for<bytes_serde, bytes>);
static_assert(serde_for<int32_serde, int32_t>);
static_assert(serde_for<int64_serde, int64_t>);
static_assert(serde_for<float_serde, float>);
static_assert(serde_for<double_serde, double>);
static_assert(serde_for<void_serde, void_value>);
static_assert(serde_for<json_serde<nlohmann::json>, nlohmann::json>);

} // namespace brook
