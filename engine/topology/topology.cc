#include "engine/topology/topology.h"

#include <algorithm>
#include <numeric>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace brook {

namespace {

// Union-find over node indices, to group nodes into sub-topologies.
struct disjoint_sets {
    std::vector<size_t> parent;
    explicit disjoint_sets(size_t n) : parent(n) { std::iota(parent.begin(), parent.end(), 0); }
    size_t find(size_t x) {
        while (parent[x] != x) {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        return x;
    }
    void unite(size_t a, size_t b) { parent[find(a)] = find(b); }
};

} // namespace

topology::topology(std::vector<node_spec> nodes, std::vector<store_spec> stores,
                   std::map<std::string, std::vector<std::string>> store_users,
                   std::vector<internal_topic_spec> internal_topics,
                   std::vector<global_store_spec> global_stores,
                   std::optional<topology_optimization> optimization)
    : _nodes(std::move(nodes)), _stores(std::move(stores)), _store_users(std::move(store_users)),
      _internal_topics(std::move(internal_topics)), _global_stores(std::move(global_stores)),
      _optimization(optimization) {
    std::map<std::string, size_t> index;
    for (size_t i = 0; i < _nodes.size(); ++i) {
        index[_nodes[i].name] = i;
    }
    disjoint_sets sets(_nodes.size());
    for (size_t i = 0; i < _nodes.size(); ++i) {
        for (const auto& p : _nodes[i].parents) {
            sets.unite(i, index.at(p));
        }
    }
    for (const auto& [store, users] : _store_users) {
        for (size_t u = 1; u < users.size(); ++u) {
            sets.unite(index.at(users[0]), index.at(users[u]));
        }
    }
    // Number sub-topologies in the order of their first node, so ids are stable.
    std::map<size_t, int> id_of_root;
    for (size_t i = 0; i < _nodes.size(); ++i) {
        const size_t root = sets.find(i);
        auto [it, inserted] = id_of_root.emplace(root, static_cast<int>(id_of_root.size()));
        if (inserted) {
            _subtopologies.push_back(subtopology{it->second, {}, {}, {}});
        }
        subtopology& st = _subtopologies[static_cast<size_t>(it->second)];
        st.nodes.push_back(_nodes[i].name);
        if (_nodes[i].kind == node_kind::source) {
            for (const auto& t : _nodes[i].topics) {
                st.source_topics.push_back(t);
            }
        }
    }
    for (const auto& [store, users] : _store_users) {
        if (!users.empty()) {
            const int id = id_of_root.at(sets.find(index.at(users[0])));
            _subtopologies[static_cast<size_t>(id)].stores.push_back(store);
        }
    }
}

std::string topology::resolve(const std::string& topic, bool internal,
                              const std::string& application_id) {
    return internal ? application_id + "-" + topic : topic;
}

std::vector<std::string> topology::source_topics(const std::string& application_id) const {
    std::set<std::string> out;
    for (const auto& n : _nodes) {
        if (n.kind == node_kind::source) {
            for (const auto& t : n.topics) {
                out.insert(resolve(t, n.internal_topics, application_id));
            }
        }
    }
    return {out.begin(), out.end()};
}

std::vector<std::string> topology::changelog_topics(const std::string& application_id) const {
    std::vector<std::string> out;
    for (const auto& s : _stores) {
        if (s.logged) {
            out.push_back(fmt::format("{}-{}-changelog", application_id, s.name));
        }
    }
    std::sort(out.begin(), out.end());
    return out;
}

bool topology::has_delayed_sources() const {
    return std::any_of(_nodes.begin(), _nodes.end(),
                       [](const node_spec& n) { return n.kind == node_kind::source && n.delayed; });
}

std::vector<std::string> topology::external_source_topics() const {
    std::set<std::string> out;
    for (const auto& n : _nodes) {
        if (n.kind == node_kind::source && !n.internal_topics) {
            out.insert(n.topics.begin(), n.topics.end());
        }
    }
    return {out.begin(), out.end()};
}

std::optional<int> topology::subtopology_of(const std::string& resolved_topic,
                                            const std::string& application_id) const {
    for (const auto& st : _subtopologies) {
        for (const auto& name : st.nodes) {
            const node_spec& n = node(name);
            if (n.kind != node_kind::source) {
                continue;
            }
            for (const auto& t : n.topics) {
                if (resolve(t, n.internal_topics, application_id) == resolved_topic) {
                    return st.id;
                }
            }
        }
    }
    return std::nullopt;
}

const node_spec& topology::node(const std::string& name) const {
    for (const auto& n : _nodes) {
        if (n.name == name) {
            return n;
        }
    }
    throw topology_error(fmt::format("unknown node '{}'", name));
}

std::vector<std::string> topology::children_of(const std::string& name) const {
    std::vector<std::string> out;
    for (const auto& n : _nodes) {
        if (std::find(n.parents.begin(), n.parents.end(), name) != n.parents.end()) {
            out.push_back(n.name);
        }
    }
    return out;
}

topology::instance topology::instantiate(int subtopology_id,
                                         const std::string& application_id) const {
    if (subtopology_id < 0 || static_cast<size_t>(subtopology_id) >= _subtopologies.size()) {
        throw topology_error(fmt::format("no sub-topology {}", subtopology_id));
    }
    const subtopology& st = _subtopologies[static_cast<size_t>(subtopology_id)];
    instance inst;
    std::map<std::string, node_base*> by_name;
    for (const auto& name : st.nodes) {
        const node_spec& spec = node(name);
        std::unique_ptr<node_base> made = spec.factory();
        by_name[name] = made.get();
        if (spec.kind == node_kind::source) {
            auto* source = dynamic_cast<source_node_base*>(made.get());
            for (const auto& t : spec.topics) {
                inst.sources_by_topic[resolve(t, spec.internal_topics, application_id)] = source;
            }
        }
        if (!spec.stores.empty()) {
            inst.stores_by_node[name] = spec.stores;
        }
        inst.nodes.push_back(std::move(made));
    }
    for (const auto& name : st.nodes) {
        for (const auto& parent : node(name).parents) {
            by_name.at(parent)->link_child(*by_name.at(name));
        }
    }
    for (const auto& store_name : st.stores) {
        for (const auto& s : _stores) {
            if (s.name == store_name) {
                inst.stores.emplace(s.name, s.factory());
            }
        }
    }
    return inst;
}

std::string topology::describe() const {
    std::ostringstream out;
    out << "Topologies:\n";
    for (const auto& st : _subtopologies) {
        out << fmt::format("   Sub-topology: {}\n", st.id);
        for (const auto& name : st.nodes) {
            const node_spec& n = node(name);
            std::vector<std::string> shown_topics;
            for (const auto& t : n.topics) {
                shown_topics.push_back(n.internal_topics ? "<application.id>-" + t : t);
            }
            switch (n.kind) {
            case node_kind::source:
                out << fmt::format("    Source: {} (topics: [{}]{})\n", name,
                                   fmt::join(shown_topics, ", "),
                                   n.delayed ? ", each record waits for its due time" : "");
                break;
            case node_kind::processor:
                out << fmt::format("    Processor: {} (stores: [{}])\n", name,
                                   fmt::join(n.stores, ", "));
                break;
            case node_kind::sink:
                out << fmt::format("    Sink: {} (topic: {})\n", name,
                                   shown_topics.empty() ? "<chosen per record>"
                                                        : shown_topics.front());
                break;
            }
            const auto children = children_of(name);
            if (!children.empty()) {
                out << fmt::format("      --> {}\n", fmt::join(children, ", "));
            }
            if (!n.parents.empty()) {
                out << fmt::format("      <-- {}\n", fmt::join(n.parents, ", "));
            }
        }
        out << "\n";
    }
    // As Kafka Streams shows a global store: a sub-topology of its own that makes no tasks.
    for (const auto& g : _global_stores) {
        out << fmt::format("   Global store: {} (topic: {}, read in full by every instance)\n\n",
                           g.store.name, g.topic);
    }
    return out.str();
}

std::string topology::to_dot() const {
    std::ostringstream out;
    out << "digraph topology {\n  rankdir=LR;\n";
    for (const auto& st : _subtopologies) {
        out << fmt::format("  subgraph cluster_{} {{\n    label=\"Sub-topology {}\";\n", st.id,
                           st.id);
        for (const auto& name : st.nodes) {
            const node_spec& n = node(name);
            const char* shape = n.kind == node_kind::processor ? "box" : "ellipse";
            out << fmt::format("    \"{}\" [shape={}];\n", name, shape);
        }
        for (const auto& store : st.stores) {
            out << fmt::format("    \"store:{}\" [shape=cylinder];\n", store);
        }
        out << "  }\n";
    }
    for (const auto& n : _nodes) {
        if (n.kind == node_kind::source) {
            for (const auto& t : n.topics) {
                out << fmt::format("  \"topic:{}\" [shape=cds];\n  \"topic:{}\" -> \"{}\";\n", t, t,
                                   n.name);
            }
        }
        if (n.kind == node_kind::sink) {
            const std::string t = n.topics.empty() ? "<chosen per record>" : n.topics.front();
            out << fmt::format("  \"topic:{}\" [shape=cds];\n  \"{}\" -> \"topic:{}\";\n", t,
                               n.name, t);
        }
        for (const auto& p : n.parents) {
            out << fmt::format("  \"{}\" -> \"{}\";\n", p, n.name);
        }
        for (const auto& s : n.stores) {
            out << fmt::format("  \"{}\" -> \"store:{}\" [dir=both, style=dashed];\n", n.name, s);
        }
    }
    out << "}\n";
    return out.str();
}

std::string topology::to_mermaid() const {
    std::ostringstream out;
    auto id = [](const std::string& s) {
        std::string r;
        for (char c : s) {
            r += (std::isalnum(static_cast<unsigned char>(c)) != 0) ? c : '_';
        }
        return r;
    };
    out << "flowchart LR\n";
    for (const auto& st : _subtopologies) {
        out << fmt::format("  subgraph sub{}[\"Sub-topology {}\"]\n", st.id, st.id);
        for (const auto& name : st.nodes) {
            out << fmt::format("    {}[\"{}\"]\n", id(name), name);
        }
        for (const auto& store : st.stores) {
            out << fmt::format("    s_{}[(\"{}\")]\n", id(store), store);
        }
        out << "  end\n";
    }
    for (const auto& n : _nodes) {
        if (n.kind == node_kind::source) {
            for (const auto& t : n.topics) {
                out << fmt::format("  t_{}[/\"{}\"/] --> {}\n", id(t), t, id(n.name));
            }
        }
        if (n.kind == node_kind::sink && !n.topics.empty()) {
            out << fmt::format("  {} --> t_{}[/\"{}\"/]\n", id(n.name), id(n.topics.front()),
                               n.topics.front());
        }
        for (const auto& p : n.parents) {
            out << fmt::format("  {} --> {}\n", id(p), id(n.name));
        }
        for (const auto& store : n.stores) {
            out << fmt::format("  {} -.- s_{}\n", id(n.name), id(store));
        }
    }
    return out.str();
}

} // namespace brook
