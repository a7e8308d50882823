#pragma once

// encoded_key_buffer: builds window and session keys in the layout of key_encoding.h into
// one reused string, so that layers encoding a key per record (caching, change-logging)
// do not allocate once the buffer has grown to fit. encode_window_key() and
// encode_session_key() produce the same bytes in a fresh string.
//
// Lifecycle: a member of its layer; each call overwrites the previous key, so the view it
// returns is valid until the next call. Threading: the owner's thread only.

#include <cstdint>
#include <string>
#include <string_view>

namespace brook::state {

class encoded_key_buffer {
public:
    // [u32 length][key]. Throws std::invalid_argument when the key exceeds 4 GiB.
    std::string_view prefix(std::string_view key);
    // [u32 length][key][u64 start]. Throws std::invalid_argument when start < 0.
    std::string_view window(std::string_view key, int64_t start);
    // [u32 length][key][u64 end][u64 start]. Throws std::invalid_argument when a time < 0.
    std::string_view session(std::string_view key, int64_t start, int64_t end);

private:
    void append_time(int64_t time);

    std::string _buffer;
};

} // namespace brook::state
