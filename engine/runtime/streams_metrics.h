#pragma once

// streams_metrics: a point-in-time snapshot of what a running kafka_streams did, for
// operators (the apps' /metrics and /ready routes) and for tests.
//
// Counters are totals since start() over every stream thread; they never decrease while
// the application lives. Lag and restore figures are the latest each thread published
// (at most one commit interval old). Taking a snapshot never blocks a stream thread for
// longer than copying a few small maps.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace brook {

// How far a consumer is behind on one input partition: end_offset is the high
// watermark (read_uncommitted) or the last stable offset (read_committed), position the
// next offset the thread will fetch. lag = max(0, end_offset - position); -1 where a
// figure is not known yet. buffered: records fetched (so behind `position`) and queued in
// the task but not processed yet, such as records of a delayed source waiting for their
// due time; lag + buffered is what is left to process. The end offset of a paused
// partition is the one its last fetch saw.
struct partition_lag {
    std::string topic;
    int32_t partition = 0;
    int64_t position = -1;
    int64_t end_offset = -1;
    int64_t lag = -1;
    int64_t buffered = 0;
};

// A running total of durations, as a Prometheus summary's _count and _sum.
struct latency_total {
    uint64_t count = 0;
    uint64_t sum_us = 0;
};

// How one stream thread is doing, as an operator's health probe asks.
struct thread_health {
    int thread = 0;
    bool alive = true;  // not dead of an error
    bool stuck = false; // loop not come around for stall.timeout.ms, or commits keep failing
    std::string reason; // why not alive, or why stuck; empty when well
};

// A standby replica kept on this instance (standby_updater.h) and how far it is behind.
struct standby_lag {
    int subtopology = 0;
    int32_t partition = 0;
    int64_t lag = -1; // changelog records not applied yet; -1 until the end is known
};

struct streams_metrics {
    // Per topic: records read from it, and records written to it and acknowledged by the
    // broker (output, repartition, changelog and dead-letter topics alike).
    std::map<std::string, uint64_t> records_consumed;
    std::map<std::string, uint64_t> records_produced;
    uint64_t records_processed = 0;
    // Time spent processing records, one observation per record.
    latency_total process_latency;
    // Time each commit took (offsets, or the transaction, end to end).
    latency_total commit_latency;
    uint64_t commits = 0;
    std::vector<partition_lag> lag; // sorted by topic, then partition
    // Restore: records replayed from changelogs so far; records still to replay for the
    // stores restoring now (0 when none is); how many task stores are restoring.
    uint64_t records_restored = 0;
    uint64_t restore_remaining = 0;
    uint64_t stores_restoring = 0;
    uint64_t late_records_dropped = 0;
    uint64_t null_records_skipped = 0;
    uint64_t dead_lettered = 0;
    uint64_t deserialization_errors = 0;
    uint64_t processing_errors = 0;
    uint64_t production_errors = 0;
    uint64_t transactions_committed = 0;
    uint64_t transactions_aborted = 0;
    int tasks = 0;
    int threads = 0;
    // Standby replicas kept here (num.standby.replicas), by task, and the changelog records
    // applied to them since start.
    std::vector<standby_lag> standbys;
    uint64_t standby_records_applied = 0;
};

} // namespace brook
