#pragma once

// topic_layout: the shape of a running application on its cluster, read once at start
// (kafka_streams::start()): how many partitions each topic it reads has, how many tasks
// each sub-topology runs, and which sub-topologies write each repartition topic.
// Tasks use it to know the writers of their repartition inputs (fan_in_watermark.h) and
// where to send their own progress markers (progress_marker.h); start() uses it to check
// co-partitioning.
//
// Immutable once built; shared read-only by every thread. Ownership: kafka_streams.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/runtime/fan_in_watermark.h"

namespace brook {

class topology;

struct topic_layout {
    // Partitions of every topic the application consumes (resolved names).
    std::map<std::string, int32_t, std::less<>> partitions;
    // Tasks per sub-topology: as many as its widest source topic has partitions.
    std::map<int, int32_t> tasks;
    // Repartition topic (resolved) -> the sub-topologies whose sinks write it.
    std::map<std::string, std::vector<int>, std::less<>> writers;
    // Sub-topology -> the topics it reads (resolved, sorted): the order of the input ends
    // in its tasks' progress markers.
    std::map<int, std::vector<std::string>> sources;

    // Builds the layout from the topology and the source topics' partition counts
    // (`partitions` must hold every resolved source topic).
    static topic_layout make(const topology& topo, const std::string& application_id,
                             std::map<std::string, int32_t, std::less<>> partitions);

    // The writer groups of a repartition topic; empty when no sub-topology writes it.
    std::vector<fan_in_watermark::writer_group> writer_groups(std::string_view topic) const;
    // Repartition topics sub-topology `subtopology` writes, with their partition counts.
    std::vector<std::pair<std::string, int32_t>> written_by(int subtopology) const;
    int32_t tasks_of(int subtopology) const;
    const std::vector<std::string>& sources_of(int subtopology) const;
};

} // namespace brook
