#include "engine/store/stores.h"

#include <stdexcept>

#include <fmt/format.h>

#include "engine/errors.h"

namespace brook::stores::detail {

namespace {

// Kafka Streams keeps a windowed changelog one day longer than the store
// (windowstore.changelog.additional.retention.ms), so that a restore still finds every
// window the store may hold even when the broker's clock runs ahead of stream time.
constexpr int64_t additional_changelog_retention_ms = 24 * 60 * 60 * 1000;

bool legal_topic_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
}

} // namespace

void validate_store_name(const std::string& name) {
    if (name.empty()) {
        throw topology_error("a store needs a non-empty name");
    }
    for (const char c : name) {
        if (!legal_topic_char(c)) {
            throw topology_error(fmt::format(
                "store name '{}' may only contain ASCII letters, digits, '.', '_' and '-', "
                "because it becomes part of the changelog topic's name",
                name));
        }
    }
}

std::map<std::string, std::string>
key_value_changelog_config(const std::map<std::string, std::string>& user) {
    std::map<std::string, std::string> config{{"cleanup.policy", "compact"}};
    for (const auto& [key, value] : user) {
        config[key] = value;
    }
    return config;
}

std::map<std::string, std::string>
windowed_changelog_config(int64_t retention_ms, const std::map<std::string, std::string>& user) {
    std::map<std::string, std::string> config{
        {"cleanup.policy", "compact,delete"},
        {"retention.ms", std::to_string(retention_ms + additional_changelog_retention_ms)}};
    for (const auto& [key, value] : user) {
        config[key] = value;
    }
    return config;
}

int64_t non_negative(std::chrono::milliseconds ms, const char* what) {
    if (ms.count() < 0) {
        throw std::invalid_argument(
            fmt::format("{} must not be negative, got {} ms", what, ms.count()));
    }
    return ms.count();
}

} // namespace brook::stores::detail
