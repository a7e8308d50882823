#pragma once

// input_pauses: why each input partition of a stream thread is paused.
//
// A partition stops fetching for independent reasons: its task is restoring, its head
// record is not due yet (delayed sources), or its task already holds
// buffered.records.per.partition of its records. librdkafka keeps a single pause flag per
// partition, and keeps it across assignments, so the reasons are counted here: the
// consumer is told to pause when a partition gets its first reason and to resume when the
// last one goes, and a partition given up is resumed, so that it is not found paused when
// this member is given it again.
//
// Threading: the owning stream thread only. The consumer is borrowed and must outlive this.

#include <cstdint>
#include <map>
#include <vector>

#include "engine/runtime/clients.h"
#include "engine/runtime/topic_partition.h"

namespace brook {

class input_pauses {
public:
    enum reason : uint8_t { restoring = 1U << 0U, not_due = 1U << 1U, buffer_full = 1U << 2U };

    explicit input_pauses(consumer_client& consumer) : _consumer(consumer) {}

    // Adds (`on`) or removes `why` for each of `partitions`.
    void set(const std::vector<topic_partition>& partitions, reason why, bool on);
    bool has(const topic_partition& partition, reason why) const;
    // Partitions given up: forgets them, resuming those that were paused.
    void release(const std::vector<topic_partition>& partitions);
    // Forgets every partition, resuming those that were paused.
    void release_all();
    // Whether some partition is paused now for `why`.
    bool any(reason why) const;

private:
    void tell(const std::vector<topic_partition>& partitions, bool pause);

    consumer_client& _consumer;
    partition_map<uint8_t> _reasons; // never 0
};

} // namespace brook
