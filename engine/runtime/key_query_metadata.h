#pragma once

// key_query_metadata: where a key of a store lives across the instances of an application
// (kafka_streams::query_metadata_for_key), as Kafka Streams' KeyQueryMetadata says it.
//
// A plain value.

#include <cstdint>
#include <string>
#include <vector>

#include "engine/processor/task_context.h"

namespace brook {

struct key_query_metadata {
    // The task whose store holds the key, and the partition of its inputs the key maps to
    // (Kafka's default partitioner over the serialized key, as Brook writes repartition
    // topics; a source topic written with another partitioner maps keys elsewhere).
    task_id task;
    int32_t partition = -1;
    // The instance running the task now: its process id and advertised application.server
    // ("" when it advertises none). Empty process id: no member holds the task now
    // (the group is rebalancing, or its owner left), and `reason` says so.
    std::string active_process_id;
    std::string active_server;
    bool active_is_local = false;
    // Instances with a standby copy of the task's stores: none until standby replicas land.
    std::vector<std::string> standby_servers;
    std::string reason;

    bool has_active() const { return !active_process_id.empty(); }
};

} // namespace brook
