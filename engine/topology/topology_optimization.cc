#include "engine/topology/topology_optimization.h"

#include <stdexcept>

#include <fmt/format.h>

namespace brook {

namespace {

constexpr std::string_view merge_word = "merge.repartition.topics";

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
    if (whole.empty()) {
        throw std::invalid_argument("is empty: write none, or merge.repartition.topics");
    }
    // Bounded by the caller's value length; each word is checked, none kept.
    std::string_view rest = whole;
    while (true) {
        const size_t comma = rest.find(',');
        const std::string_view word = trimmed(rest.substr(0, comma));
        if (word == merge_word) {
            out.merge_repartition_topics = true;
        } else if (word == "all" || word == "reuse.ktable.source.topics" ||
                   word == "single.store.self.join") {
            throw std::invalid_argument(fmt::format(
                "asks for '{}', which Brook does not make: of Kafka Streams' optimizations Brook "
                "merges repartition topics only (it does not reuse a table's source topic as its "
                "changelog, nor share one store in a self-join). Write merge.repartition.topics "
                "for that, or none",
                word));
        } else {
            throw std::invalid_argument(
                fmt::format("has the unknown optimization '{}': write none, or a comma-separated "
                            "list of merge.repartition.topics",
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
    return merge_repartition_topics ? std::string(merge_word) : std::string("none");
}

} // namespace brook
