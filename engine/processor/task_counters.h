#pragma once

// task_counters: what the tasks of one stream thread (or of the test driver) count, for
// metrics endpoints and tests. Bumped by tasks and operators on the owning thread, read
// from any thread (relaxed atomics: totals, not synchronisation).

#include <atomic>
#include <cstdint>

namespace brook {

struct task_counters {
    std::atomic<uint64_t> records_processed{0};
    std::atomic<uint64_t> deserialization_errors{0};
    std::atomic<uint64_t> dead_lettered{0};
    std::atomic<uint64_t> punctuations{0};
    // Records that arrived after their window closed (window end + grace <= stream time)
    // and were dropped, as Kafka Streams' dropped-records metric counts them.
    std::atomic<uint64_t> late_records_dropped{0};
    // Records an operator skipped because Kafka Streams' semantics give them no meaning
    // there: a null key where a key is needed, a null value in a join (KIP-962).
    std::atomic<uint64_t> null_records_skipped{0};
    // Records restored into stores from changelogs.
    std::atomic<uint64_t> records_restored{0};
    // Records a processor threw on, and records that could not be produced, whatever their
    // handler then did with them (dead_lettered counts those sent to the DLQ).
    std::atomic<uint64_t> processing_errors{0};
    std::atomic<uint64_t> production_errors{0};
};

} // namespace brook
