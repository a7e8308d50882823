#include "engine/topology/topology_optimization.h"

#include <stdexcept>

#include <fmt/format.h>

namespace brook {

namespace {

constexpr std::string_view merge_word = "merge.repartition.topics";
constexpr std::string_view reuse_word = "reuse.ktable.source.topics";

std::string_view trimmed(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
        s.remove_suffix(1);
    }
    return s;
}

} // namespace

topology_optimization topology_optimization::parse(std::string_view value) {
    topology_optimization out;
    const std::string_view whole = trimmed(value);
    if (whole == "none") {
        return out;
    }
    if (whole == "all") {
        out.merge_repartition_topics = true;
        out.reuse_source_topics = true;
        return out;
    }
    if (whole.empty()) {
        throw std::invalid_argument(
            "is empty: write none, all, or a comma-separated list of merge.repartition.topics "
            "and reuse.ktable.source.topics");
    }
    // Bounded by the caller's value length; each word is checked, none kept.
    std::string_view rest = whole;
    while (true) {
        const size_t comma = rest.find(',');
        const std::string_view word = trimmed(rest.substr(0, comma));
        if (word == merge_word) {
            out.merge_repartition_topics = true;
        } else if (word == reuse_word) {
            out.reuse_source_topics = true;
        } else if (word == "single.store.self.join") {
            throw std::invalid_argument(
                "asks for 'single.store.self.join', which Brook does not make: a self-join "
                "keeps a store for each side. Leave it out of the list (all takes every "
                "optimization Brook makes)");
        } else {
            throw std::invalid_argument(fmt::format(
                "has the unknown optimization '{}': write none, all, or a comma-separated list "
                "of merge.repartition.topics and reuse.ktable.source.topics",
                word.substr(0, 64)));
        }
        if (comma == std::string_view::npos) {
            break;
        }
        rest.remove_prefix(comma + 1);
    }
    return out;
}

std::string topology_optimization::to_string() const {
    if (merge_repartition_topics && reuse_source_topics) {
        return "all";
    }
    if (merge_repartition_topics) {
        return std::string(merge_word);
    }
    return reuse_source_topics ? std::string(reuse_word) : std::string("none");
}

} // namespace brook
