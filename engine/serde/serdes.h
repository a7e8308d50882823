#pragma once

// The built-in serdes and the default_serde choice for each type.
//
// Fixed-width numbers are big-endian and byte-identical to Kafka's Java serializers
// (IntegerSerializer, LongSerializer, FloatSerializer, DoubleSerializer), so Brook and
// Java applications can share topics. Every serde here is an empty or tiny immutable value,
// safe to share between threads. None of them allocates when serializing a string, bytes or
// number into a reused buffer. JSON (nlohmann::json and user types with to_json/from_json)
// is in json_serde.h, so that a topology without JSON does not compile nlohmann's header.

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

template <class T>
struct default_serde<std::optional<T>> : optional_serde<default_serde<T>> {};

static_assert(serde_for<string_serde, std::string>);
static_assert(serde_for<bytes_serde, bytes>);
static_assert(serde_for<int32_serde, int32_t>);
static_assert(serde_for<int64_serde, int64_t>);
static_assert(serde_for<float_serde, float>);
static_assert(serde_for<double_serde, double>);
static_assert(serde_for<void_serde, void_value>);

} // namespace brook
