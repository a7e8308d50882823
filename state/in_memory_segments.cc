#include "state/in_memory_segments.h"

#include <algorithm>
#include <vector>

namespace brook::state {

void in_memory_segments::advance(int64_t time) {
    if (time <= _observed_stream_time) {
        return;
    }
    _observed_stream_time = time;
    const int64_t min_live = _policy.min_live_segment(time);
    _segments.erase(_segments.begin(), _segments.lower_bound(min_live));
}

void in_memory_segments::write(int64_t time, std::string_view key,
                               std::optional<std::string_view> value) {
    advance(_cap.apply(time));
    const int64_t id = _policy.segment_id(time);
    if (!_policy.is_live(id, _observed_stream_time)) {
        ++_expired_puts;
        return;
    }
    if (value) {
        auto& target = _segments[id];
        if (auto it = target.find(key); it != target.end()) {
            it->second.assign(*value);
        } else {
            target.emplace(std::string(key), std::string(*value));
        }
        return;
    }
    if (auto seg = _segments.find(id); seg != _segments.end()) {
        if (auto it = seg->second.find(key); it != seg->second.end()) {
            seg->second.erase(it);
        }
    }
}

void in_memory_segments::write(std::span<const changelog_entry> batch,
                               const std::function<int64_t(std::string_view key)>& time_of) {
    // Decode everything first, so a malformed key leaves the store as it was.
    std::vector<int64_t> times;
    times.reserve(batch.size());
    for (const auto& entry : batch) {
        times.push_back(time_of(entry.key));
    }
    for (size_t i = 0; i < batch.size(); ++i) {
        write(times[i], batch[i].key, batch[i].value);
    }
}

const std::string* in_memory_segments::get(int64_t time, std::string_view key) const {
    auto seg = _segments.find(_policy.segment_id(time));
    if (seg == _segments.end()) {
        return nullptr;
    }
    auto it = seg->second.find(key);
    return it == seg->second.end() ? nullptr : &it->second;
}

void in_memory_segments::for_each_segment(int64_t from, int64_t to,
                                          const std::function<bool(const segment&)>& visit) const {
    from = std::max<int64_t>(from, 0);
    if (to < from) {
        return;
    }
    const auto end = _segments.upper_bound(_policy.segment_id(to));
    for (auto it = _segments.lower_bound(_policy.segment_id(from)); it != end; ++it) {
        if (!visit(it->second)) {
            return;
        }
    }
}

void in_memory_segments::clear() {
    _segments.clear();
    _observed_stream_time = -1;
}

} // namespace brook::state
