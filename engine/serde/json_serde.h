#pragma once

// JSON values through nlohmann: json_serde<T>, and the default serde of nlohmann::json and
// of every user type with to_json/from_json. Include it (or <brook/json.h>) in each
// translation unit that reads or writes JSON without naming a serde: without it such a
// type has no default serde and the build stops with a message that says so, so two
// translation units can never pick different serdes for one type.
//
// JSON builds a document and so always allocates. Every serde here is an empty immutable
// value, safe to share between threads.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include <nlohmann/json.hpp>

#include "engine/serde/serdes.h"

namespace brook {

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

template <>
struct default_serde<nlohmann::json> : json_serde<nlohmann::json> {};

namespace detail {
template <class T>
inline constexpr bool is_optional = false;
template <class T>
inline constexpr bool is_optional<std::optional<T>> = true;

// JSON is the fallback for user types. Numbers, strings and optionals have their own
// serdes (serdes.h); a number without one (short, bool) is refused rather than written as JSON
// text that no Java serde would read.
template <class T>
concept json_by_default = json_convertible<T> && !std::is_arithmetic_v<T> && !is_optional<T> &&
                          !std::is_same_v<T, std::string> && !std::is_same_v<T, nlohmann::json>;
} // namespace detail

template <class T>
requires detail::json_by_default<T>
struct default_serde<T> : json_serde<T> {
};

static_assert(serde_for<json_serde<nlohmann::json>, nlohmann::json>);

} // namespace brook
