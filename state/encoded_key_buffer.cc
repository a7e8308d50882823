#include "state/encoded_key_buffer.h"

#include <limits>
#include <stdexcept>

#include <fmt/format.h>

#include "state/key_encoding.h"

namespace brook::state {

std::string_view encoded_key_buffer::prefix(std::string_view key) {
    if (key.size() > std::numeric_limits<uint32_t>::max()) {
        throw std::invalid_argument(fmt::format(
            "store key of {} bytes is too long: keys are limited to 4 GiB", key.size()));
    }
    const auto length = static_cast<uint32_t>(key.size());
    _buffer.clear();
    for (int shift = 24; shift >= 0; shift -= 8) {
        _buffer.push_back(static_cast<char>((length >> shift) & 0xff));
    }
    _buffer.append(key);
    return _buffer;
}

void encoded_key_buffer::append_time(int64_t time) {
    if (time < 0) {
        throw std::invalid_argument(fmt::format(
            "store key time {} is negative: window and session times must be >= 0", time));
    }
    append_u64_be(_buffer, static_cast<uint64_t>(time));
}

std::string_view encoded_key_buffer::window(std::string_view key, int64_t start) {
    prefix(key);
    append_time(start);
    return _buffer;
}

std::string_view encoded_key_buffer::session(std::string_view key, int64_t start, int64_t end) {
    prefix(key);
    append_time(end);
    append_time(start);
    return _buffer;
}

} // namespace brook::state
