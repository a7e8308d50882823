#include "engine/kafka/client_config.h"

#include <array>

#include <fmt/format.h>

#include "engine/errors.h"

namespace brook::kafka {

std::optional<std::string> client_config::get(const std::string& key) const {
    auto it = _props.find(key);
    if (it == _props.end()) {
        return std::nullopt;
    }
    return it->second;
}

conf_ptr client_config::build() const {
    conf_ptr conf(rd_kafka_conf_new());
    std::array<char, 512> errstr{};
    for (const auto& [key, value] : _props) {
        if (rd_kafka_conf_set(conf.get(), key.c_str(), value.c_str(), errstr.data(),
                              errstr.size()) != RD_KAFKA_CONF_OK) {
            throw config_error(fmt::format("Kafka client property '{}' = '{}' rejected: {}", key,
                                           value, errstr.data()));
        }
    }
    return conf;
}

} // namespace brook::kafka
