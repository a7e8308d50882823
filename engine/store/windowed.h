#pragma once

// windowed<K>: the key of a windowed aggregation's result, as Kafka Streams' Windowed<K>:
// the record key and the window it belongs to. Time windows are [start, end) with
// end = start + size; sliding windows are [start, end] with end = start + time difference
// (both ends inclusive, as Kafka Streams defines them); sessions are [start, end], the
// timestamps of their first and last record.
//
// windowed_serde<KS> writes a windowed key as
//
//   [key bytes as KS writes them][u64 big-endian start][u64 big-endian end]
//
// so that a reader needs no window size (Kafka Streams' TimeWindowedSerde writes only the
// start and asks the reader for the size; its SessionWindowedSerde writes end, then start:
// Brook's one layout serves every window kind, and is not byte-compatible with either).

#include <compare>
#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>

#include "engine/serde/serdes.h"

namespace brook {

template <class K>
struct windowed {
    K key{};
    int64_t start = 0;
    int64_t end = 0;

    bool operator==(const windowed&) const = default;
    // By key, then start, then end (so a std::map of windowed keys groups one key's windows).
    auto operator<=>(const windowed&) const = default;
};

namespace detail {

// Whether T is a windowed<K> (the key of a windowed table).
template <class T>
struct is_windowed_key : std::false_type {};
template <class K>
struct is_windowed_key<windowed<K>> : std::true_type {};

// Writes v big-endian into out[0..8).
inline void write_u64_be(char* out, uint64_t v) {
    for (int i = 0; i < 8; ++i) {
        out[i] = static_cast<char>(static_cast<unsigned char>(v >> (56 - 8 * i)));
    }
}

inline uint64_t read_u64_be(std::string_view in, size_t at) {
    uint64_t v = 0;
    for (size_t i = 0; i < 8; ++i) {
        v = (v << 8) | static_cast<unsigned char>(in[at + i]);
    }
    return v;
}

// Builds `prefix_bytes` + the inner serialization in `buffer` without a second buffer:
// the inner serde may have written into `buffer` (then its view points there) or returned
// a view of the value itself (string-like serdes are zero-copy).
inline std::string_view prepend_or_append(std::string& buffer, std::string_view inner,
                                          std::string_view prefix, std::string_view suffix) {
    const char* base = buffer.data();
    if (!inner.empty() && inner.data() >= base && inner.data() < base + buffer.size()) {
        const size_t offset = static_cast<size_t>(inner.data() - base);
        const size_t size = inner.size();
        buffer.erase(offset + size);
        buffer.erase(0, offset);
        buffer.insert(0, prefix);
        buffer.append(suffix);
    } else {
        // `inner` views the value itself, which changing `buffer` leaves alone.
        buffer.clear();
        buffer.append(prefix);
        buffer.append(inner);
        buffer.append(suffix);
    }
    return std::string_view(buffer);
}

} // namespace detail

// Serde of windowed<K> over a serde KS for K; the layout is in the comment at the top.
// Throws serde_error when the key serializes to null (a windowed key always has a key) and
// when the bytes are shorter than the 16 bytes of start and end.
template <class KS>
class windowed_serde {
public:
    using key_type = std::remove_cvref_t<decltype(std::declval<const KS&>().deserialize(
        std::declval<nullable_bytes>()))>;
    using value_type = windowed<key_type>;

    windowed_serde() = default;
    explicit windowed_serde(KS inner) : _inner(std::move(inner)) {}

    nullable_bytes serialize(const value_type& w, std::string& buffer) const {
        const nullable_bytes key = _inner.serialize(w.key, buffer);
        if (!key) {
            throw serde_error("windowed key: the key serializes to null");
        }
        char times[16];
        detail::write_u64_be(times, static_cast<uint64_t>(w.start));
        detail::write_u64_be(times + 8, static_cast<uint64_t>(w.end));
        return detail::prepend_or_append(buffer, *key, {}, std::string_view(times, 16));
    }

    value_type deserialize(nullable_bytes in) const {
        if (!in || in->size() < 16) {
            throw serde_error("windowed key needs at least 16 bytes (start and end), got " +
                              (in ? std::to_string(in->size()) + " bytes" : std::string("null")));
        }
        const size_t key_size = in->size() - 16;
        value_type out;
        out.key = _inner.deserialize(in->substr(0, key_size));
        out.start = static_cast<int64_t>(detail::read_u64_be(*in, key_size));
        out.end = static_cast<int64_t>(detail::read_u64_be(*in, key_size + 8));
        return out;
    }

private:
    [[no_unique_address]] KS _inner{};
};

template <class K>
struct default_serde<windowed<K>> : windowed_serde<default_serde<K>> {};

} // namespace brook
