#pragma once

// kafka_record_collector: the runtime's record_collector, producing through the stream
// thread's producer. Chooses partitions with Kafka's default partitioner (murmur2 of the
// key bytes) so that output is co-partitioned with what Java producers write.
//
// A record it cannot produce (larger than message.max.bytes, a topic name Kafka refuses)
// is refused at send() with production_error, before it is produced or held, so that the
// task's production exception handler decides about it and no transaction has to abort
// for it; an output topic that does not exist fails the thread (streams_error), since
// no record could go there.
//
// Threading: owned and used by one stream_thread. Delivery failures are remembered and
// reported by check_deliveries(), which the thread calls at every commit: at least once
// means a failed send must stop the commit of the offsets it belongs to.
//
// Holding (exactly-once): while the last transaction commits on another thread, the
// producer takes no records, so the stream thread goes on processing with its records
// held here, in order, and produces them into the next transaction with release_held().
// While holding, on_delivery() may run on the committing thread: it touches only the
// delivery state (errors, acknowledged offsets), never what send() and hold touch.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/processor/record_collector.h"
#include "engine/runtime/clients.h"

namespace brook {

class kafka_record_collector final : public record_collector {
public:
    // `producer` must outlive the collector.
    explicit kafka_record_collector(producer_client& producer) : _producer(producer) {}

    void send(std::string_view topic, nullable_bytes key, nullable_bytes value, int64_t timestamp,
              const headers& hdrs, std::optional<int32_t> partition) override;
    int32_t partition_count(std::string_view topic) override;
    std::optional<size_t> record_size_limit() const override {
        return _producer.max_record_bytes();
    }

    // Called from the producer's delivery callback.
    void on_delivery(const delivery_report& report);
    // Throws delivery_error naming the first failed delivery since the last call.
    void check_deliveries();
    // Records handed to the producer (held ones count once released).
    uint64_t records_sent() const { return _sent; }

    // From now on send() keeps records instead of producing them.
    void hold() { _holding = true; }
    bool holding() const { return _holding; }
    size_t held_records() const { return _held.size(); }
    // Bytes held: keys, values and each record's bookkeeping (not its headers).
    size_t held_bytes() const { return _held_data.size() + _held.size() * sizeof(held_record); }
    // Stops holding and produces what is held, in order. Throws as send() does; what is
    // not produced then is dropped (the transaction must abort).
    void release_held();
    // Stops holding and drops what is held (its transaction will never commit).
    void drop_held();

    // Starts remembering the offset of the last acknowledged record per partition of
    // `topic` (a changelog), so that stores can checkpoint what the changelog holds.
    void track_acked_offsets(const std::string& topic);
    // The offset after the last acknowledged record of (topic, partition), if any was
    // acknowledged since tracking began.
    std::optional<int64_t> acked_next_offset(std::string_view topic, int32_t partition) const;

private:
    // One per topic written to: librdkafka's handle (so producing never copies the
    // name) and its partition count, read from the cluster on first need (0 until then).
    struct output_topic {
        producer_client::topic_handle handle;
        int32_t partitions;
    };
    output_topic& topic(std::string_view name);
    // Whether `topic` is one whose acknowledged offsets are tracked (the changelogs).
    bool tracks_acked_offsets(std::string_view topic) const;
    int32_t partition_count(output_topic& out);

    producer_client& _producer;
    std::map<std::string, output_topic, std::less<>> _topics;
    // The topic of the last send: a sink writes runs of records to one topic, and a
    // comparison with its name is cheaper than a walk of the map. Points into _topics,
    // whose nodes never move.
    const std::string* _last_name = nullptr;
    output_topic* _last_topic = nullptr;
    // Changelog topics whose acknowledged offsets are tracked: few, so a vector.
    struct tracked_topic {
        std::string name;
        std::vector<int64_t> next_offset; // by partition; -1: nothing acknowledged
    };
    std::vector<tracked_topic> _tracked;
    std::string _first_error;
    uint64_t _sent = 0;
    // Held records: topic, partition and headers as they will be produced, key and value
    // in _held_data (one buffer, not one allocation per record).
    struct held_record {
        output_topic* topic;
        int32_t partition;
        int64_t timestamp;
        size_t key_at;
        size_t key_size;
        size_t value_size; // the value follows the key
        bool has_key;
        bool has_value;
        kafka::headers_ptr headers;
    };
    bool _holding = false;
    std::vector<held_record> _held;
    std::string _held_data;
};

} // namespace brook
