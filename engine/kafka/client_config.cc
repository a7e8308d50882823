#include "engine/kafka/client_config.h"

#include <array>

#include <fmt/format.h>

#include "base/log.h"
#include "engine/errors.h"

namespace brook::kafka {

void route_client_logs(rd_kafka_conf_t* conf) {
    rd_kafka_conf_set_log_cb(
        conf, [](const rd_kafka_t* rk, int level, const char* facility, const char* message) {
            // librdkafka's levels are syslog's: 0-3 errors, 4 warnings, 5-6 notices, 7 debug.
            const log_level mapped = level <= 3   ? log_level::error
                                     : level == 4 ? log_level::warn
                                     : level <= 6 ? log_level::info
                                                  : log_level::debug;
            if (log_enabled(mapped)) {
                write_log(mapped,
                          fmt::format("librdkafka {} {}: {}",
                                      rk != nullptr ? rd_kafka_name(rk) : "-", facility, message));
            }
        });
}

std::optional<std::string> client_config::get(const std::string& key) const {
    auto it = _props.find(key);
    if (it == _props.end()) {
        return std::nullopt;
    }
    return it->second;
}

conf_ptr client_config::build() const {
    conf_ptr conf(rd_kafka_conf_new());
    route_client_logs(conf.get());
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
