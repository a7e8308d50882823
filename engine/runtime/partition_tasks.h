#pragma once

// partition_tasks: which task of a stream thread owns each of its assigned input
// partitions. The thread asks it once per consumed record (of()), so it remembers the
// last answer by topic key; every change goes through set(), remove() or clear(), which
// forget that answer, so it can never name a task that was closed.
//
// Threading: owned and used by one stream_thread.
// Ownership: does not own the tasks; the thread removes a partition before closing its task.

#include <cstdint>
#include <map>
#include <string_view>

#include "engine/runtime/consumed_record.h"
#include "engine/runtime/stream_task.h"
#include "engine/runtime/topic_partition.h"

namespace brook {

class partition_tasks {
public:
    using map_type = partition_map<stream_task*>;

    void set(const topic_partition& tp, stream_task* task);
    // Forgets `tp`; returns the task that had it, or null.
    stream_task* remove(const topic_partition& tp);
    void clear();

    // The task of `tp`; null when none has it.
    stream_task* find(const topic_partition_ref& tp) const;
    stream_task* find(const topic_partition& tp) const {
        return find(topic_partition_ref{tp.topic, tp.partition});
    }
    // The task of a consumed record's partition; null when none has it (revoked).
    // Records come in runs of one partition, so the last answer is tried first.
    stream_task* of(const consumed_record& r);

    bool empty() const noexcept { return _tasks.empty(); }
    size_t size() const noexcept { return _tasks.size(); }
    map_type::const_iterator begin() const noexcept { return _tasks.begin(); }
    map_type::const_iterator end() const noexcept { return _tasks.end(); }

private:
    map_type _tasks;
    struct hit {
        const void* topic_key = nullptr;
        int32_t partition = -1;
        stream_task* task = nullptr;
    };
    hit _last;
};

} // namespace brook
