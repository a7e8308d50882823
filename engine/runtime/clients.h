#pragma once

// The Kafka calls the runtime makes, as interfaces: a stream thread's consumer (and its
// restore consumer), its producer, and a factory that makes them. kafka_clients.h
// implements them over librdkafka; tests/support/fake_clients.h implements them in
// memory, so that commits, aborts, fencing, lost partitions and rebalances in the middle
// of a commit are deterministic unit tests.
//
// Errors: every call that can fail throws kafka::kafka_error, whose flags (is_fatal,
// is_retriable, txn_requires_abort, is_fenced) say what the caller must do.
// Threading: a client belongs to one thread at a time (see each implementation).

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/kafka/client_config.h"
#include "engine/kafka/handles.h"
#include "engine/nullable_bytes.h"
#include "engine/runtime/consumed_record.h"
#include "engine/runtime/topic_partition.h"

namespace brook {

// Something a poll reports besides records.
struct consumer_event {
    enum class kind : uint8_t {
        end_of_partition, // fetched to the end: `offset` is the end
        error,            // `code`/`message`; librdkafka retries transport errors itself
    };
    kind what = kind::error;
    topic_partition partition;
    int64_t offset = -1;
    rd_kafka_resp_err_t code = RD_KAFKA_RESP_ERR_NO_ERROR;
    std::string message;
};

// Told about partition ownership changes from inside consumer_client::poll(). For the
// cooperative protocol only the changed partitions are passed, for the eager one every
// partition. on_revoked runs before the partitions are given up, so committing is still
// allowed there; on_lost runs when someone else may own them already. What a callback
// throws is rethrown from the poll (or close) that ran it.
class partition_listener {
public:
    virtual ~partition_listener() = default;
    virtual void on_assigned(const std::vector<topic_partition>& partitions) = 0;
    virtual void on_revoked(const std::vector<topic_partition>& partitions) = 0;
    virtual void on_lost(const std::vector<topic_partition>& partitions) = 0;
};

class consumer_client {
public:
    virtual ~consumer_client() = default;

    // Group consumer: joins the group and consumes what it is assigned.
    virtual void subscribe(const std::vector<std::string>& topics) = 0;
    // Restore consumer: reads exactly these partitions from these positions.
    virtual void
    assign(const std::vector<std::pair<topic_partition, record_offset>>& positions) = 0;

    // Appends up to `max` records to `records` and what else happened to `events`, waiting
    // up to `timeout` for the first. Rebalance callbacks run inside.
    virtual void poll(std::vector<consumed_record>& records, std::vector<consumer_event>& events,
                      size_t max, std::chrono::milliseconds timeout) = 0;

    // Commits offsets (with their metadata) and waits for the answer.
    virtual void commit(const offset_map& offsets) = 0;
    // What the group committed for `partitions`; partitions without a commit are absent.
    virtual offset_map committed(const std::vector<topic_partition>& partitions,
                                 std::chrono::milliseconds timeout) = 0;
    // The partition's end (high watermark) as the last fetch response told it, without a
    // request; nullopt before any fetch answered.
    virtual std::optional<int64_t> cached_end_offset(const topic_partition& partition) = 0;
    // Low and high watermark, asking the broker.
    virtual std::pair<int64_t, int64_t> query_watermarks(const topic_partition& partition,
                                                         std::chrono::milliseconds timeout) = 0;
    // The end of each of `partitions` as the consumer reads (the last stable offset under
    // read_committed), asking the brokers in one round trip per leader; partitions whose
    // end could not be read are absent.
    virtual partition_map<int64_t> end_offsets(const std::vector<topic_partition>& partitions,
                                               std::chrono::milliseconds timeout) = 0;
    // The next offset to fetch of each of `partitions`, where known.
    virtual partition_map<record_offset>
    positions(const std::vector<topic_partition>& partitions) = 0;

    virtual void pause(const std::vector<topic_partition>& partitions) = 0;
    virtual void resume(const std::vector<topic_partition>& partitions) = 0;
    virtual void seek(const topic_partition& partition, record_offset next,
                      std::chrono::milliseconds timeout) = 0;

    // Consumer group metadata for send_offsets_to_transaction (KIP-447 fencing); null
    // where there is none (fakes).
    virtual kafka::group_metadata_ptr group_metadata() = 0;
    // Leaves the group (revoking through the listener) and stops fetching. Idempotent.
    virtual void close() = 0;
};

// A delivery report: a produced record was written (`error` == 0, `offset` set) or failed.
// A failed one still carries its key, value and headers, so that the production
// exception handler can dead-letter it.
struct delivery_report {
    std::string_view topic;
    int32_t partition = -1;
    int64_t offset = -1;
    rd_kafka_resp_err_t error = RD_KAFKA_RESP_ERR_NO_ERROR;
    std::string_view reason; // what failed, empty on success
    nullable_bytes key;
    nullable_bytes value;
};

class producer_client {
public:
    using delivery_handler = std::function<void(const delivery_report&)>;
    // An output topic as the client knows it; owned by the client, valid until it dies.
    using topic_handle = void*;

    virtual ~producer_client() = default;

    virtual topic_handle open_topic(const std::string& name) = 0;
    virtual std::string_view topic_name(topic_handle topic) const = 0;
    // Partitions of `topic`; nullopt when the topic does not exist.
    virtual std::optional<int32_t> partition_count(topic_handle topic,
                                                   std::chrono::milliseconds timeout) = 0;
    // Queues one record (`partition` RD_KAFKA_PARTITION_UA: the client picks). Headers
    // pass to the client. Throws kafka_error when the record cannot be queued (for example
    // larger than message.max.bytes).
    virtual void produce(topic_handle topic, int32_t partition, nullable_bytes key,
                         nullable_bytes value, int64_t timestamp_ms,
                         kafka::headers_ptr headers) = 0;
    // Serves delivery reports; returns how many.
    virtual int poll(std::chrono::milliseconds timeout) = 0;
    // Waits for every queued record's delivery report; throws kafka_error on timeout.
    virtual void flush(std::chrono::milliseconds timeout) = 0;
    // The largest record the client accepts (message.max.bytes), for the production
    // exception handler's check before producing.
    virtual size_t max_record_bytes() const = 0;

    virtual void init_transactions(std::chrono::milliseconds timeout) = 0;
    virtual void begin_transaction() = 0;
    virtual void send_offsets_to_transaction(const offset_map& offsets,
                                             const rd_kafka_consumer_group_metadata_t* group,
                                             std::chrono::milliseconds timeout) = 0;
    virtual void commit_transaction(std::chrono::milliseconds timeout) = 0;
    virtual void abort_transaction(std::chrono::milliseconds timeout) = 0;
};

// Makes a stream thread's clients. The real one (kafka_clients.h) connects to Kafka.
class client_factory {
public:
    virtual ~client_factory() = default;
    // The group consumer; `listener` must outlive it.
    virtual std::unique_ptr<consumer_client> consumer(const kafka::client_config& config,
                                                      partition_listener* listener) = 0;
    // A consumer that only reads assigned partitions (restore, standbys).
    virtual std::unique_ptr<consumer_client>
    restore_consumer(const kafka::client_config& config) = 0;
    virtual std::unique_ptr<producer_client>
    producer(const kafka::client_config& config, producer_client::delivery_handler on_delivery) = 0;
};

} // namespace brook
