#pragma once

// The value types of resilient_publisher's API: its options, what publish() answers at
// once (publish_receipt), what a tracked event's future reports later (delivery_report),
// and the counters (publisher_stats). Plain data; no threading concerns of their own.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "engine/kafka/client_config.h"
#include "publisher/circuit_breaker.h"

namespace brook::publisher {

struct publisher_options {
    // The producer's librdkafka properties; bootstrap.servers is required. The publisher
    // sets enable.idempotence=true, enable.gapless.guarantee=true and message.timeout.ms=0
    // (ordering depends on them; setting them otherwise is a config_error) and defaults
    // partitioner=murmur2_random (Java's), linger.ms=5, reconnect.backoff.max.ms=1000.
    kafka::client_config kafka;
    // The outbox directory (created if missing). One publisher per directory at a time.
    std::filesystem::path outbox_dir;

    circuit_breaker_options breaker;
    // An event handed to Kafka and not acknowledged within this counts as a failure for
    // the breaker (it stays queued in the producer, which keeps trying, in order).
    std::chrono::milliseconds delivery_timeout{10000};
    // Wait after the n-th failed attempt of an event before its key is tried again:
    // backoff[n-1], the last entry repeating. Must not be empty.
    std::vector<std::chrono::milliseconds> backoff{
        std::chrono::seconds(1), std::chrono::seconds(2), std::chrono::seconds(5),
        std::chrono::seconds(10), std::chrono::seconds(30)};
    // After this many failed attempts an event goes to <topic><dead_letter_suffix>.
    uint32_t max_attempts = 5;
    std::string dead_letter_suffix = ".dlq";

    // Events handed to the producer and not yet acknowledged, at most. Bounds the
    // producer's memory; everything else waits in the outbox on disk.
    size_t max_in_flight = 10000;
    // publish() rejects a record whose key, value and headers together are larger (keep
    // it at or below the topic's max.message.bytes, minus room for the dead-letter headers).
    size_t max_record_bytes = 1000000;
    // publish() rejects events while the outbox holds this many; 0: no limit (disk only).
    uint64_t max_pending = 0;

    // fsync the outbox's log on every publish() (see outbox.h); otherwise every
    // sync_interval (0: never explicitly; a SIGKILL still loses nothing).
    bool sync_every_write = false;
    std::chrono::milliseconds sync_interval{1000};
    // close(): how long to wait for acknowledgements of events already handed to Kafka
    // (while the breaker is closed) before leaving them to the next run.
    std::chrono::milliseconds close_flush_timeout{5000};
    // When not empty, every record (and dead-letter copy) gets a header of this name with
    // the event's outbox sequence in decimal, for consumers that drop duplicates.
    std::string sequence_header;
};

// Why publish() did not accept an event.
enum class publish_error {
    none,
    invalid_topic,    // empty, too long, or characters Kafka does not allow
    record_too_large, // over options.max_record_bytes
    closed,           // close() was called
    outbox_full,      // options.max_pending reached
    outbox_failure,   // the outbox could not be written (disk full, I/O error, write stall)
};
const char* to_string(publish_error e);

// What publish() answers at once. Accepted means: durably in the outbox (see outbox.h for
// what "durably" covers), and it will be delivered or dead-lettered, by this publisher or
// the next one opened on the same directory.
struct publish_receipt {
    bool accepted = false;
    uint64_t sequence = 0; // the event's outbox sequence (acceptance order), when accepted
    publish_error error = publish_error::none;
    std::string message; // why it was rejected, and what to do

    explicit operator bool() const { return accepted; }
};

enum class delivery_status {
    delivered,        // Kafka acknowledged the record on its topic
    dead_lettered,    // after the last attempt, Kafka acknowledged it on the dead-letter topic
    rejected,         // publish() did not accept it; see error
    pending_at_close, // the publisher closed first; the event stays in the outbox
};
const char* to_string(delivery_status s);

struct delivery_report {
    uint64_t sequence = 0;
    delivery_status status = delivery_status::rejected;
    // Where it landed (the dead-letter topic's partition when dead-lettered); -1 if not.
    int32_t partition = -1;
    int64_t offset = -1;
    uint32_t attempts = 0; // failed attempts before the outcome
    std::string error;     // rejected: why; dead_lettered: the last delivery error
};

struct publisher_stats {
    uint64_t accepted = 0; // since construction
    uint64_t rejected = 0;
    // In the outbox: not yet acknowledged, including in_flight (and, after a restart,
    // events accepted by an earlier run).
    uint64_t pending = 0;
    uint64_t in_flight = 0; // handed to the producer, no delivery report yet
    uint64_t delivered = 0;
    uint64_t dead_lettered = 0;
    uint64_t failed_attempts = 0;   // delivery errors counted against an event
    uint64_t delivery_timeouts = 0; // events unacknowledged past delivery_timeout
    uint64_t producer_restarts = 0; // fatal producer errors recovered by a new producer
    uint64_t quarantined = 0;       // outbox entries that did not decode, set aside
    // A later event of a key acknowledged while an earlier one of the same key was
    // waiting to be retried. The design keeps this at 0; it is counted to prove it.
    uint64_t order_violations = 0;
    circuit_breaker_stats breaker;
    std::string last_error; // the latest failure the background thread saw, or ""
};

} // namespace brook::publisher
