#pragma once

// client_config: the librdkafka properties of one client, kept as plain strings until a
// client is built from them, so that they can be merged, printed and checked first.
//
// build() validates every key and value with librdkafka itself and throws config_error
// naming the offending key, so a typo fails at start-up instead of being ignored.
// Values are copied; a client_config can be reused to build any number of clients.

#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "engine/kafka/handles.h"

namespace brook::kafka {

class client_config {
public:
    client_config() = default;
    client_config(std::initializer_list<std::pair<const std::string, std::string>> props)
        : _props(props) {}

    client_config& set(const std::string& key, std::string value) {
        _props[key] = std::move(value);
        return *this;
    }
    std::optional<std::string> get(const std::string& key) const;
    const std::map<std::string, std::string>& properties() const noexcept { return _props; }

    // Returns a new rd_kafka_conf_t holding every property; throws config_error when
    // librdkafka rejects a key or value.
    conf_ptr build() const;

private:
    std::map<std::string, std::string> _props;
};

// Sends what librdkafka logs through Brook's log (base/log.h) instead of stderr. build()
// does it for every client.
void route_client_logs(rd_kafka_conf_t* conf);

} // namespace brook::kafka
