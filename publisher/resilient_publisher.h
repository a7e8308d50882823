#pragma once

// resilient_publisher: publishing an event never breaks the caller's business flow, even
// while Kafka is down.
//
//   publisher::publisher_options options;
//   options.kafka.set("bootstrap.servers", "127.0.0.1:9092");
//   options.outbox_dir = "/var/lib/orders/outbox";
//   publisher::resilient_publisher events(std::move(options));
//   events.publish("orders", order_id, payload);                  // fire and forget
//   auto done = events.publish_tracked("orders", order_id, payload); // or: a future
//   ...
//   events.close(std::chrono::seconds(10)); // drain for up to 10 s; the rest stays queued
//
// How (see README.md in this directory for the whole argument):
//
//   publish() --append--> outbox (RocksDB, WAL) --outbox_relay thread--> idempotent
//                          |  ^                      asks circuit_breaker    producer
//                          |  +-- delete after the delivery report <-------- Kafka
//
// Every accepted event is first appended to the durable outbox (a transactional outbox),
// then sent by one background relay in acceptance order; the circuit breaker (CLOSED,
// OPEN, HALF_OPEN over the recent failure rate) gates the relay, not publish(), so the
// caller never waits for Kafka. Events of a key reach Kafka in the order publish() accepted
// them, across broker outages, retries and restarts; failed events are retried with
// backoff and, after the last attempt, written to <topic>.dlq.
//
// Delivery guarantee: at least once. An event is deleted from the outbox only after Kafka
// acknowledged it; a crash between the acknowledgement and the deletion re-sends it on the
// next start, so duplicates are possible after a crash (or after a fatal producer error),
// losses are not. Per key, the first occurrences of events keep their order.
//
// publish() never throws and never waits on the network: it validates, encodes, appends
// to the outbox (a RocksDB write-ahead-log append: microseconds, or one fsync each with
// sync_every_write) and returns. Bad input, a full or failing outbox and a closed
// publisher are answered in the receipt (and the future), and counted.
//
// Lifecycle: the constructor opens the outbox and starts the relay, which first delivers
// what earlier runs left in the outbox; close() stops accepting, optionally drains, stops
// the relay and answers still-open futures with pending_at_close. The destructor closes
// without draining. Whatever is unacknowledged stays in the outbox for the next publisher
// on the same directory.
// Threading: publish(), publish_tracked(), stats(), wait_until_empty() and close() are
// safe from any thread; publishes from one thread keep their order; publishes racing from
// different threads are ordered as the outbox accepts them. Futures are completed on the
// relay's thread.
// Ownership: owns the outbox, the breaker, the relay (with its producer and thread) and
// the promises of tracked events.

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <span>
#include <string_view>
#include <unordered_map>

#include "engine/nullable_bytes.h"
#include "publisher/circuit_breaker.h"
#include "publisher/outbox.h"
#include "publisher/outbox_record.h"
#include "publisher/outbox_relay.h"
#include "publisher/publisher_types.h"

namespace brook::publisher {

class resilient_publisher {
public:
    // Opens the outbox and starts delivering. Throws config_error (a missing
    // bootstrap.servers or a property the ordering forbids, see publisher_options),
    // std::invalid_argument (inconsistent breaker or retry options), outbox_error (the
    // directory cannot be opened, or another process holds it) or kafka_error (the
    // producer cannot be created). None of these needs a reachable broker.
    explicit resilient_publisher(publisher_options options);
    ~resilient_publisher();
    resilient_publisher(const resilient_publisher&) = delete;
    resilient_publisher& operator=(const resilient_publisher&) = delete;

    // Accepts the event into the outbox and returns at once. Never throws; a rejected event
    // is reported in the receipt and counted in stats().rejected.
    publish_receipt publish(std::string_view topic, nullable_bytes key, nullable_bytes value,
                            std::span<const message_header> headers = {}) noexcept;
    // The same, with a future completed when the event is delivered or dead-lettered (on
    // the relay's thread), at once when it is rejected, or with pending_at_close when the
    // publisher closes first. Never throws; the future is invalid (valid() false) only if
    // memory for it could not be allocated.
    std::future<delivery_report>
    publish_tracked(std::string_view topic, nullable_bytes key, nullable_bytes value,
                    std::span<const message_header> headers = {}) noexcept;

    // True once the outbox is empty (everything delivered or dead-lettered), waiting up to
    // `timeout`.
    bool wait_until_empty(std::chrono::milliseconds timeout);
    // Stops accepting (publish() then rejects with publish_error::closed), waits up to
    // `drain_timeout` for the outbox to empty, stops the relay and completes open futures
    // with pending_at_close. Idempotent; never throws.
    void close(std::chrono::milliseconds drain_timeout = std::chrono::milliseconds(0)) noexcept;

    publisher_stats stats() const;
    breaker_state state() const { return _breaker.state(); }
    const publisher_options& options() const { return _options; }

private:
    publish_receipt accept(std::string_view topic, nullable_bytes key, nullable_bytes value,
                           std::span<const message_header> headers,
                           std::promise<delivery_report>* promise) noexcept;
    publish_receipt reject(publish_error error, std::string message) noexcept;
    void complete(std::span<const outbox_relay::completion> done);
    void abandon_open_futures() noexcept;

    const publisher_options _options;
    circuit_breaker _breaker;
    std::unique_ptr<outbox> _outbox;
    std::mutex _promises_mutex;
    std::unordered_map<uint64_t, std::promise<delivery_report>> _promises;
    // Declared last: the relay (and its thread) is destroyed first.
    std::unique_ptr<outbox_relay> _relay;
    std::atomic<bool> _accepting{true};
    std::atomic<uint64_t> _accepted{0};
    std::atomic<uint64_t> _rejected{0};
    std::mutex _close_mutex;
    bool _closed = false; // guarded by _close_mutex
};

} // namespace brook::publisher
