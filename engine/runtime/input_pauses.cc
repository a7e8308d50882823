#include "engine/runtime/input_pauses.h"

#include <algorithm>

namespace brook {

void input_pauses::set(const std::vector<topic_partition>& partitions, reason why, bool on) {
    std::vector<topic_partition> changed;
    for (const auto& tp : partitions) {
        auto it = _reasons.find(tp);
        if (on) {
            if (it == _reasons.end()) {
                _reasons.emplace(tp, why);
                changed.push_back(tp);
            } else {
                it->second |= why;
            }
        } else if (it != _reasons.end()) {
            it->second &= static_cast<uint8_t>(~why);
            if (it->second == 0) {
                _reasons.erase(it);
                changed.push_back(tp);
            }
        }
    }
    tell(changed, on);
}

bool input_pauses::has(const topic_partition& partition, reason why) const {
    auto it = _reasons.find(partition);
    return it != _reasons.end() && (it->second & why) != 0;
}

void input_pauses::release(const std::vector<topic_partition>& partitions) {
    std::vector<topic_partition> paused;
    for (const auto& tp : partitions) {
        if (_reasons.erase(tp) > 0) {
            paused.push_back(tp);
        }
    }
    tell(paused, false);
}

void input_pauses::release_all() {
    std::vector<topic_partition> paused;
    paused.reserve(_reasons.size());
    for (const auto& [tp, why] : _reasons) {
        paused.push_back(tp);
    }
    _reasons.clear();
    tell(paused, false);
}

bool input_pauses::any(reason why) const {
    return std::any_of(_reasons.begin(), _reasons.end(),
                       [why](const auto& entry) { return (entry.second & why) != 0; });
}

void input_pauses::tell(const std::vector<topic_partition>& partitions, bool pause) {
    if (partitions.empty()) {
        return;
    }
    if (pause) {
        _consumer.pause(partitions);
    } else {
        _consumer.resume(partitions);
    }
}

} // namespace brook
