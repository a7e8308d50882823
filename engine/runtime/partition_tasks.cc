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

stream_task* partition_tasks::find(const topic_partition_ref& tp) const {
    auto it = _tasks.find(tp);
    return it == _tasks.end() ? nullptr : it->second;
}

stream_task* partition_tasks::of(const consumed_record& r) {
    if (_last.topic_key != r.topic_key() || _last.partition != r.partition()) {
        stream_task* task = find(topic_partition_ref{r.topic(), r.partition()});
        if (task == nullptr) {
            return nullptr;
        }
        _last = {r.topic_key(), r.partition(), task};
    }
    return _last.task;
}

} // namespace brook
