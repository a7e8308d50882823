#pragma once

// How window and session stores lay out their keys, in the store and in the changelog:
//
//   window key:  [u32 big-endian key length][key bytes][u64 big-endian window start]
//   session key: [u32 big-endian key length][key bytes][u64 big-endian end][u64 big-endian start]
//
// The length prefix keeps one key's entries adjacent (no key is a prefix of another's
// encoding) and big-endian times keep them time-ordered under byte comparison.
// Times are >= 0. Decoders throw state_error on malformed input (a changelog written by
// something else).

#include <cstdint>
#include <string>
#include <string_view>

namespace brook::state {

// [u32 length][key]: the common prefix of every entry of one key.
std::string encode_key_prefix(std::string_view key);
void append_u64_be(std::string& out, uint64_t v);
uint64_t read_u64_be(std::string_view in, size_t at);

std::string encode_window_key(std::string_view key, int64_t start);
struct decoded_window_key {
    std::string_view key;
    int64_t start;
};
decoded_window_key decode_window_key(std::string_view encoded);

std::string encode_session_key(std::string_view key, int64_t start, int64_t end);
struct decoded_session_key {
    std::string_view key;
    int64_t start;
    int64_t end;
};
decoded_session_key decode_session_key(std::string_view encoded);

// The smallest key greater than every key that starts with `prefix`: the exclusive upper
// bound of a prefix scan. Empty when there is none (`prefix` empty or all 0xff bytes),
// which key_value_store::range reads as "no upper bound".
std::string prefix_upper_bound(std::string_view prefix);

} // namespace brook::state
