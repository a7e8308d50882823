#include "apps/retry_router/retry_topics.h"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

namespace brook::apps {

void check_topic_name(const std::string& name, const std::string& what) {
    constexpr size_t max_length = 249;
    if (name.empty()) {
        throw std::invalid_argument(fmt::format("the {} is empty: give a topic name", what));
    }
    if (name.size() > max_length) {
        throw std::invalid_argument(fmt::format("the {} '{}...' has {} characters; Kafka allows "
                                                "at most {}",
                                                what, name.substr(0, 40), name.size(), max_length));
    }
    if (name == "." || name == "..") {
        throw std::invalid_argument(fmt::format("the {} cannot be '{}'", what, name));
    }
    const auto bad = std::find_if(name.begin(), name.end(), [](char c) {
        return !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '.' || c == '_' || c == '-');
    });
    if (bad != name.end()) {
        throw std::invalid_argument(fmt::format(
            "the {} '{}' has the character '{}': Kafka topic names use only letters, digits, "
            "'.', '_' and '-'",
            what, name, *bad));
    }
}

retry_topics retry_topics::make(const std::string& input, const std::string& output,
                                const std::string& dead_letter, size_t tiers) {
    retry_topics t;
    t.input = input;
    t.output = output.empty() ? input + ".processed" : output;
    t.dead_letter = dead_letter.empty() ? input + ".dlq" : dead_letter;
    for (size_t n = 1; n <= tiers; ++n) {
        t.tiers.push_back(fmt::format("{}.retry.{}", input, n));
    }
    check_topic_name(t.input, "input topic");
    check_topic_name(t.output, "output topic");
    check_topic_name(t.dead_letter, "dead-letter topic");
    for (const auto& tier : t.tiers) {
        check_topic_name(tier, "retry tier topic (named from the input topic)");
    }
    const auto check_not_read = [&](const std::string& topic, const char* role) {
        if (topic == t.input || t.tier_of(topic) != 0) {
            throw std::invalid_argument(fmt::format(
                "the {} '{}' is also a topic the router reads ({}): its records would be "
                "handled again; choose another",
                role, topic, topic == t.input ? "the input" : "a retry tier"));
        }
    };
    check_not_read(t.output, "output topic");
    check_not_read(t.dead_letter, "dead-letter topic");
    if (t.output == t.dead_letter) {
        throw std::invalid_argument(fmt::format(
            "the output and dead-letter topics are both '{}': give them different names",
            t.output));
    }
    return t;
}

std::vector<std::string> retry_topics::all() const {
    std::vector<std::string> out{input};
    out.insert(out.end(), tiers.begin(), tiers.end());
    out.push_back(output);
    out.push_back(dead_letter);
    return out;
}

size_t retry_topics::tier_of(const std::string& topic) const {
    const auto it = std::find(tiers.begin(), tiers.end(), topic);
    return it == tiers.end() ? 0 : static_cast<size_t>(it - tiers.begin()) + 1;
}

} // namespace brook::apps
