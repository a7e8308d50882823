#pragma once

// member_identity: what a stream thread's consumer tells the group about its instance, and
// how another instance reads it back. librdkafka lets no application attach data to its
// group membership (Kafka Streams puts its endpoint in the subscription's user data), so
// the consumer's client.id carries it:
//
//   "<client.id>-<process id>-StreamThread-<n>-consumer[@<application.server>]"
//
// DescribeConsumerGroups reports every member's client.id, so any instance can map a task's
// partitions to the process that runs them and to the HTTP endpoint that process serves
// (interactive queries, kafka_streams::query_metadata_for_key).
//
// Pure functions; thread-safe.

#include <optional>
#include <string>
#include <string_view>

namespace brook {

struct member_identity {
    std::string process_id;         // 32 hex digits (process_id.h)
    std::string application_server; // "host:port", or empty when not advertised
};

// The consumer client.id of stream thread `thread`.
std::string consumer_client_id(std::string_view client_id, std::string_view process_id, int thread,
                               std::string_view application_server);

// The identity in a member's client.id, or nullopt when it is not one a Brook stream
// thread wrote (another client in the group, or an older version).
std::optional<member_identity> parse_member_identity(std::string_view client_id);

} // namespace brook
