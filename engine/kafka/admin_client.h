#pragma once

// admin_client: topic administration (create, delete, describe, delete records) over
// librdkafka's Admin API.
//
// Lifecycle: one client handle for its lifetime; each call waits for its result on a
// private queue, bounded by the given timeout. Threading: calls may come from any one
// thread at a time.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/kafka/client_config.h"
#include "engine/kafka/handles.h"

namespace brook::kafka {

struct topic_spec {
    std::string name;
    int partitions = 1;
    int replication_factor = -1; // -1: the broker's default
    std::map<std::string, std::string> configs;
};

// One member of a consumer group as DescribeConsumerGroups reports it.
struct group_member {
    std::string member_id;
    std::string client_id;
    std::string group_instance_id; // empty for a dynamic member
    std::string host;
    std::vector<std::pair<std::string, int32_t>> assignment; // (topic, partition)
};

// A consumer group as its coordinator describes it.
struct group_description {
    std::string state;   // "Stable", "PreparingRebalance", "CompletingRebalance", "Empty", ...
    bool stable = false; // members hold the assignment of a finished rebalance
    std::vector<group_member> members;
};

class admin_client {
public:
    // Throws config_error or kafka_error.
    explicit admin_client(const client_config& config);

    // Creates the topics and waits until the cluster's metadata shows them; ones that
    // exist already are left alone. Throws kafka_error naming the first topic that could
    // not be created.
    void create_topics(const std::vector<topic_spec>& topics, std::chrono::milliseconds timeout);
    // Deletes the topics; missing ones are ignored. Throws kafka_error on other failures.
    void delete_topics(const std::vector<std::string>& topics, std::chrono::milliseconds timeout);
    // Number of partitions of `topic`, or nullopt if the cluster does not have it.
    // Throws kafka_error when the cluster cannot be reached within `timeout`.
    std::optional<int> partition_count(const std::string& topic, std::chrono::milliseconds timeout);
    // The same, asking in attempts of at most a second until `timeout`, and between them
    // whether to give up: `cancelled()` true throws operation_cancelled (a SIGTERM during
    // start-up must not wait for an unreachable broker).
    std::optional<int> partition_count(const std::string& topic, std::chrono::milliseconds timeout,
                                       const std::function<bool()>& cancelled);
    // The members of consumer group `group` and what each is assigned (empty while the
    // group has no members or is rebalancing). Throws kafka_error on failure.
    group_description describe_group(const std::string& group, std::chrono::milliseconds timeout);
    // Names of every topic in the cluster (internal ones such as __consumer_offsets too).
    std::vector<std::string> topic_names(std::chrono::milliseconds timeout);
    // Sets topic-level configs (incrementally is not in librdkafka 2.0; this replaces the
    // listed keys and resets the others to their defaults).
    void alter_topic_configs(const std::string& topic,
                             const std::map<std::string, std::string>& configs,
                             std::chrono::milliseconds timeout);

    // The topic's effective configs (explicit and defaulted), by name. Throws kafka_error,
    // also when the topic does not exist.
    std::map<std::string, std::string> topic_configs(const std::string& topic,
                                                     std::chrono::milliseconds timeout);
    // Asks the brokers to delete every record before each partition's offset in `before`
    // (DeleteRecords) and returns without waiting: the answer arrives on `results` as an
    // RD_KAFKA_EVENT_DELETERECORDS_RESULT event. `results` must be a queue of this client.
    void delete_records_async(const rd_kafka_topic_partition_list_t& before,
                              rd_kafka_queue_t* results, std::chrono::milliseconds timeout);

    rd_kafka_t* handle() const noexcept { return _rk.get(); }

private:
    event_ptr wait_result(rd_kafka_queue_t* queue, rd_kafka_event_type_t type,
                          std::chrono::milliseconds timeout, const char* what);

    kafka_ptr _rk;
};

} // namespace brook::kafka
