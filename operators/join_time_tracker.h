#pragma once

// join_time_tracker: the stream time the two sides of one stream-stream join share within
// one task (Kafka Streams' TimeTracker): the largest timestamp either side has seen, and
// the oldest timestamp that may still wait in the outer-join store (min_time), so a side
// scans that store only when something in it may be due; and each side's latest put.
//
// join_time_trackers hands both sides' processors of one task the same tracker, keyed by
// the task they run in. Lifecycle: a tracker lives while a processor holds it (from init
// to close); it starts afresh (stream time -1) when a task is made again, as in Kafka
// Streams. Threading: acquire() locks (tasks of one join run on several threads); a
// tracker is used by its task's thread only.

#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <mutex>

namespace brook {

struct join_time_tracker {
    int64_t stream_time = -1;
    int64_t min_time = std::numeric_limits<int64_t>::max();
    // The latest timestamp each side (0 left, 1 right) has put into its window store in
    // this task's life: the store's own time, before a commit makes it durable.
    int64_t side_time[2] = {-1, -1};
    // False until a side has scanned the outer store in this task's life: records restored
    // from its changelog are waiting though min_time does not know them.
    bool outer_store_scanned = false;

    void advance(int64_t timestamp) {
        if (timestamp > stream_time) {
            stream_time = timestamp;
        }
    }
    void note_waiting(int64_t timestamp) {
        if (timestamp < min_time) {
            min_time = timestamp;
        }
    }
};

class join_time_trackers {
public:
    std::shared_ptr<join_time_tracker> acquire(const void* task) {
        const std::lock_guard lock(_mutex);
        for (auto it = _trackers.begin(); it != _trackers.end();) {
            it = it->second.expired() ? _trackers.erase(it) : std::next(it);
        }
        std::weak_ptr<join_time_tracker>& slot = _trackers[task];
        if (auto held = slot.lock()) {
            return held;
        }
        auto fresh = std::make_shared<join_time_tracker>();
        slot = fresh;
        return fresh;
    }

private:
    std::mutex _mutex;
    std::map<const void*, std::weak_ptr<join_time_tracker>> _trackers;
};

} // namespace brook
