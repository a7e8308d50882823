#include "state/key_encoding.h"

#include <limits>
#include <stdexcept>

#include <fmt/format.h>

#include "state/store_context.h"

namespace brook::state {

namespace {

constexpr size_t length_bytes = 4;
constexpr size_t time_bytes = 8;

void append_u32_be(std::string& out, uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) {
        out.push_back(static_cast<char>((v >> shift) & 0xff));
    }
}

uint32_t read_u32_be(std::string_view in, size_t at) {
    uint32_t v = 0;
    for (size_t i = 0; i < length_bytes; ++i) {
        v = (v << 8) | static_cast<unsigned char>(in[at + i]);
    }
    return v;
}

void append_time(std::string& out, int64_t time) {
    // Negative times would sort after every positive one once cast to unsigned: reject
    // them here rather than store entries that range scans cannot find.
    if (time < 0) {
        throw std::invalid_argument(fmt::format(
            "store key time {} is negative: window and session times must be >= 0", time));
    }
    append_u64_be(out, static_cast<uint64_t>(time));
}

// Reads the [u32 length][key] head of an encoded key and checks that exactly
// `trailing_times` u64 times follow it.
std::string_view read_key(std::string_view encoded, size_t trailing_times, const char* kind) {
    const size_t tail = trailing_times * time_bytes;
    if (encoded.size() < length_bytes + tail) {
        throw state_error(fmt::format(
            "malformed {} key: {} bytes is shorter than the {}-byte minimum; the changelog or "
            "store holds data not written by a Brook {} store (check the store name and "
            "changelog topic, or wipe the local state)",
            kind, encoded.size(), length_bytes + tail, kind));
    }
    const uint32_t length = read_u32_be(encoded, 0);
    if (static_cast<uint64_t>(length) + length_bytes + tail != encoded.size()) {
        throw state_error(fmt::format(
            "malformed {} key: length prefix says {} key bytes but the entry has {} bytes in "
            "all; the changelog or store holds data not written by a Brook {} store (check "
            "the store name and changelog topic, or wipe the local state)",
            kind, length, encoded.size(), kind));
    }
    return encoded.substr(length_bytes, length);
}

int64_t read_time(std::string_view encoded, size_t at, const char* kind) {
    const uint64_t raw = read_u64_be(encoded, at);
    if (raw > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        throw state_error(fmt::format(
            "malformed {} key: time field {:#x} is negative; the changelog or store holds data "
            "not written by a Brook {} store (check the store name and changelog topic, or "
            "wipe the local state)",
            kind, raw, kind));
    }
    return static_cast<int64_t>(raw);
}

} // namespace

std::string encode_key_prefix(std::string_view key) {
    if (key.size() > std::numeric_limits<uint32_t>::max()) {
        throw std::invalid_argument(fmt::format(
            "store key of {} bytes is too long: keys are limited to 4 GiB", key.size()));
    }
    std::string out;
    out.reserve(length_bytes + key.size() + 2 * time_bytes);
    append_u32_be(out, static_cast<uint32_t>(key.size()));
    out.append(key);
    return out;
}

void append_u64_be(std::string& out, uint64_t v) {
    for (int shift = 56; shift >= 0; shift -= 8) {
        out.push_back(static_cast<char>((v >> shift) & 0xff));
    }
}

uint64_t read_u64_be(std::string_view in, size_t at) {
    if (at > in.size() || in.size() - at < time_bytes) {
        throw state_error(fmt::format("cannot read a u64 at byte {} of a {}-byte store entry: the "
                                      "entry is truncated or not written by Brook",
                                      at, in.size()));
    }
    uint64_t v = 0;
    for (size_t i = 0; i < time_bytes; ++i) {
        v = (v << 8) | static_cast<unsigned char>(in[at + i]);
    }
    return v;
}

std::string encode_window_key(std::string_view key, int64_t start) {
    std::string out = encode_key_prefix(key);
    append_time(out, start);
    return out;
}

decoded_window_key decode_window_key(std::string_view encoded) {
    const std::string_view key = read_key(encoded, 1, "window");
    return {key, read_time(encoded, encoded.size() - time_bytes, "window")};
}

std::string encode_session_key(std::string_view key, int64_t start, int64_t end) {
    std::string out = encode_key_prefix(key);
    append_time(out, end);
    append_time(out, start);
    return out;
}

decoded_session_key decode_session_key(std::string_view encoded) {
    const std::string_view key = read_key(encoded, 2, "session");
    const int64_t end = read_time(encoded, encoded.size() - 2 * time_bytes, "session");
    const int64_t start = read_time(encoded, encoded.size() - time_bytes, "session");
    if (start > end) {
        throw state_error(fmt::format(
            "malformed session key: start {} is after end {}; the changelog or store holds data "
            "not written by a Brook session store (check the store name and changelog topic, or "
            "wipe the local state)",
            start, end));
    }
    return {key, start, end};
}

std::string prefix_upper_bound(std::string_view prefix) {
    std::string bound(prefix);
    // Drop trailing 0xff bytes (they cannot be incremented), then bump the last byte left.
    while (!bound.empty() && static_cast<unsigned char>(bound.back()) == 0xff) {
        bound.pop_back();
    }
    if (!bound.empty()) {
        bound.back() = static_cast<char>(static_cast<unsigned char>(bound.back()) + 1);
    }
    return bound;
}

} // namespace brook::state
