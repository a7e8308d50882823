#include "engine/runtime/partition_tasks.h"

namespace brook {

void partition_tasks::set(const topic_partition& tp, stream_task* task) {
    _tasks[tp] = task;
    _last = {};
}

stream_task* partition_tasks::remove(const topic_partition& tp) {
    auto it = _tasks.find(tp);
    if (it == _tasks.end()) {
        return nullptr;
    }
    stream_task* task = it->second;
    _tasks.erase(it);
    _last = {};
    return task;
}

void partition_tasks::clear() {
    _tasks.clear();
    _last = {};
}

stream_task* partition_tasks::find(std::string_view topic, int32_t partition) const {
    auto it = _tasks.find(std::pair<std::string_view, int32_t>(topic, partition));
    return it == _tasks.end() ? nullptr : it->second;
}

stream_task* partition_tasks::of(const rd_kafka_message_t& msg) {
    if (_last.handle != msg.rkt || _last.partition != msg.partition) {
        stream_task* task = find(rd_kafka_topic_name(msg.rkt), msg.partition);
        if (task == nullptr) {
            return nullptr;
        }
        _last = {msg.rkt, msg.partition, task};
    }
    return _last.task;
}

} // namespace brook
