#pragma once

// The byte layouts of a stream-stream join's stores.
//
// join_list_serde<VS>: std::vector<V> as a list of values, each written by VS. A window
// store keeps one entry per (key, timestamp), so records of one key with equal timestamps
// share the entry as a list (Kafka Streams' join stores retain duplicates instead).
// Layout per element: one flag byte (0 null, 1 present), and when present a 4-byte
// big-endian length and the bytes. Reading checks every length against what is left and
// throws serde_error for a truncated or oversized list.
//
// outer_join_key: the key of the shared store of unmatched records of a left or outer
// join: 8-byte big-endian timestamp, one byte for the side (0 left, 1 right), then the
// record key's bytes, so the store iterates in time order (Kafka Streams'
// TimestampedKeyAndJoinSide). Timestamps are never negative here (Kafka's are not).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/errors.h"
#include "engine/serde/serde.h"

namespace brook {

namespace detail {

inline void append_be32(std::string& out, uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) {
        out.push_back(static_cast<char>((v >> shift) & 0xFF));
    }
}

inline uint32_t read_be32(std::string_view in) {
    uint32_t v = 0;
    for (size_t i = 0; i < 4; ++i) {
        v = (v << 8) | static_cast<unsigned char>(in[i]);
    }
    return v;
}

inline void append_be64(std::string& out, uint64_t v) {
    for (int shift = 56; shift >= 0; shift -= 8) {
        out.push_back(static_cast<char>((v >> shift) & 0xFF));
    }
}

inline uint64_t read_be64(std::string_view in) {
    uint64_t v = 0;
    for (size_t i = 0; i < 8; ++i) {
        v = (v << 8) | static_cast<unsigned char>(in[i]);
    }
    return v;
}

} // namespace detail

// Encodes values written by `serde` into `out` (appending), in the list layout above.
template <class VS, class V>
void append_join_value(const VS& serde, const V& value, std::string& out) {
    std::string buffer;
    const nullable_bytes bytes = serde.serialize(value, buffer);
    if (!bytes) {
        out.push_back('\0');
        return;
    }
    if (bytes->size() > UINT32_MAX) {
        throw serde_error("join store: a value of more than 4 GiB cannot be stored");
    }
    out.push_back('\1');
    detail::append_be32(out, static_cast<uint32_t>(bytes->size()));
    out.append(*bytes);
}

// Calls visit(nullable_bytes) for each element of a list in the layout above. Throws
// serde_error when the bytes are not such a list.
template <class Visit>
void for_each_join_value(std::string_view in, Visit&& visit) {
    while (!in.empty()) {
        const char flag = in.front();
        in.remove_prefix(1);
        if (flag == '\0') {
            visit(nullable_bytes{});
            continue;
        }
        if (flag != '\1' || in.size() < 4) {
            throw serde_error("join store: a stored value list is corrupt (bad flag or length)");
        }
        const uint32_t size = detail::read_be32(in);
        in.remove_prefix(4);
        if (size > in.size()) {
            throw serde_error("join store: a stored value list is truncated");
        }
        visit(nullable_bytes{in.substr(0, size)});
        in.remove_prefix(size);
    }
}

template <class VS>
class join_list_serde {
public:
    using element_type =
        std::remove_cvref_t<decltype(std::declval<const VS&>().deserialize(nullable_bytes{}))>;
    using value_type = std::vector<element_type>;

    join_list_serde() = default;
    explicit join_list_serde(VS inner) : _inner(std::move(inner)) {}

    nullable_bytes serialize(const value_type& values, std::string& buffer) const {
        buffer.clear();
        for (const auto& v : values) {
            append_join_value(_inner, v, buffer);
        }
        return std::string_view(buffer);
    }
    value_type deserialize(nullable_bytes in) const {
        value_type out;
        if (!in) {
            return out;
        }
        for_each_join_value(*in, [&](nullable_bytes b) { out.push_back(_inner.deserialize(b)); });
        return out;
    }

private:
    [[no_unique_address]] VS _inner{};
};

enum class join_side : uint8_t { left = 0, right = 1 };

struct outer_join_key {
    int64_t timestamp = 0;
    join_side side = join_side::left;
    std::string key; // the record key's serialized bytes

    std::string encode() const {
        std::string out;
        out.reserve(9 + key.size());
        detail::append_be64(out, static_cast<uint64_t>(timestamp));
        out.push_back(static_cast<char>(side));
        out.append(key);
        return out;
    }
    // Throws serde_error when `in` is not an encoded key.
    static outer_join_key decode(std::string_view in) {
        if (in.size() < 9 || static_cast<uint8_t>(in[8]) > 1) {
            throw serde_error("join store: a stored outer-join key is corrupt");
        }
        return outer_join_key{static_cast<int64_t>(detail::read_be64(in)),
                              static_cast<join_side>(in[8]), std::string(in.substr(9))};
    }
};

} // namespace brook
