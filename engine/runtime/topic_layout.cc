#include "engine/runtime/topic_layout.h"

#include <algorithm>

#include "engine/topology/topology.h"

namespace brook {

topic_layout topic_layout::make(const topology& topo, const std::string& application_id,
                                std::map<std::string, int32_t, std::less<>> partitions) {
    topic_layout layout;
    layout.partitions = std::move(partitions);
    for (const auto& st : topo.subtopologies()) {
        int32_t tasks = 1;
        std::vector<std::string>& sources = layout.sources[st.id];
        for (const auto& topic : topo.source_topics(application_id)) {
            if (topo.subtopology_of(topic, application_id) != st.id) {
                continue;
            }
            sources.push_back(topic); // source_topics() is sorted
            auto it = layout.partitions.find(topic);
            if (it != layout.partitions.end()) {
                tasks = std::max(tasks, it->second);
            }
        }
        layout.tasks[st.id] = tasks;
    }
    std::map<std::string, int> subtopology_of_node;
    for (const auto& st : topo.subtopologies()) {
        for (const auto& node : st.nodes) {
            subtopology_of_node[node] = st.id;
        }
    }
    for (const auto& n : topo.nodes()) {
        if (n.kind != node_kind::sink || !n.internal_topics) {
            continue;
        }
        for (const auto& t : n.topics) {
            std::vector<int>& w = layout.writers[topology::resolve(t, true, application_id)];
            const int st = subtopology_of_node.at(n.name);
            if (std::find(w.begin(), w.end(), st) == w.end()) {
                w.push_back(st);
            }
        }
    }
    for (auto& [topic, w] : layout.writers) {
        std::sort(w.begin(), w.end());
    }
    return layout;
}

std::vector<fan_in_watermark::writer_group>
topic_layout::writer_groups(std::string_view topic) const {
    std::vector<fan_in_watermark::writer_group> out;
    auto it = writers.find(topic);
    if (it == writers.end()) {
        return out;
    }
    for (const int st : it->second) {
        out.push_back({st, tasks_of(st)});
    }
    return out;
}

std::vector<std::pair<std::string, int32_t>> topic_layout::written_by(int subtopology) const {
    std::vector<std::pair<std::string, int32_t>> out;
    for (const auto& [topic, w] : writers) {
        if (std::find(w.begin(), w.end(), subtopology) == w.end()) {
            continue;
        }
        auto p = partitions.find(topic);
        if (p != partitions.end()) {
            out.emplace_back(topic, p->second);
        }
    }
    return out;
}

const std::vector<std::string>& topic_layout::sources_of(int subtopology) const {
    static const std::vector<std::string> none;
    auto it = sources.find(subtopology);
    return it == sources.end() ? none : it->second;
}

int32_t topic_layout::tasks_of(int subtopology) const {
    auto it = tasks.find(subtopology);
    return it == tasks.end() ? 1 : it->second;
}

} // namespace brook
