#pragma once

// Topic provisioning and the co-partition check for an application's own topics: what an
// app does before kafka_streams::start() so that it runs on an empty cluster and refuses
// inputs that cannot meet in one task.
//
// kafka_streams itself creates only its internal topics (repartition and changelog) and
// checks that the inputs of each sub-topology are co-partitioned, as Kafka Streams does;
// source and sink topics are the user's. These functions are for apps that own their
// topics (every Brook example app does), and for groups of topics that must be
// co-partitioned beyond one topology: with a consumer downstream, say, that joins them.
//
// Threading: call from any thread; each call makes one short-lived admin client.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace brook {

class streams_config;

struct new_topic {
    std::string name;
    int partitions = 1;
    // Unset: the configuration's replication.factor.
    std::optional<int> replication_factor;
    // Topic configuration, e.g. {"cleanup.policy", "compact"}.
    std::map<std::string, std::string> config;
};

// Creates each of `topics` that does not exist yet, on the cluster `config` names (on the
// embedded demo cluster directly). A topic that exists is left as it is, whatever its
// partition count: check_copartitioned() tells when that matters. Throws kafka_error when
// the cluster refuses, and operation_cancelled once `cancelled()` says so while the
// cluster does not answer (for SIGTERM during start-up).
void provision_topics(const streams_config& config, const std::vector<new_topic>& topics,
                      const std::function<bool()>& cancelled = {});

// Throws config_error, naming the topics and what to do, when the topics of a group do not
// all exist with the same partition count: records with one key would land in different
// partition numbers, and a join or merged aggregation over them would silently miss.
void check_copartitioned(const streams_config& config,
                         const std::vector<std::vector<std::string>>& groups,
                         const std::function<bool()>& cancelled = {});

} // namespace brook
