#pragma once

// logical_graph: the DSL's graph before it becomes a topology (DSL -> logical graph ->
// topology, as Kafka Streams' InternalStreamsBuilder). The DSL records every node as the
// processor API would (it is a topology_builder), and says two more things the physical
// graph cannot tell: which nodes change the key, and which repartitions it added on its
// own to re-key a stream before a grouping or a join. build(optimization) then rewrites
// the graph as asked and lowers it into a topology.
//
// merge.repartition.topics (Kafka Streams' maybeOptimizeRepartitionOperations): when two
// or more of those repartitions re-key records of the same key change, they become one
// topic, written right after the key change; the nodes between the key change and each
// grouping move behind that topic's source. Each grouping keeps its null-key filter, now
// behind the topic too, so null keys are dropped where they were and nowhere else (Kafka
// Streams' merged topic filters them for every reader). Brook merges only repartitions
// whose records have the key change's key and value types (so the moved nodes read what
// they read before) and only when there are two or more (with one, moving filters behind
// the topic would only write more into it). The merged topic, its sink, source and serdes
// are those of the first repartition added.
//
// reuse.ktable.source.topics (Kafka Streams' optimizeKTableSourceTopics): a table read from
// a topic keeps its rows in a store that writes no changelog and restores from the topic
// itself (source_changelog in topology.h). The DSL records, for each table it can do this
// for, the store spec to use then; build() swaps it in.
//
// Lifecycle: filled while the DSL builds, on one thread; build() leaves it unchanged and
// may be called again. Not thread-safe.

#include <map>
#include <optional>
#include <string>
#include <typeindex>
#include <vector>

#include "engine/topology/topology_builder.h"
#include "engine/topology/topology_optimization.h"

namespace brook {

class streams_config;

// The key and value types of the records a node forwards.
struct record_types {
    std::type_index key;
    std::type_index value;

    template <class K, class V>
    static record_types of() {
        return record_types{std::type_index(typeid(K)), std::type_index(typeid(V))};
    }
    bool operator==(const record_types&) const = default;
};

// A repartition the DSL added on its own (not the user's stream.repartition()): `input`
// forwards into `sink` (through a grouping's null-key `filter`) that writes `topic`, read
// back by `source`.
struct dsl_repartition {
    std::string input;
    std::optional<std::string> filter;
    std::string sink;
    std::string source;
    std::string topic;
    record_types types;
};

class logical_graph : public topology_builder {
public:
    // `node` (already added) forwards records under another key than it received, of
    // types `out`.
    void mark_key_changing(const std::string& node, record_types out);
    // Records a repartition whose nodes and topic are already added.
    void add_repartition(dsl_repartition repartition);
    // Records the spec of an added table store (same name) that restores from its source
    // topic, for reuse.ktable.source.topics. Throws topology_error for a spec without a
    // source or a store not added.
    void add_reusable_table_store(store_spec reused);

    // Lowers the graph into a topology, with the rewrites `optimization` asks for.
    // Throws topology_error as topology_builder::build() does.
    topology build(const topology_optimization& optimization) const;
    // The same, with the config's topology.optimization.
    topology build(const streams_config& config) const;
    // Without optimizations.
    topology build() const { return build(topology_optimization{}); }

private:
    std::map<std::string, record_types> _key_changers;
    std::vector<dsl_repartition> _repartitions;
    std::vector<store_spec> _reusable_table_stores;
};

} // namespace brook
