#include "engine/runtime/task_output.h"

#include <algorithm>

#include "engine/errors.h"

namespace brook {

void task_output::track(const std::vector<std::pair<std::string, int32_t>>& topics) {
    _largest.clear();
    for (const auto& [topic, partitions] : topics) {
        _largest.emplace_back(topic, -1);
    }
}

int64_t task_output::largest_timestamp(std::string_view topic) const {
    for (const auto& [name, ts] : _largest) {
        if (name == topic) {
            return ts;
        }
    }
    return -1;
}

void task_output::send(std::string_view topic, nullable_bytes key, nullable_bytes value,
                       int64_t timestamp, const headers& hdrs, std::optional<int32_t> partition) {
    int64_t* largest = nullptr;
    for (auto& [name, ts] : _largest) {
        if (name == topic) {
            largest = &ts;
            break;
        }
    }
    if (largest != nullptr && _bound.count() >= 0 && _errors != nullptr && _wall_clock) {
        const int64_t now = _wall_clock();
        if (timestamp > now && timestamp - now > _bound.count()) {
            _errors->event_time_refused(topic, key, value, timestamp, hdrs, timestamp - now);
            return;
        }
    }
    try {
        _target->send(topic, key, value, timestamp, hdrs, partition);
    } catch (const production_error& e) {
        if (_errors == nullptr) {
            throw;
        }
        _errors->production_failed(topic, key, value, timestamp, hdrs, e.what());
        return;
    }
    if (largest != nullptr) {
        *largest = std::max(*largest, timestamp);
    }
}

} // namespace brook
