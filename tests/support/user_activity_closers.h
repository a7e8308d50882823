#pragma once

// user_activity_closers: the events a brook-user-activity test writes once its input is
// consumed, so that every window of that input closes. One event at `ts` goes to every
// partition of both inputs, each keyed by a user ("closer-<n>") that Kafka's default
// partitioner puts on a different partition, so the repartition topic gets one on every
// partition too and every task's stream time reaches `ts`.
//
// A test skips the closers' own windows in the output with is_closer().

#include <cstdint>
#include <string>

#include "engine/kafka/client_config.h"

namespace brook::testing {

void write_user_activity_closers(const kafka::client_config& config, const std::string& users_topic,
                                 const std::string& orders_topic, int partitions, int64_t ts);

bool is_closer(const std::string& user_id);

} // namespace brook::testing
