#pragma once

// task_output: the record_collector a task's sink nodes write through. It hands every
// record to the thread's collector and remembers, for each repartition topic the task
// writes, the largest timestamp it has written there: what the task's progress markers
// report (progress_marker.h), so that a downstream task's watermark is in the time of the
// records it reads, whatever timestamps the processors gave them.
//
// Lifecycle: made with its task, for the task's lifetime. Threading: the task's thread.
// Ownership: borrows the thread's collector, which outlives the task.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "engine/processor/record_collector.h"

namespace brook {

class task_output final : public record_collector {
public:
    explicit task_output(record_collector* target) : _target(target) {}

    // Topics whose largest timestamp is tracked (the task's repartition outputs).
    void track(const std::vector<std::pair<std::string, int32_t>>& topics);
    // The largest timestamp written to a tracked topic; -1 before the first record.
    int64_t largest_timestamp(std::string_view topic) const;

    void send(std::string_view topic, nullable_bytes key, nullable_bytes value, int64_t timestamp,
              const headers& hdrs, std::optional<int32_t> partition) override;
    int32_t partition_count(std::string_view topic) override {
        return _target->partition_count(topic);
    }

private:
    record_collector* _target;
    std::vector<std::pair<std::string, int64_t>> _largest; // few: a scan is cheapest
};

} // namespace brook
