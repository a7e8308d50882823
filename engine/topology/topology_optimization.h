#pragma once

// topology_optimization: which rewrites the DSL's logical graph gets before it becomes a
// topology (Kafka Streams' topology.optimization). Brook makes one of Kafka Streams'
// rewrites: merging the repartition topics that follow one key change
// ("merge.repartition.topics"). The others are refused by parse() with the reason, so a
// .properties file never gets a layout other than the one it asks for.
//
// A plain value: copied freely, compared with ==.

#include <string>
#include <string_view>

namespace brook {

struct topology_optimization {
    // Groupings and joins downstream of the same key change share one repartition topic.
    bool merge_repartition_topics = false;

    // "none", or a comma-separated list of optimizations. Throws std::invalid_argument
    // naming the value and saying what to write instead, for an unknown word and for the
    // optimizations Brook does not make ("all", "reuse.ktable.source.topics",
    // "single.store.self.join").
    static topology_optimization parse(std::string_view value);

    // "none" or the list parse() takes back.
    std::string to_string() const;

    bool operator==(const topology_optimization&) const = default;
};

} // namespace brook
