#pragma once

// The byte formats the Nexmark types share (events.h, join_values.h): strict reading of a
// flat JSON object, JSON string writing, and fixed runs of big-endian int64s for the values
// queries keep in stores and repartition topics. Internal to apps/nexmark.

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "apps/common/json_fields.h"
#include "engine/serde/serde.h"

namespace brook::apps::nexmark::wire {

// One field of a flat object as nlohmann's SAX parser saw it.
struct field_value {
    enum class kind { absent, integer, string, other } type = kind::absent;
    int64_t integer = 0;
    std::string text;
};

// Reads one flat JSON object and keeps the fields named in `names` (N of them); every
// other field, and anything nested, is looked at no further. No document is built. A name
// given twice in one object, at any depth, stops the parse, as Jackson's
// STRICT_DUPLICATE_DETECTION does on the Kafka Streams side.
template <size_t N>
class flat_object_reader {
public:
    using json = nlohmann::json;

    explicit flat_object_reader(const std::array<std::string_view, N>& names) : _names(names) {}

    std::array<field_value, N> fields;
    bool top_level_object = false;
    std::string duplicate; // a name given twice in one object, which stops the parse
    std::string error_message;

    bool null() { return scalar(field_value::kind::other); }
    bool boolean(bool) { return scalar(field_value::kind::other); }
    bool number_integer(json::number_integer_t v) { return integer(v); }
    bool number_unsigned(json::number_unsigned_t v) {
        if (v > static_cast<json::number_unsigned_t>(std::numeric_limits<int64_t>::max())) {
            return scalar(field_value::kind::other);
        }
        return integer(static_cast<int64_t>(v));
    }
    bool number_float(json::number_float_t, const json::string_t&) {
        return scalar(field_value::kind::other);
    }
    bool string(json::string_t& s) {
        if (field_value* f = current()) {
            f->type = field_value::kind::string;
            f->text = std::move(s);
        }
        return true;
    }
    bool binary(json::binary_t&) { return scalar(field_value::kind::other); }
    bool start_object(size_t) {
        if (_depth >= 1) {
            _nested_keys.emplace_back(); // a nested object: its names, to find one given twice
        }
        return open(true);
    }
    bool end_object() {
        if (_depth >= 2) {
            _nested_keys.pop_back();
        }
        return close();
    }
    bool start_array(size_t) { return open(false); }
    bool end_array() { return close(); }
    bool key(json::string_t& k) {
        if (_depth != 1) {
            if (!_nested_keys.back().insert(k).second) {
                duplicate = std::move(k);
                return false;
            }
            return true;
        }
        _current = N;
        for (size_t i = 0; i < N; ++i) {
            if (_names[i] == k) {
                _current = i;
            }
        }
        // A field's own slot tells whether it came before; other names are remembered (an
        // event has none, so this costs nothing then).
        const bool twice = _current < N ? fields[_current].type != field_value::kind::absent
                                        : !_unknown_keys.insert(k).second;
        if (twice) {
            duplicate = std::move(k);
            return false;
        }
        return true;
    }
    bool parse_error(size_t, const std::string&, const nlohmann::detail::exception& e) {
        error_message = e.what();
        return false;
    }

private:
    // The field a value at the current place belongs to: only values directly in the
    // top-level object belong to one.
    field_value* current() { return _depth == 1 && _current < N ? &fields[_current] : nullptr; }
    bool scalar(field_value::kind type) {
        if (field_value* f = current()) {
            f->type = type;
        }
        return true;
    }
    bool integer(int64_t v) {
        if (field_value* f = current()) {
            f->type = field_value::kind::integer;
            f->integer = v;
        }
        return true;
    }
    bool open(bool object) {
        if (_depth == 0) {
            top_level_object = object;
        } else {
            scalar(field_value::kind::other); // a nested value is no field's
        }
        ++_depth;
        return true;
    }
    bool close() {
        --_depth;
        return true;
    }

    const std::array<std::string_view, N>& _names;
    size_t _depth = 0;
    size_t _current = N;
    std::unordered_set<std::string> _unknown_keys;             // of the top-level object
    std::vector<std::unordered_set<std::string>> _nested_keys; // of each open nested object
};

// Parses `in` as a flat object with the fields `names`, each of which must be present and
// an integer (ints[i]) or a string; throws serde_error naming what is wrong.
template <size_t N>
std::array<field_value, N> read_object(nullable_bytes in, const char* what,
                                       const std::array<std::string_view, N>& names,
                                       const std::array<bool, N>& ints) {
    if (!in) {
        throw serde_error(std::string(what) + " cannot be null");
    }
    std::string error;
    if (!check_json_text(*in, error)) {
        throw serde_error(std::string(what) + ": " + error);
    }
    flat_object_reader<N> reader(names);
    if (!nlohmann::json::sax_parse(in->begin(), in->end(), &reader,
                                   nlohmann::json::input_format_t::json, true)) {
        if (!reader.duplicate.empty()) {
            throw serde_error(fmt::format("{} has field '{}' twice", what, reader.duplicate));
        }
        throw serde_error(std::string(what) + " is not valid JSON: " + reader.error_message);
    }
    if (!reader.top_level_object) {
        throw serde_error(std::string(what) + " is not a JSON object");
    }
    for (size_t i = 0; i < N; ++i) {
        const field_value& f = reader.fields[i];
        if (f.type == field_value::kind::absent) {
            throw serde_error(fmt::format("{} has no field '{}'", what, names[i]));
        }
        if (ints[i] && f.type != field_value::kind::integer) {
            throw serde_error(
                fmt::format("{}: '{}' must be an integer from -2^63 to 2^63-1", what, names[i]));
        }
        if (!ints[i] && f.type != field_value::kind::string) {
            throw serde_error(fmt::format("{}: '{}' must be a string", what, names[i]));
        }
    }
    return std::move(reader.fields);
}

// `s` as a JSON string, quotes included. Strings come from a parse (valid UTF-8) or from
// the generator (ASCII); only quotes, backslashes and control characters need escaping.
inline void append_json_string(std::string& out, std::string_view s) {
    out.push_back('"');
    for (const char c : s) {
        if (c == '"' || c == '\\') {
            out.push_back('\\');
            out.push_back(c);
        } else if (static_cast<unsigned char>(c) < 0x20) {
            fmt::format_to(std::back_inserter(out), "\\u{:04x}", static_cast<unsigned>(c));
        } else {
            out.push_back(c);
        }
    }
    out.push_back('"');
}

inline void append_int64(std::string& buffer, int64_t v) {
    for (int shift = 56; shift >= 0; shift -= 8) {
        buffer.push_back(static_cast<char>((static_cast<uint64_t>(v) >> shift) & 0xff));
    }
}

inline void put_int64s(std::string& buffer, std::initializer_list<int64_t> values) {
    buffer.clear();
    for (const int64_t v : values) {
        append_int64(buffer, v);
    }
}

template <size_t N>
std::array<int64_t, N> get_int64s(nullable_bytes in, const char* what) {
    if (!in || in->size() != N * 8) {
        throw serde_error(fmt::format("{} must be {} bytes, got {}", what, N * 8,
                                      in ? std::to_string(in->size()) : std::string("null")));
    }
    std::array<int64_t, N> out{};
    for (size_t i = 0; i < N; ++i) {
        uint64_t v = 0;
        for (size_t b = 0; b < 8; ++b) {
            v = (v << 8) | static_cast<unsigned char>((*in)[i * 8 + b]);
        }
        out[i] = static_cast<int64_t>(v);
    }
    return out;
}

} // namespace brook::apps::nexmark::wire
