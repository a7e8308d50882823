#pragma once

// The serde contract: how a typed key or value becomes Kafka bytes and back.
//
// A serde is a small immutable value (usually an empty struct) with a const `serialize`
// and a const `deserialize`; the DSL keeps one per source and sink and calls it from the
// stream thread that owns the task, so serdes need no locking as long as they keep no
// mutable state. Everything below the DSL works on bytes; serdes are the only place where
// types meet bytes. The built-in serdes and the `default_serde` choices are in serdes.h,
// JSON's in json_serde.h.

#include <compare>
#include <concepts>
#include <cstddef>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "engine/nullable_bytes.h"

namespace brook {

// Bytes that cannot be read as the declared type (wrong length, malformed JSON, a null
// where the type has no null). The message says what was expected and what was found.
class serde_error : public std::runtime_error {
public:
    using runtime_error::runtime_error;
};

// S serializes and deserializes T.
//
// serialize(v, buffer) returns a view of the encoded bytes, or nullopt to write a Kafka
// null. The view points into `buffer` (which the serde clears and fills; a caller that
// reuses one buffer avoids allocating) or, zero-copy, into `v` itself for string-like
// types; either way it is valid only while both `buffer` and `v` are alive and unchanged.
// deserialize(in) returns a new T and throws serde_error for bytes it cannot read.
template <class S, class T>
concept serde_for = requires(const S& s, const T& v, std::string& buffer, nullable_bytes in) {
    { s.serialize(v, buffer) } -> std::convertible_to<nullable_bytes>;
    { s.deserialize(in) } -> std::convertible_to<T>;
};

namespace detail {
template <class T>
inline constexpr bool dependent_false = false;

// v's bytes as `serde` writes them, owned (empty for a null): for keys of internal stores
// and hashes, where the bytes must outlive the serde's buffer.
template <class S, class T>
std::string serialize_to_string(const S& serde, const T& v) {
    std::string buffer;
    const nullable_bytes bytes = serde.serialize(v, buffer);
    return bytes ? std::string(*bytes) : std::string();
}
} // namespace detail

// The serde used for T when the user names none. The specializations for string, bytes,
// int32, int64, float, double, void_value and std::optional<T> live in serdes.h; those for
// nlohmann::json and any type with nlohmann to_json/from_json in json_serde.h. Include
// them wherever default_serde is used: a type whose specialization is not visible stops
// the build here, so every translation unit sees the same choice.
template <class T>
struct default_serde {
    static_assert(detail::dependent_false<T>,
                  "no default serde for T: give one explicitly, or for JSON define nlohmann "
                  "to_json/from_json and include \"engine/serde/json_serde.h\" "
                  "(<brook/json.h>)");
};

// Raw bytes, as distinct from text: a key or value that Brook passes through without
// interpreting (Kafka's byte[]). Owns its storage; copying copies the bytes.
class bytes {
public:
    bytes() = default;
    explicit bytes(std::string_view data) : _data(data) {}
    explicit bytes(std::string&& data) noexcept : _data(std::move(data)) {}
    bytes(const char* data, std::size_t size) : _data(data, size) {}

    const char* data() const noexcept { return _data.data(); }
    std::size_t size() const noexcept { return _data.size(); }
    bool empty() const noexcept { return _data.empty(); }
    std::string_view view() const noexcept { return _data; }
    // The owned storage, for callers that need a std::string (or want to move it out).
    const std::string& str() const& noexcept { return _data; }
    std::string str() && noexcept { return std::move(_data); }

    // Bytewise as unsigned chars, like std::string: a prefix sorts first.
    friend bool operator==(const bytes&, const bytes&) = default;
    friend std::strong_ordering operator<=>(const bytes&, const bytes&) = default;

private:
    std::string _data;
};

// The type of a key or value that is always null, like Kafka's Void: the key type of a
// keyless stream.
struct void_value {
    friend constexpr bool operator==(void_value, void_value) noexcept = default;
};

} // namespace brook

// Lets bytes and void_value be keys of unordered containers (grouping, test drivers).
template <>
struct std::hash<brook::bytes> {
    std::size_t operator()(const brook::bytes& b) const noexcept {
        return std::hash<std::string_view>{}(b.view());
    }
};

template <>
struct std::hash<brook::void_value> {
    std::size_t operator()(brook::void_value) const noexcept { return 0; }
};
