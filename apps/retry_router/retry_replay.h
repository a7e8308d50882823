#pragma once

// Dead-letter replay: copies records from a dead-letter topic back to an input topic, so
// that an operator who fixed the cause of their failure can have the router try again.
//
// What is copied: the records the dead-letter topic holds when the replay starts (it
// reads every partition's end offset first and stops there; records dead-lettered later
// wait for the next replay), all of them or, with an event type, those whose event-type
// header equals it (the router writes that header whenever its handler side knew the
// type; records without it never match a filter). Reading is read_committed, so records
// of aborted transactions are never replayed.
//
// How a copy looks: the key and value bytes as they are, into the partition the
// producer's partitioner picks for the key. The router's headers (retry_history.h) are
// renamed to replayed-<name> (replacing an earlier replay's replayed-<name>), so the
// router treats the copy as a fresh input record (attempts count from 1 again) while the
// history stays readable; other headers are kept. The Kafka timestamp is the time of the
// replay (an old timestamp could let retention delete the copy at once; the original
// one is in replayed-original-timestamp).
//
// The dead-letter records stay where they are (Kafka cannot delete single records):
// replaying the same topic again copies them again.
//
// Threading: a blocking call, on the caller's thread. Ownership: makes and closes its own
// clients.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "engine/kafka/client_config.h"
#include "engine/record.h"

namespace brook::apps {

struct replay_options {
    std::string dlq_topic;
    std::string to_topic;
    std::optional<std::string> event_type; // nullopt: every record
    // bootstrap.servers and any other librdkafka settings for both clients.
    kafka::client_config client;
    // How long reading up to the end offsets and delivering the copies may take.
    std::chrono::milliseconds timeout{std::chrono::minutes(2)};
};

struct replay_result {
    uint64_t read = 0;     // records read from the dead-letter topic
    uint64_t replayed = 0; // of those, copied to the input
};

// Whether a record with `hdrs` is replayed under the filter `event_type`.
bool replay_matches(const headers& hdrs, const std::optional<std::string>& event_type);
// The headers of a record's copy: the router's renamed to replayed-<name>, others kept.
headers replay_headers(const headers& hdrs);

// Copies as described above. Throws std::runtime_error saying what to do when a topic is
// missing, the end offsets are not reached or a copy is not delivered within the timeout,
// and kafka_error when the cluster refuses a call.
replay_result replay_dead_letters(const replay_options& options);

} // namespace brook::apps
