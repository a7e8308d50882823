#include "engine/runtime/fan_in_watermark.h"

#include <algorithm>
#include <charconv>
#include <limits>

#include <fmt/format.h>

#include "engine/runtime/progress_marker.h"

namespace brook {

namespace {

// Bounds for text read back from a commit: a group of more tasks than this is not ours.
constexpr int32_t max_tasks = 100000;

bool parse_int(std::string_view text, int64_t& out) {
    if (text.empty()) {
        return false;
    }
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc() && end == text.data() + text.size();
}

// Splits `text` at the first `sep`: returns the head and leaves the rest in `text`.
std::string_view take(std::string_view& text, char sep) {
    const size_t at = text.find(sep);
    const std::string_view head = text.substr(0, at);
    text = at == std::string_view::npos ? std::string_view{} : text.substr(at + 1);
    return head;
}

} // namespace

fan_in_watermark::fan_in_watermark(const std::vector<writer_group>& groups) {
    for (const auto& g : groups) {
        _groups.push_back({g.subtopology, std::vector<writer>(static_cast<size_t>(
                                              std::clamp<int32_t>(g.tasks, 0, max_tasks)))});
    }
}

bool fan_in_watermark::observe(const progress_marker& marker, const idle_check& confirm) {
    for (auto& g : _groups) {
        if (g.subtopology != marker.subtopology) {
            continue;
        }
        if (marker.partition < 0 || static_cast<size_t>(marker.partition) >= g.writers.size()) {
            return false;
        }
        writer& w = g.writers[static_cast<size_t>(marker.partition)];
        w.time = std::max(w.time, marker.stream_time);
        w.state = marker.idle ? writer_state::idle : writer_state::active;
        w.wall = marker.wall_ms;
        w.ends = marker.ends;
        return recompute(confirm);
    }
    return false;
}

void fan_in_watermark::raise_to(int64_t time) {
    _value = std::max(_value, time);
}

std::optional<int64_t> fan_in_watermark::candidate(const idle_check& confirm) const {
    int64_t largest = -1;
    int64_t smallest_active = std::numeric_limits<int64_t>::max();
    bool any_active = false;
    for (const auto& g : _groups) {
        for (size_t p = 0; p < g.writers.size(); ++p) {
            const writer& w = g.writers[p];
            if (w.state == writer_state::unknown) {
                return std::nullopt; // a writer not heard from may still send anything
            }
            largest = std::max(largest, w.time);
            const bool idle = w.state == writer_state::idle && confirm &&
                              confirm(g.subtopology, static_cast<int32_t>(p), w.ends, w.wall);
            if (!idle) {
                any_active = true;
                smallest_active = std::min(smallest_active, w.time);
            }
        }
    }
    return any_active ? smallest_active : largest;
}

bool fan_in_watermark::recompute(const idle_check& confirm) {
    const std::optional<int64_t> c = candidate(confirm);
    if (!c || *c <= _value) {
        return false;
    }
    _value = *c;
    return true;
}

bool fan_in_watermark::waits_on_idle_writers() const {
    const std::optional<int64_t> c =
        candidate([](int, int32_t, const std::vector<int64_t>&, int64_t) { return true; });
    return c && *c > _value;
}

std::string fan_in_watermark::encode() const {
    std::string out;
    for (const auto& g : _groups) {
        if (!out.empty()) {
            out += '|';
        }
        fmt::format_to(std::back_inserter(out), "{}/{}=", g.subtopology, g.writers.size());
        for (size_t i = 0; i < g.writers.size(); ++i) {
            if (i > 0) {
                out += ',';
            }
            const writer& w = g.writers[i];
            if (w.state == writer_state::unknown) {
                out += '?';
                continue;
            }
            fmt::format_to(std::back_inserter(out), "{}", w.time);
            if (w.state == writer_state::idle) {
                fmt::format_to(std::back_inserter(out), "i{}", w.wall);
                for (const int64_t e : w.ends) {
                    fmt::format_to(std::back_inserter(out), "~{}", e);
                }
            }
        }
    }
    return out;
}

bool fan_in_watermark::restore(std::string_view text) {
    std::vector<group> restored = _groups;
    for (auto& g : restored) {
        std::string_view part = take(text, '|');
        std::string_view head = take(part, '=');
        int64_t st = 0;
        int64_t tasks = 0;
        if (!parse_int(take(head, '/'), st) || !parse_int(head, tasks) || st != g.subtopology ||
            tasks != static_cast<int64_t>(g.writers.size())) {
            return false;
        }
        for (auto& w : g.writers) {
            std::string_view entry = take(part, ',');
            if (entry == "?") {
                w = {};
                continue;
            }
            const size_t idle_at = entry.find('i');
            int64_t time = 0;
            if (!parse_int(entry.substr(0, idle_at), time) || time < -1) {
                return false;
            }
            writer restored_writer{time, writer_state::active, 0, {}};
            if (idle_at != std::string_view::npos) {
                std::string_view rest = entry.substr(idle_at + 1);
                restored_writer.state = writer_state::idle;
                if (!parse_int(take(rest, '~'), restored_writer.wall) || restored_writer.wall < 0) {
                    return false;
                }
                while (!rest.empty()) {
                    int64_t e = 0;
                    if (!parse_int(take(rest, '~'), e) || e < -1 ||
                        restored_writer.ends.size() >= progress_marker::max_inputs) {
                        return false;
                    }
                    restored_writer.ends.push_back(e);
                }
            }
            w = std::move(restored_writer);
        }
        if (!part.empty()) {
            return false; // more entries than writers
        }
    }
    if (!text.empty()) {
        return false; // more groups than this topology has
    }
    _groups = std::move(restored);
    return true;
}

} // namespace brook
