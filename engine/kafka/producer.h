#pragma once

// producer: one librdkafka producer, optionally transactional.
//
// Lifecycle: constructed ready to produce (transactional ones also need
// init_transactions()); the destructor flushes for at most `close_timeout` and destroys
// the handle. Threading: produce() and the transactional calls are for one owning thread
// at a time; delivery reports run on the thread inside poll(), flush() or
// commit_transaction() (which flushes), so a thread that hands the commit to another
// (transaction_committer) gets its reports there. Not movable, because
// librdkafka holds a pointer to it for the delivery callback.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "engine/kafka/client_config.h"
#include "engine/kafka/handles.h"
#include "engine/nullable_bytes.h"

namespace brook::kafka {

class producer {
public:
    // Called for each delivered or failed message, on the thread that polls.
    using delivery_callback = std::function<void(const rd_kafka_message_t&)>;

    // Throws config_error for a bad property, kafka_error if the client cannot be made.
    explicit producer(const client_config& config, delivery_callback on_delivery = {});
    ~producer();
    producer(const producer&) = delete;
    producer& operator=(const producer&) = delete;

    // A handle on `name` for repeated produce() calls; creating one is local, no request.
    topic_ptr open_topic(const std::string& name) const;

    // Queues one record. `partition` may be RD_KAFKA_PARTITION_UA to let librdkafka's
    // partitioner choose; `timestamp_ms` 0 means "now". `headers` ownership passes to
    // librdkafka on success. Blocks (serving delivery reports) while the local queue is
    // full. Throws kafka_error when the record cannot be queued, or what the delivery
    // callback threw while being served here.
    void produce(rd_kafka_topic_t* topic, int32_t partition, nullable_bytes key,
                 nullable_bytes value, int64_t timestamp_ms = 0, headers_ptr headers = nullptr);
    // The same by name, for occasional records; hot paths keep a topic handle instead.
    void produce(std::string_view topic, int32_t partition, nullable_bytes key,
                 nullable_bytes value, int64_t timestamp_ms = 0, headers_ptr headers = nullptr);

    // Serves delivery reports; returns how many were served. Rethrows what the delivery
    // callback threw.
    int poll(std::chrono::milliseconds timeout);
    // Waits until every queued record is delivered or failed; throws kafka_error on
    // timeout, or what the delivery callback threw.
    void flush(std::chrono::milliseconds timeout);

    // Transactions (require transactional.id). Each throws kafka_error whose flags
    // (is_fatal, is_retriable, txn_requires_abort) say what the caller must do.
    void init_transactions(std::chrono::milliseconds timeout);
    void begin_transaction();
    void send_offsets_to_transaction(const rd_kafka_topic_partition_list_t& offsets,
                                     const rd_kafka_consumer_group_metadata_t& group,
                                     std::chrono::milliseconds timeout);
    void commit_transaction(std::chrono::milliseconds timeout);
    void abort_transaction(std::chrono::milliseconds timeout);

    // Messages whose delivery failed since construction.
    uint64_t failed_deliveries() const noexcept { return _failed.load(); }
    rd_kafka_t* handle() const noexcept { return _rk.get(); }

private:
    static void on_delivery_report(rd_kafka_t* rk, const rd_kafka_message_t* msg, void* opaque);
    void rethrow_callback_error();

    delivery_callback _on_delivery;
    std::exception_ptr _callback_error; // thrown by _on_delivery, not yet rethrown
    std::atomic<uint64_t> _failed{0};
    kafka_ptr _rk;
};

} // namespace brook::kafka
