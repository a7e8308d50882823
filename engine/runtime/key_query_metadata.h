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
    // Instances keeping a standby of the task (num.standby.replicas, task_placement.h), in
    // the order they would take it over: process ids and application.server ("" where
    // none is advertised); whether this instance is one of them.
    std::vector<std::string> standby_process_ids;
    std::vector<std::string> standby_servers;
    bool standby_is_local = false;
    std::string reason;

    bool has_active() const { return !active_process_id.empty(); }
};

} // namespace brook
