#pragma once

// topology: an immutable graph of node factories, split into sub-topologies (groups of
// nodes connected by edges or shared stores). Built by topology_builder (processor API)
// or stream_builder (DSL); shared read-only by every task and thread that runs it.
//
// Internal topics (repartition topics) are stored without the application id; their
// full name, "<application.id>-<name>", is resolved when an application runs.

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/topology/node.h"
#include "engine/topology/topology_optimization.h"
#include "state/state_store.h"

namespace brook {

enum class node_kind { source, processor, sink };

struct node_spec {
    std::string name;
    node_kind kind = node_kind::processor;
    std::vector<std::string> parents;
    // Source: the topics it reads. Sink: its one topic, or empty when chosen per record.
    std::vector<std::string> topics;
    bool internal_topics = false; // topics are repartition topics named by suffix
    bool delayed = false;         // source: records wait for their due time (due_time.h)
    std::vector<std::string> stores;
    std::function<std::unique_ptr<node_base>()> factory;
};

// A table's source topic used as its store's changelog (topology.optimization=
// reuse.ktable.source.topics): the store writes no changelog, and restore reads the topic
// up to the group's committed offset of the partition, turning each record into the
// store's entry with `convert`. `convert` returns skip for a record the table itself skips
// (a null key, bytes its serdes cannot read), remove (the store's key in `key_out`) for a
// delete, and put with the store's key and encoded value in `key_out` and `value_out`.
struct source_changelog {
    enum class row { skip, put, remove };
    std::string topic; // as the table's source node names it
    std::function<row(nullable_bytes key, nullable_bytes value, int64_t timestamp,
                      std::string& key_out, std::string& value_out)>
        convert;
};

// A store as the topology knows it: how to make a fresh (unopened) instance per task,
// and whether it writes a changelog, "<application.id>-<name>-changelog", with which
// topic configs (cleanup.policy=compact for key-value stores; compact,delete and
// retention.ms for window and session stores).
struct store_spec {
    std::string name;
    std::function<std::unique_ptr<state::state_store>()> factory;
    bool logged = false;
    std::map<std::string, std::string> changelog_config;
    // Versioned key-value stores only: how long they keep old versions.
    std::optional<int64_t> history_retention_ms;
    // Set (and `logged` false) when the store's changelog is its table's source topic.
    std::optional<source_changelog> source;
};

// A global store (a global table): every instance keeps all of `topic` in its own copy,
// read in full before any task processes and kept up to date by the global updater
// thread (engine/runtime/global_store_updater.h); tasks look it up by name, whatever
// their partitions. `apply` writes one of the topic's records into the store (a null value
// deletes) and throws serde_error for bytes it cannot read. The store is not logged: the
// topic is its changelog.
struct global_store_spec {
    std::string topic;
    store_spec store;
    std::function<void(state::state_store& store, const raw_record& record)> apply;
};

// A repartition topic the application must create: "<application.id>-<name>".
struct internal_topic_spec {
    std::string name;
    std::optional<int> partitions; // nullopt: as many as the upstream source topics
};

class topology {
public:
    struct subtopology {
        int id = 0;
        std::vector<std::string> nodes;         // in insertion order
        std::vector<std::string> source_topics; // as the specs name them (internal: by suffix)
        std::vector<std::string> stores;
    };

    // Everything a task runs: nodes wired and ready for init(), sources by resolved topic.
    struct instance {
        std::vector<std::unique_ptr<node_base>> nodes;
        std::map<std::string, source_node_base*, std::less<>> sources_by_topic;
        std::map<std::string, std::unique_ptr<state::state_store>, std::less<>> stores;
        std::map<std::string, std::vector<std::string>, std::less<>> stores_by_node;
    };

    topology(std::vector<node_spec> nodes, std::vector<store_spec> stores,
             std::map<std::string, std::vector<std::string>> store_users,
             std::vector<internal_topic_spec> internal_topics,
             std::vector<global_store_spec> global_stores = {},
             std::optional<topology_optimization> optimization = std::nullopt);

    const std::vector<subtopology>& subtopologies() const { return _subtopologies; }
    const std::vector<node_spec>& nodes() const { return _nodes; }
    const std::vector<internal_topic_spec>& internal_topics() const { return _internal_topics; }
    const std::vector<store_spec>& stores() const { return _stores; }
    const std::vector<global_store_spec>& global_stores() const { return _global_stores; }
    // The optimizations the DSL's build() applied; nullopt for a topology built with the
    // processor API, which has no logical graph to optimize. kafka_streams refuses a
    // DSL topology built with other optimizations than its config's topology.optimization.
    const std::optional<topology_optimization>& optimization() const { return _optimization; }
    // Changelog topic names (resolved) of the logged stores, sorted.
    std::vector<std::string> changelog_topics(const std::string& application_id) const;

    // Resolved names of every topic the application consumes, sorted.
    std::vector<std::string> source_topics(const std::string& application_id) const;
    // Whether any source is delayed (due_time.h): the runtime then tracks due times.
    bool has_delayed_sources() const;
    // Resolved source topics that the user owns (not internal), sorted.
    std::vector<std::string> external_source_topics() const;
    // The sub-topology reading `resolved_topic`, if any.
    std::optional<int> subtopology_of(const std::string& resolved_topic,
                                      const std::string& application_id) const;
    // Resolves a topic name as a node spec holds it.
    static std::string resolve(const std::string& topic, bool internal,
                               const std::string& application_id);

    // Makes and wires the nodes and stores of one sub-topology for one task. Throws
    // topology_error for record-type mismatches between connected nodes.
    instance instantiate(int subtopology_id, const std::string& application_id) const;

    // Kafka Streams-style text description: sub-topologies, sources, processors, sinks,
    // stores. Stable for a given build order (golden-testable).
    std::string describe() const;
    std::string to_dot() const;
    std::string to_mermaid() const;

private:
    const node_spec& node(const std::string& name) const;
    std::vector<std::string> children_of(const std::string& name) const;

    std::vector<node_spec> _nodes;
    std::vector<store_spec> _stores;
    std::map<std::string, std::vector<std::string>> _store_users; // store -> processors
    std::vector<internal_topic_spec> _internal_topics;
    std::vector<subtopology> _subtopologies;
    std::vector<global_store_spec> _global_stores;
    std::optional<topology_optimization> _optimization;
};

} // namespace brook
