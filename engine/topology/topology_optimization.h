#pragma once

// topology_optimization: which rewrites the DSL's logical graph gets before it becomes a
// topology (Kafka Streams' topology.optimization). Brook makes two of Kafka Streams'
// rewrites: merging the repartition topics that follow one key change
// ("merge.repartition.topics") and restoring a table read from a topic from that topic
// instead of a changelog of its own ("reuse.ktable.source.topics"); "all" is both.
// "single.store.self.join" (one store for both sides of a self-join) is refused by
// parse() with the reason: under "all" a self-join keeps its two stores.
//
// A plain value: copied freely, compared with ==.

#include <string>
#include <string_view>

namespace brook {

struct topology_optimization {
    // Groupings and joins downstream of the same key change share one repartition topic.
    bool merge_repartition_topics = false;
    // A table read from a topic restores from that topic instead of a changelog of its own.
    bool reuse_source_topics = false;

    // "none", "all", or a comma-separated list of optimizations. Throws
    // std::invalid_argument naming the value and saying what to write instead, for an
    // unknown word and for "single.store.self.join".
    static topology_optimization parse(std::string_view value);

    // "none" or the list parse() takes back.
    std::string to_string() const;

    bool operator==(const topology_optimization&) const = default;
};

} // namespace brook
