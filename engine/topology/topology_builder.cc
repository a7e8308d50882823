#include "engine/topology/topology_builder.h"

#include <algorithm>

#include <fmt/format.h>

namespace brook {

bool topology_builder::has_node(const std::string& name) const {
    return std::any_of(_nodes.begin(), _nodes.end(),
                       [&](const node_spec& n) { return n.name == name; });
}

void topology_builder::add_node(node_spec spec) {
    if (spec.name.empty()) {
        throw topology_error("a node needs a non-empty name");
    }
    if (has_node(spec.name)) {
        throw topology_error(fmt::format("a node named '{}' exists already", spec.name));
    }
    if (spec.kind == node_kind::source && spec.topics.empty()) {
        throw topology_error(fmt::format("source '{}' needs at least one topic", spec.name));
    }
    if (spec.kind != node_kind::source && spec.parents.empty()) {
        throw topology_error(fmt::format("node '{}' needs at least one parent", spec.name));
    }
    for (const auto& p : spec.parents) {
        auto it = std::find_if(_nodes.begin(), _nodes.end(),
                               [&](const node_spec& n) { return n.name == p; });
        if (it == _nodes.end()) {
            throw topology_error(
                fmt::format("node '{}' names the unknown parent '{}'", spec.name, p));
        }
        if (it->kind == node_kind::sink) {
            throw topology_error(
                fmt::format("node '{}' cannot have the sink '{}' as parent", spec.name, p));
        }
    }
    for (const auto& existing : _nodes) {
        if (spec.kind != node_kind::source || existing.kind != node_kind::source) {
            continue;
        }
        for (const auto& t : spec.topics) {
            if (std::find(existing.topics.begin(), existing.topics.end(), t) !=
                existing.topics.end()) {
                throw topology_error(fmt::format(
                    "topic '{}' is read by both '{}' and '{}'; read it once and branch instead", t,
                    existing.name, spec.name));
            }
        }
    }
    _nodes.push_back(std::move(spec));
}

topology_builder& topology_builder::add_state_store(store_spec store,
                                                    const std::vector<std::string>& processors) {
    if (_store_users.contains(store.name)) {
        throw topology_error(fmt::format("a store named '{}' exists already", store.name));
    }
    _store_users[store.name] = {};
    const std::string name = store.name;
    _stores.push_back(std::move(store));
    return connect_store(name, processors);
}

const store_spec* topology_builder::find_store(const std::string& name) const {
    auto it = std::find_if(_stores.begin(), _stores.end(),
                           [&](const store_spec& s) { return s.name == name; });
    return it == _stores.end() ? nullptr : &*it;
}

topology_builder& topology_builder::connect_store(const std::string& store,
                                                  const std::vector<std::string>& processors) {
    auto users = _store_users.find(store);
    if (users == _store_users.end()) {
        throw topology_error(fmt::format("unknown store '{}'", store));
    }
    for (const auto& p : processors) {
        auto it = std::find_if(_nodes.begin(), _nodes.end(),
                               [&](const node_spec& n) { return n.name == p; });
        if (it == _nodes.end() || it->kind != node_kind::processor) {
            throw topology_error(
                fmt::format("store '{}' connected to '{}', which is not a processor", store, p));
        }
        it->stores.push_back(store);
        users->second.push_back(p);
    }
    return *this;
}

topology topology_builder::build() const {
    if (std::none_of(_nodes.begin(), _nodes.end(),
                     [](const node_spec& n) { return n.kind == node_kind::source; })) {
        throw topology_error("a topology needs at least one source");
    }
    return topology(_nodes, _stores, _store_users, _internal_topics, _global_stores);
}

topology_builder& topology_builder::add_global_store(global_store_spec spec) {
    for (const auto& s : _stores) {
        if (s.name == spec.store.name) {
            throw topology_error(fmt::format("a store named '{}' exists already", s.name));
        }
    }
    for (const auto& g : _global_stores) {
        if (g.store.name == spec.store.name) {
            throw topology_error(fmt::format("a store named '{}' exists already", g.store.name));
        }
        if (g.topic == spec.topic) {
            throw topology_error(fmt::format(
                "topic '{}' is read by global store '{}' already: read it once and share the "
                "global table",
                spec.topic, g.store.name));
        }
    }
    _global_stores.push_back(std::move(spec));
    return *this;
}

} // namespace brook
