#include "engine/kafka/embedded_cluster.h"

#include <array>
#include <mutex>

#include <fmt/format.h>
#include <librdkafka/rdkafka_mock.h>

#include "engine/kafka/client_config.h"
#include "engine/kafka/kafka_error.h"

namespace brook::kafka {

void mock_cluster_deleter::operator()(rd_kafka_mock_cluster_s* cluster) const noexcept {
    if (cluster != nullptr) {
        rd_kafka_mock_cluster_destroy(cluster);
    }
}

embedded_cluster::embedded_cluster(int brokers) {
    conf_ptr conf(rd_kafka_conf_new());
    route_client_logs(conf.get());
    std::array<char, 512> errstr{};
    // The owning handle never talks to any broker; silence its connection attempts.
    rd_kafka_conf_set(conf.get(), "log_level", "3", errstr.data(), errstr.size());
    _owner.reset(rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), errstr.data(), errstr.size()));
    if (!_owner) {
        throw kafka_error(fmt::format("cannot start the embedded cluster: {}", errstr.data()),
                          RD_KAFKA_RESP_ERR__FAIL, true, false, false);
    }
    (void)conf.release();
    _cluster.reset(rd_kafka_mock_cluster_new(_owner.get(), brokers));
    if (!_cluster) {
        throw kafka_error("cannot start the embedded cluster", RD_KAFKA_RESP_ERR__FAIL, true, false,
                          false);
    }
    _bootstrap = rd_kafka_mock_cluster_bootstraps(_cluster.get());
}

embedded_cluster::~embedded_cluster() {
    _cluster.reset();
    _owner.reset();
}

void embedded_cluster::create_topic(const std::string& name, int partitions) {
    throw_if_error(rd_kafka_mock_topic_create(_cluster.get(), name.c_str(), partitions, 1),
                   fmt::format("creating topic '{}' in the embedded cluster", name));
}

std::shared_ptr<embedded_cluster> embedded_cluster::shared() {
    static std::mutex mutex;
    static std::shared_ptr<embedded_cluster> instance;
    std::lock_guard lock(mutex);
    if (!instance) {
        instance = std::make_shared<embedded_cluster>(1);
    }
    return instance;
}

std::string resolve_bootstrap(const std::string& bootstrap) {
    if (bootstrap == embedded_bootstrap) {
        return embedded_cluster::shared()->bootstrap_servers();
    }
    return bootstrap;
}

} // namespace brook::kafka
