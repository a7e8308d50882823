#pragma once

// consumer: one librdkafka high-level (group) consumer.
//
// Lifecycle: constructed (throws on bad config), subscribe() or assign(), poll until
// close(); the destructor closes if close() was not called. Threading: every call,
// including the rebalance_listener callbacks, happens on the one thread that polls.
// Not movable, because librdkafka holds a pointer to it for the rebalance callback.

#include <chrono>
#include <cstdint>
#include <exception>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/kafka/client_config.h"
#include "engine/kafka/handles.h"

namespace brook::kafka {

// Told about partition ownership changes from inside poll(). What a callback throws is
// rethrown from the poll(), poll_batch() or close() that ran it. For the cooperative
// protocol only the changed partitions are passed. on_revoked runs before the
// partitions are given up, so committing there is still allowed; on_lost runs when
// they are already owned by someone else, so committing there would be refused.
class rebalance_listener {
public:
    virtual ~rebalance_listener() = default;
    virtual void on_assigned(const rd_kafka_topic_partition_list_t& partitions) = 0;
    virtual void on_revoked(const rd_kafka_topic_partition_list_t& partitions) = 0;
    virtual void on_lost(const rd_kafka_topic_partition_list_t& partitions) {
        on_revoked(partitions);
    }
};

class consumer {
public:
    // `listener` may be null and must outlive the consumer. Throws config_error or
    // kafka_error.
    explicit consumer(const client_config& config, rebalance_listener* listener = nullptr);
    ~consumer();
    consumer(const consumer&) = delete;
    consumer& operator=(const consumer&) = delete;

    void subscribe(const std::vector<std::string>& topics);
    // Manual assignment (no group rebalancing), for restore consumers and tools.
    void assign(const rd_kafka_topic_partition_list_t& partitions);

    // Returns one message or null on timeout; a message may carry an error (msg->err).
    message_ptr poll(std::chrono::milliseconds timeout);
    // Appends up to `max` messages to `out`, waiting up to `timeout` for the first;
    // returns how many were appended. Rebalance callbacks run inside. When it drains a
    // queue that had filled up, it wakes the fetchers (one ListOffsets round trip per
    // leader; see consumer.cc).
    size_t poll_batch(std::vector<message_ptr>& out, size_t max, std::chrono::milliseconds timeout);

    // Synchronous commit of explicit offsets (the offset of the next record to read).
    // These two retry retriable errors (the coordinator moving or loading) until `timeout`;
    // they throw kafka_error for any other error, or the last one at the deadline, whether
    // it came for the request or for one partition. A commit sent twice is harmless.
    void commit(const rd_kafka_topic_partition_list_t& offsets,
                std::chrono::milliseconds timeout = std::chrono::seconds(60));
    // Committed offsets for `partitions`, filled in place (RD_KAFKA_OFFSET_INVALID if none).
    void committed(rd_kafka_topic_partition_list_t& partitions, std::chrono::milliseconds timeout);
    // Low and high watermark of one partition, asking the broker.
    std::pair<int64_t, int64_t> watermarks(const std::string& topic, int32_t partition,
                                           std::chrono::milliseconds timeout);
    // Current position (next offset to read) of each of `partitions`, filled in place.
    void position(rd_kafka_topic_partition_list_t& partitions);
    // Consumer group metadata for send_offsets_to_transaction (KIP-447 fencing).
    group_metadata_ptr group_metadata() const;

    void pause(const rd_kafka_topic_partition_list_t& partitions);
    void resume(const rd_kafka_topic_partition_list_t& partitions);
    // Moves the fetch position of an assigned partition.
    void seek(const std::string& topic, int32_t partition, int64_t offset,
              std::chrono::milliseconds timeout);

    // Leaves the group (triggering the final revoke callback) and stops fetching. Idempotent.
    void close();
    rd_kafka_t* handle() const noexcept { return _rk.get(); }

private:
    static void on_rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                             rd_kafka_topic_partition_list_t* partitions, void* opaque);
    template <class F>
    void call_listener(F&& call);
    void rethrow_callback_error();

    rebalance_listener* _listener;
    std::exception_ptr _callback_error; // thrown by the listener, not yet rethrown
    kafka_ptr _rk;
    bool _closed = false;
    // Whether partition.assignment.strategy names the cooperative assignor: what a
    // rebalance uses when librdkafka cannot say (rd_kafka_rebalance_protocol() is null).
    bool _cooperative_configured = false;
};

// True when a partition.assignment.strategy value (a comma-separated list) names
// librdkafka's cooperative assignor; librdkafka refuses lists that mix protocols.
bool names_cooperative_assignor(std::string_view strategies);

// Builds a partition list from (topic, partition, offset) triples.
partition_list_ptr
make_partition_list(const std::vector<std::tuple<std::string, int32_t, int64_t>>& entries);

} // namespace brook::kafka
