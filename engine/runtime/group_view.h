#pragma once

// group_view: the application's consumer group as the coordinator describes it (its state,
// members, their client.ids and assigned partitions), cached for a short while so that a burst of
// interactive queries costs one DescribeConsumerGroups request, not one each.
//
// Lifecycle: made by kafka_streams at start; its admin client is created on first use.
// Threading: describe() may be called from any thread (HTTP handlers); one request is in
// flight at a time, others wait for it.

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "engine/kafka/admin_client.h"
#include "engine/kafka/client_config.h"

namespace brook {

class group_view {
public:
    group_view(kafka::client_config admin_config, std::string group,
               std::chrono::milliseconds max_age, std::chrono::milliseconds timeout);

    // The group as described at most max_age ago. Throws kafka_error when the group
    // cannot be described (the cluster is unreachable).
    std::shared_ptr<const kafka::group_description> describe();

private:
    kafka::client_config _admin_config;
    std::string _group;
    std::chrono::milliseconds _max_age;
    std::chrono::milliseconds _timeout;
    std::mutex _mutex;
    std::unique_ptr<kafka::admin_client> _admin;
    std::shared_ptr<const kafka::group_description> _described;
    std::chrono::steady_clock::time_point _described_at;
};

} // namespace brook
