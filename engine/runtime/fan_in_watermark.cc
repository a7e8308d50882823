#include "engine/runtime/fan_in_watermark.h"

#include <algorithm>
#include <charconv>
#include <limits>

#include <fmt/format.h>

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

bool fan_in_watermark::observe(int subtopology, int32_t partition, int64_t time, bool idle) {
    for (auto& g : _groups) {
        if (g.subtopology != subtopology) {
            continue;
        }
        if (partition < 0 || static_cast<size_t>(partition) >= g.writers.size()) {
            return false;
        }
        writer& w = g.writers[static_cast<size_t>(partition)];
        w.time = std::max(w.time, time);
        w.state = idle ? writer_state::idle : writer_state::active;
        return recompute();
    }
    return false;
}

void fan_in_watermark::raise_to(int64_t time) {
    _value = std::max(_value, time);
}

bool fan_in_watermark::recompute() {
    int64_t largest = -1;
    int64_t smallest_active = std::numeric_limits<int64_t>::max();
    bool any_active = false;
    for (const auto& g : _groups) {
        for (const auto& w : g.writers) {
            if (w.state == writer_state::unknown) {
                return false; // a writer not heard from may still send anything
            }
            largest = std::max(largest, w.time);
            if (w.state == writer_state::active) {
                any_active = true;
                smallest_active = std::min(smallest_active, w.time);
            }
        }
    }
    const int64_t candidate = any_active ? smallest_active : largest;
    if (candidate <= _value) {
        return false;
    }
    _value = candidate;
    return true;
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
            } else {
                fmt::format_to(std::back_inserter(out), "{}{}", w.time,
                               w.state == writer_state::idle ? "i" : "");
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
            const bool idle = !entry.empty() && entry.back() == 'i';
            if (idle) {
                entry.remove_suffix(1);
            }
            int64_t time = 0;
            if (!parse_int(entry, time) || time < -1) {
                return false;
            }
            w = {time, idle ? writer_state::idle : writer_state::active};
        }
        if (!part.empty()) {
            return false; // more entries than writers
        }
    }
    if (!text.empty()) {
        return false; // more groups than this topology has
    }
    _groups = std::move(restored);
    recompute();
    return true;
}

} // namespace brook
