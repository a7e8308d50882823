#include "engine/runtime/progress_marker.h"

#include <array>
#include <charconv>

#include <fmt/format.h>

namespace brook {

std::string progress_marker::encode() const {
    std::string out = fmt::format("{}.{}.{}.{}.{}.{}.", subtopology, partition, tasks, stream_time,
                                  idle ? 'i' : 'a', wall_ms);
    for (size_t i = 0; i < ends.size(); ++i) {
        fmt::format_to(std::back_inserter(out), "{}{}", i > 0 ? "," : "", ends[i]);
    }
    return out;
}

namespace {

bool parse_number(const char*& p, const char* end, int64_t& out) {
    const auto [next, ec] = std::from_chars(p, end, out);
    if (ec != std::errc()) {
        return false;
    }
    p = next;
    return true;
}

bool expect(const char*& p, const char* end, char c) {
    if (p == end || *p != c) {
        return false;
    }
    ++p;
    return true;
}

} // namespace

std::optional<progress_marker> progress_marker::parse(std::string_view value) {
    constexpr size_t max_length = 64 + max_inputs * 21;
    if (value.empty() || value.size() > max_length) {
        return std::nullopt;
    }
    const char* p = value.data();
    const char* end = value.data() + value.size();
    std::array<int64_t, 4> numbers{};
    for (auto& n : numbers) {
        if (!parse_number(p, end, n) || !expect(p, end, '.')) {
            return std::nullopt;
        }
    }
    if (p == end || (*p != 'a' && *p != 'i')) {
        return std::nullopt;
    }
    const bool idle = *p++ == 'i';
    int64_t wall = 0;
    if (!expect(p, end, '.') || !parse_number(p, end, wall) || !expect(p, end, '.')) {
        return std::nullopt;
    }
    std::vector<int64_t> ends;
    while (p != end) {
        if (!ends.empty() && !expect(p, end, ',')) {
            return std::nullopt;
        }
        int64_t e = 0;
        if (!parse_number(p, end, e) || e < -1 || ends.size() >= max_inputs) {
            return std::nullopt;
        }
        ends.push_back(e);
    }
    constexpr int64_t max_index = 1'000'000;
    if (numbers[0] < 0 || numbers[0] > max_index || numbers[1] < 0 || numbers[1] > max_index ||
        numbers[2] < 1 || numbers[2] > max_index || numbers[1] >= numbers[2] || numbers[3] < -1 ||
        wall < 0 || (!idle && !ends.empty())) {
        return std::nullopt;
    }
    progress_marker m;
    m.subtopology = static_cast<int>(numbers[0]);
    m.partition = static_cast<int32_t>(numbers[1]);
    m.tasks = static_cast<int32_t>(numbers[2]);
    m.stream_time = numbers[3];
    m.idle = idle;
    m.wall_ms = wall;
    m.ends = std::move(ends);
    return m;
}

} // namespace brook
