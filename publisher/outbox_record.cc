#include "publisher/outbox_record.h"

#include <array>

namespace brook::publisher {

namespace {

constexpr uint8_t format_version = 1;
constexpr uint8_t flag_key = 1;
constexpr uint8_t flag_value = 2;
constexpr uint8_t flag_dead_letter = 4;

void put_u64(std::string& out, uint64_t v) {
    std::array<char, 8> b{};
    for (size_t i = 0; i < b.size(); ++i) {
        b[i] = static_cast<char>((v >> (8 * i)) & 0xff);
    }
    out.append(b.data(), b.size());
}

bool get_u64(std::string_view in, size_t& pos, uint64_t& v) {
    if (in.size() - pos < 8) {
        return false;
    }
    v = 0;
    for (size_t i = 0; i < 8; ++i) {
        v |= static_cast<uint64_t>(static_cast<uint8_t>(in[pos + i])) << (8 * i);
    }
    pos += 8;
    return true;
}

} // namespace

namespace detail {

void put_u32(std::string& out, uint32_t v) {
    std::array<char, 4> b{};
    for (size_t i = 0; i < b.size(); ++i) {
        b[i] = static_cast<char>((v >> (8 * i)) & 0xff);
    }
    out.append(b.data(), b.size());
}

void put_bytes(std::string& out, std::string_view bytes) {
    put_u32(out, static_cast<uint32_t>(bytes.size()));
    out.append(bytes);
}

bool get_u32(std::string_view in, size_t& pos, uint32_t& v) {
    if (in.size() - pos < 4) {
        return false;
    }
    v = 0;
    for (size_t i = 0; i < 4; ++i) {
        v |= static_cast<uint32_t>(static_cast<uint8_t>(in[pos + i])) << (8 * i);
    }
    pos += 4;
    return true;
}

bool get_bytes(std::string_view in, size_t& pos, std::string_view& v) {
    uint32_t n = 0;
    if (!get_u32(in, pos, n) || in.size() - pos < n) {
        return false;
    }
    v = in.substr(pos, n);
    pos += n;
    return true;
}

} // namespace detail

void encode(const outbox_record& r, std::string& out) {
    out.push_back(static_cast<char>(format_version));
    uint8_t flags = 0;
    flags |= r.key ? flag_key : 0;
    flags |= r.value ? flag_value : 0;
    flags |= r.dead_letter ? flag_dead_letter : 0;
    out.push_back(static_cast<char>(flags));
    detail::put_u32(out, r.attempts);
    put_u64(out, static_cast<uint64_t>(r.accepted_ms));
    put_u64(out, static_cast<uint64_t>(r.first_failure_ms));
    put_u64(out, static_cast<uint64_t>(r.last_failure_ms));
    detail::put_bytes(out, r.topic);
    detail::put_bytes(out, r.key ? *r.key : std::string_view());
    detail::put_bytes(out, r.value ? *r.value : std::string_view());
    detail::put_bytes(out, r.last_error);
    detail::put_u32(out, r.header_count);
    out.append(r.encoded_headers);
}

std::optional<outbox_record> decode(std::string_view in) {
    using namespace detail;
    if (in.size() < 2 || static_cast<uint8_t>(in[0]) != format_version) {
        return std::nullopt;
    }
    const auto flags = static_cast<uint8_t>(in[1]);
    size_t pos = 2;
    outbox_record r;
    uint64_t accepted = 0;
    uint64_t first = 0;
    uint64_t last = 0;
    std::string_view key;
    std::string_view value;
    if (!get_u32(in, pos, r.attempts) || !get_u64(in, pos, accepted) || !get_u64(in, pos, first) ||
        !get_u64(in, pos, last) || !get_bytes(in, pos, r.topic) || !get_bytes(in, pos, key) ||
        !get_bytes(in, pos, value) || !get_bytes(in, pos, r.last_error) ||
        !get_u32(in, pos, r.header_count)) {
        return std::nullopt;
    }
    r.accepted_ms = static_cast<int64_t>(accepted);
    r.first_failure_ms = static_cast<int64_t>(first);
    r.last_failure_ms = static_cast<int64_t>(last);
    r.key = (flags & flag_key) != 0 ? nullable_bytes(key) : std::nullopt;
    r.value = (flags & flag_value) != 0 ? nullable_bytes(value) : std::nullopt;
    r.dead_letter = (flags & flag_dead_letter) != 0;
    // Walk the headers once so that for_each_header() may trust every length.
    const size_t headers_start = pos;
    for (uint32_t i = 0; i < r.header_count; ++i) {
        std::string_view name;
        std::string_view hvalue;
        if (in.size() - pos < 1) {
            return std::nullopt;
        }
        ++pos;
        if (!get_bytes(in, pos, name) || !get_bytes(in, pos, hvalue)) {
            return std::nullopt;
        }
    }
    if (pos != in.size()) {
        return std::nullopt; // trailing bytes: not a record this version wrote
    }
    r.encoded_headers = in.substr(headers_start, pos - headers_start);
    return r;
}

} // namespace brook::publisher
