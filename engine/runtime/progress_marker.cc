#include "engine/runtime/progress_marker.h"

#include <array>
#include <charconv>

#include <fmt/format.h>

namespace brook {

std::string progress_marker::encode() const {
    return fmt::format("{}.{}.{}.{}.{}", subtopology, partition, tasks, stream_time,
                       idle ? 'i' : 'a');
}

std::optional<progress_marker> progress_marker::parse(std::string_view value) {
    constexpr size_t max_length = 80; // five numbers and dots
    if (value.empty() || value.size() > max_length) {
        return std::nullopt;
    }
    std::array<int64_t, 4> numbers{};
    const char* p = value.data();
    const char* end = value.data() + value.size();
    for (auto& n : numbers) {
        const auto [next, ec] = std::from_chars(p, end, n);
        if (ec != std::errc() || next == end || *next != '.') {
            return std::nullopt;
        }
        p = next + 1;
    }
    if (end - p != 1 || (*p != 'a' && *p != 'i')) {
        return std::nullopt;
    }
    constexpr int64_t max_index = 1'000'000;
    if (numbers[0] < 0 || numbers[0] > max_index || numbers[1] < 0 || numbers[1] > max_index ||
        numbers[2] < 1 || numbers[2] > max_index || numbers[1] >= numbers[2] || numbers[3] < -1) {
        return std::nullopt;
    }
    progress_marker m;
    m.subtopology = static_cast<int>(numbers[0]);
    m.partition = static_cast<int32_t>(numbers[1]);
    m.tasks = static_cast<int32_t>(numbers[2]);
    m.stream_time = numbers[3];
    m.idle = *p == 'i';
    return m;
}

} // namespace brook
