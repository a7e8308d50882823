#pragma once

// outbox_record: one event as the outbox stores it: where it goes, its bytes, and its
// delivery history (attempts, failure times, last error, whether it is bound for the
// dead-letter topic).
//
// The stored form is a small versioned binary layout, little-endian, all lengths u32:
//
//   u8 version (1) | u8 flags (1 key, 2 value, 4 dead-letter) | u32 attempts |
//   i64 accepted_ms | i64 first_failure_ms | i64 last_failure_ms |
//   topic | key | value | last_error | u32 header count | per header:
//       u8 has_value | name | value
//
// where each of topic, key, value, last_error, name and value is u32 length + bytes (an
// absent key or value has length 0 and its flag clear). decode() checks every length
// against the bytes at hand, so a damaged entry is reported, never read past.
//
// outbox_record is a view: every string_view points into the bytes it was decoded from
// (or the caller's data when encoding), which must outlive it. Threading: none.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "engine/nullable_bytes.h"

namespace brook::publisher {

// One Kafka record header: a name and bytes that may be null. Views, not owners.
struct message_header {
    std::string_view name;
    nullable_bytes value;
};

struct outbox_record {
    std::string_view topic;
    nullable_bytes key;
    nullable_bytes value;
    // Failed delivery attempts so far (the dead-letter write not included).
    uint32_t attempts = 0;
    // After the last attempt: the next send goes to the dead-letter topic.
    bool dead_letter = false;
    int64_t accepted_ms = 0;      // wall clock when publish() accepted it
    int64_t first_failure_ms = 0; // 0: never failed
    int64_t last_failure_ms = 0;
    std::string_view last_error;

    // The headers, still encoded; visit them with for_each_header().
    std::string_view encoded_headers;
    uint32_t header_count = 0;

    // Calls f(message_header) for each header in order. Only valid on a decoded record
    // (whose encoded_headers decode() checked).
    template <class F>
    void for_each_header(F&& f) const;
};

// Appends the encoded record, with `headers` (count and encoded run, as a decoded record
// carries them), to `out`.
void encode(const outbox_record& record, std::string& out);
// Encodes the headers given as a range of message_header into the form outbox_record
// carries: returns the count and appends the bytes to `out`.
template <class Range>
uint32_t encode_headers(const Range& headers, std::string& out);

// The record the bytes hold, or nullopt when they are not a valid version-1 record.
std::optional<outbox_record> decode(std::string_view bytes);

namespace detail {
void put_u32(std::string& out, uint32_t v);
void put_bytes(std::string& out, std::string_view bytes);
// Reads a u32 at `pos` (advancing it); false when fewer than 4 bytes remain.
bool get_u32(std::string_view in, size_t& pos, uint32_t& v);
bool get_bytes(std::string_view in, size_t& pos, std::string_view& v);
} // namespace detail

template <class Range>
uint32_t encode_headers(const Range& headers, std::string& out) {
    uint32_t count = 0;
    for (const message_header& h : headers) {
        out.push_back(h.value ? '\1' : '\0');
        detail::put_bytes(out, h.name);
        detail::put_bytes(out, h.value ? *h.value : std::string_view());
        ++count;
    }
    return count;
}

template <class F>
void outbox_record::for_each_header(F&& f) const {
    size_t pos = 0;
    for (uint32_t i = 0; i < header_count; ++i) {
        const bool has_value = encoded_headers[pos++] != '\0';
        std::string_view name;
        std::string_view value;
        detail::get_bytes(encoded_headers, pos, name);
        detail::get_bytes(encoded_headers, pos, value);
        f(message_header{name, has_value ? nullable_bytes(value) : std::nullopt});
    }
}

} // namespace brook::publisher
