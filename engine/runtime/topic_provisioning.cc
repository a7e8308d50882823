#include "engine/runtime/topic_provisioning.h"

#include <utility>

#include <fmt/format.h>

#include "engine/config/streams_config.h"
#include "engine/errors.h"
#include "engine/kafka/admin_client.h"
#include "engine/kafka/embedded_cluster.h"

namespace brook {

namespace {

kafka::admin_client make_admin(const streams_config& config) {
    kafka::client_config ac = config.admin_config();
    ac.set("bootstrap.servers", kafka::resolve_bootstrap(config.bootstrap_servers()));
    return kafka::admin_client(ac);
}

} // namespace

void provision_topics(const streams_config& config, const std::vector<new_topic>& topics,
                      const std::function<bool()>& cancelled) {
    for (const new_topic& t : topics) {
        if (t.name.empty() || t.partitions < 1) {
            throw config_error(fmt::format(
                "cannot create topic '{}' with {} partitions: a topic needs a name and at "
                "least one partition",
                t.name, t.partitions));
        }
    }
    kafka::admin_client admin = make_admin(config);
    std::vector<kafka::topic_spec> missing;
    for (const new_topic& t : topics) {
        if (!admin.partition_count(t.name, config.broker_wait_timeout(), cancelled)) {
            missing.push_back({t.name, t.partitions,
                               t.replication_factor.value_or(config.replication_factor()),
                               t.config});
        }
    }
    if (config.bootstrap_servers() == kafka::embedded_bootstrap) {
        // The mock cluster's admin API does not create topics: make them in it directly
        // (it has no topic configs to set).
        auto cluster = kafka::embedded_cluster::shared();
        for (const kafka::topic_spec& t : missing) {
            cluster->create_topic(t.name, t.partitions);
        }
        return;
    }
    // Another instance may create the same topics at the same moment: create_topics
    // leaves the ones that exist by then alone.
    admin.create_topics(missing, config.broker_wait_timeout());
}

void check_copartitioned(const streams_config& config,
                         const std::vector<std::vector<std::string>>& groups,
                         const std::function<bool()>& cancelled) {
    if (groups.empty()) {
        return;
    }
    kafka::admin_client admin = make_admin(config);
    for (const auto& group : groups) {
        std::optional<std::pair<std::string, int>> first;
        for (const auto& topic : group) {
            const std::optional<int> count =
                admin.partition_count(topic, config.broker_wait_timeout(), cancelled);
            if (!count) {
                throw config_error(fmt::format("input topic '{}' does not exist: create it "
                                               "(provision_topics, or an app's --partitions)",
                                               topic));
            }
            if (!first) {
                first.emplace(topic, *count);
            } else if (*count != first->second) {
                throw config_error(fmt::format(
                    "input topics '{}' ({} partitions) and '{}' ({} partitions) must have the "
                    "same number of partitions: records with the same key must meet in one task. "
                    "Recreate one of them with {} partitions (or write it to a new topic that "
                    "has)",
                    first->first, first->second, topic, *count, first->second));
            }
        }
    }
}

} // namespace brook
