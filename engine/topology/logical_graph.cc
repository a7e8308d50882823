#include "engine/topology/logical_graph.h"

#include <algorithm>
#include <set>
#include <utility>

#include <fmt/format.h>

#include "engine/config/streams_config.h"

namespace brook {

namespace {

node_spec& find_node(std::vector<node_spec>& nodes, const std::string& name) {
    auto it = std::find_if(nodes.begin(), nodes.end(),
                           [&](const node_spec& n) { return n.name == name; });
    if (it == nodes.end()) {
        throw topology_error(fmt::format("logical graph: no node named '{}'", name));
    }
    return *it;
}

// The graph being rewritten: a copy of what the DSL recorded.
struct graph_copy {
    std::vector<node_spec> nodes;
    std::vector<internal_topic_spec> topics;
};

// Follows single parents up from `start` and returns the first node that `stop` accepts;
// nullopt at a source or a node with several parents (a merge or a join, whose records
// come from more than one path).
template <class Stop>
std::optional<std::string> walk_up(std::vector<node_spec>& nodes, const std::string& start,
                                   Stop stop) {
    std::string current = start;
    for (size_t steps = 0; steps <= nodes.size(); ++steps) {
        const node_spec& n = find_node(nodes, current);
        if (stop(n)) {
            return current;
        }
        if (n.kind == node_kind::source || n.parents.size() != 1) {
            return std::nullopt;
        }
        current = n.parents.front();
    }
    return std::nullopt; // a cycle; the builder does not make one
}

// Rewrites one key change's repartitions into one (see logical_graph.h).
void merge(graph_copy& g, const std::string& key_changer,
           const std::vector<const dsl_repartition*>& group) {
    // What moves behind the merged topic: the child of the key change on each
    // repartition's path, and a grouping's null-key filter that read the key change itself.
    // Each grouping keeps its filter, now on the reading side, so null keys are dropped
    // where they were and nowhere else (a join's repartition has none).
    std::set<std::string> behind;
    std::set<std::string> removed;
    for (const dsl_repartition* r : group) {
        const std::string& first_writer = r->filter ? *r->filter : r->sink;
        const std::optional<std::string> child =
            walk_up(g.nodes, first_writer, [&](const node_spec& n) {
                return std::find(n.parents.begin(), n.parents.end(), key_changer) !=
                       n.parents.end();
            });
        if (!child || find_node(g.nodes, *child).parents.size() != 1) {
            return; // not a single path from the key change: leave this group as it is
        }
        if (*child != r->sink) {
            behind.insert(*child);
        }
        removed.insert(r->sink);
        removed.insert(r->source);
    }

    const dsl_repartition& first = *group.front();
    std::vector<node_spec> merged;
    node_spec sink = find_node(g.nodes, first.sink);
    sink.parents = {key_changer};
    merged.push_back(std::move(sink));
    merged.push_back(find_node(g.nodes, first.source));

    for (node_spec& n : g.nodes) {
        if (removed.contains(n.name)) {
            continue;
        }
        std::vector<std::string> parents;
        for (const std::string& p : n.parents) {
            std::string parent = p;
            if (behind.contains(n.name) && p == key_changer) {
                parent = first.source;
            }
            for (const dsl_repartition* r : group) {
                if (p == r->source) {
                    parent = r->filter                 ? *r->filter
                             : r->input == key_changer ? first.source
                                                       : r->input;
                }
            }
            if (std::find(parents.begin(), parents.end(), parent) == parents.end()) {
                parents.push_back(std::move(parent));
            }
        }
        n.parents = std::move(parents);
    }

    std::optional<internal_topic_spec> topic;
    for (const internal_topic_spec& t : g.topics) {
        if (t.name == first.topic) {
            topic = t;
        }
    }
    std::erase_if(g.nodes, [&](const node_spec& n) { return removed.contains(n.name); });
    std::erase_if(g.topics, [&](const internal_topic_spec& t) {
        return std::any_of(group.begin(), group.end(),
                           [&](const dsl_repartition* r) { return r->topic == t.name; });
    });
    if (topic) {
        g.topics.push_back(*topic);
    }
    // Right after the key change, so every node behind it comes after its new parent.
    auto at = std::find_if(g.nodes.begin(), g.nodes.end(),
                           [&](const node_spec& n) { return n.name == key_changer; });
    g.nodes.insert(at + 1, std::make_move_iterator(merged.begin()),
                   std::make_move_iterator(merged.end()));
}

} // namespace

void logical_graph::mark_key_changing(const std::string& node, record_types out) {
    if (!has_node(node)) {
        throw topology_error(fmt::format("logical graph: no node named '{}'", node));
    }
    _key_changers.insert_or_assign(node, out);
}

void logical_graph::add_repartition(dsl_repartition repartition) {
    if (repartition.sink.empty() || repartition.source.empty()) {
        throw topology_error(
            fmt::format("logical graph: the repartition through '{}' needs a sink and a source",
                        repartition.topic));
    }
    _repartitions.push_back(std::move(repartition));
}

void logical_graph::add_reusable_table_store(store_spec reused) {
    if (!reused.source || reused.logged || find_store(reused.name) == nullptr) {
        throw topology_error(fmt::format(
            "logical graph: '{}' is not an added table store that restores from its topic",
            reused.name));
    }
    _reusable_table_stores.push_back(std::move(reused));
}

topology logical_graph::build(const streams_config& config) const {
    return build(config.topology_optimization());
}

topology logical_graph::build(const topology_optimization& optimization) const {
    graph_copy g{_nodes, _internal_topics};
    if (optimization.merge_repartition_topics) {
        // Repartitions by the key change they follow, in the order the DSL added them.
        std::vector<std::pair<std::string, std::vector<const dsl_repartition*>>> groups;
        for (const dsl_repartition& r : _repartitions) {
            const std::optional<std::string> key_changer =
                walk_up(g.nodes, r.input,
                        [&](const node_spec& n) { return _key_changers.contains(n.name); });
            if (!key_changer || !(_key_changers.at(*key_changer) == r.types)) {
                continue;
            }
            auto it = std::find_if(groups.begin(), groups.end(),
                                   [&](const auto& e) { return e.first == *key_changer; });
            if (it == groups.end()) {
                groups.emplace_back(*key_changer, std::vector<const dsl_repartition*>{&r});
            } else {
                it->second.push_back(&r);
            }
        }
        for (const auto& [key_changer, group] : groups) {
            if (group.size() >= 2) {
                merge(g, key_changer, group);
            }
        }
    }
    // Checks the rewritten graph as a hand-built one is checked: parents before children,
    // each topic read once, a source at all.
    topology_builder checked;
    for (const node_spec& n : g.nodes) {
        checked.add_node(n);
    }
    (void)checked.build();
    std::vector<store_spec> stores = _stores;
    if (optimization.reuse_source_topics) {
        for (const store_spec& reused : _reusable_table_stores) {
            for (store_spec& s : stores) {
                if (s.name == reused.name) {
                    s = reused;
                }
            }
        }
    }
    return topology(std::move(g.nodes), std::move(stores), _store_users, std::move(g.topics),
                    _global_stores, optimization);
}

} // namespace brook
