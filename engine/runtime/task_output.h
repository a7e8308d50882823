#pragma once

// task_output: the record_collector a task's sink nodes write through. It hands every
// record to the thread's collector, gives a record the collector refuses
// (production_error: too large, an invalid topic name) to the task's production exception
// handler, and remembers, for each repartition topic the task writes, the largest
// timestamp it has written there: what the task's progress markers report
// (progress_marker.h), so that a downstream task's watermark is in the time of the records
// it reads, whatever timestamps the processors gave them. Because one record's timestamp
// there moves every reader's stream time, a record for a tracked topic whose timestamp is
// more than max.event.time.future.ms ahead of the wall clock is not written but handed to
// record_errors::event_time_refused (a source checks its records' own timestamps; this
// checks the ones processors give, such as a parsed event time two days ahead).
//
// Lifecycle: made with its task, for the task's lifetime. Threading: the task's thread.
// Ownership: borrows the thread's collector, which outlives the task.

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "engine/processor/record_collector.h"
#include "engine/processor/record_errors.h"

namespace brook {

class task_output final : public record_collector {
public:
    // `errors` (the task) may be null: refused records then throw.
    task_output(record_collector* target, record_errors* errors)
        : _target(target), _errors(errors) {}

    // Topics whose largest timestamp is tracked (the task's repartition outputs).
    void track(const std::vector<std::pair<std::string, int32_t>>& topics);
    // The largest timestamp written to a tracked topic; -1 before the first record.
    int64_t largest_timestamp(std::string_view topic) const;
    // max.event.time.future.ms (negative: no bound) and the wall clock (ms since the
    // epoch) it is measured from. Without a call, nothing is bounded.
    void bound_event_time(std::chrono::milliseconds bound, std::function<int64_t()> wall_clock) {
        _bound = bound;
        _wall_clock = std::move(wall_clock);
    }

    void send(std::string_view topic, nullable_bytes key, nullable_bytes value, int64_t timestamp,
              const headers& hdrs, std::optional<int32_t> partition) override;
    int32_t partition_count(std::string_view topic) override {
        return _target->partition_count(topic);
    }
    std::optional<size_t> record_size_limit() const override {
        return _target->record_size_limit();
    }

private:
    record_collector* _target;
    record_errors* _errors;
    std::vector<std::pair<std::string, int64_t>> _largest; // few: a scan is cheapest
    std::chrono::milliseconds _bound{-1};
    std::function<int64_t()> _wall_clock;
};

} // namespace brook
