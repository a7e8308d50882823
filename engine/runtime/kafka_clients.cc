#include "engine/runtime/kafka_clients.h"

#include <cstdlib>
#include <cstring>
#include <deque>
#include <tuple>

#include <fmt/format.h>

#include "engine/kafka/consumer.h"
#include "engine/kafka/kafka_error.h"
#include "engine/kafka/producer.h"

namespace brook {

namespace {

std::vector<topic_partition> to_vector(const rd_kafka_topic_partition_list_t& list) {
    std::vector<topic_partition> out;
    out.reserve(static_cast<size_t>(list.cnt));
    for (int i = 0; i < list.cnt; ++i) {
        out.push_back({list.elems[i].topic, list.elems[i].partition});
    }
    return out;
}

kafka::partition_list_ptr to_list(const std::vector<topic_partition>& partitions,
                                  int64_t offset = RD_KAFKA_OFFSET_INVALID) {
    kafka::partition_list_ptr list(
        rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size())));
    for (const auto& tp : partitions) {
        rd_kafka_topic_partition_list_add(list.get(), tp.topic.c_str(), tp.partition)->offset =
            offset;
    }
    return list;
}

// Converts librdkafka's rebalance callbacks into the runtime's.
class listener_adapter final : public kafka::rebalance_listener {
public:
    explicit listener_adapter(partition_listener* target) : _target(target) {}
    void on_assigned(const rd_kafka_topic_partition_list_t& partitions) override {
        _target->on_assigned(to_vector(partitions));
    }
    void on_revoked(const rd_kafka_topic_partition_list_t& partitions) override {
        _target->on_revoked(to_vector(partitions));
    }
    void on_lost(const rd_kafka_topic_partition_list_t& partitions) override {
        _target->on_lost(to_vector(partitions));
    }

private:
    partition_listener* _target;
};

class kafka_consumer_client final : public consumer_client {
public:
    kafka_consumer_client(const kafka::client_config& config, partition_listener* listener)
        : _adapter(listener != nullptr ? std::make_unique<listener_adapter>(listener) : nullptr),
          _consumer(config, _adapter.get()) {
        _batch.reserve(1024);
    }

    void subscribe(const std::vector<std::string>& topics) override { _consumer.subscribe(topics); }

    void assign(const std::vector<std::pair<topic_partition, record_offset>>& positions) override {
        kafka::partition_list_ptr list(
            rd_kafka_topic_partition_list_new(static_cast<int>(positions.size())));
        for (const auto& [tp, next] : positions) {
            rd_kafka_topic_partition_list_add(list.get(), tp.topic.c_str(), tp.partition)->offset =
                next.value;
        }
        _consumer.assign(*list);
    }

    void poll(std::vector<consumed_record>& records, std::vector<consumer_event>& events,
              size_t max, std::chrono::milliseconds timeout) override {
        _batch.clear();
        _consumer.poll_batch(_batch, max, timeout);
        for (auto& msg : _batch) {
            if (msg->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
                records.emplace_back(std::move(msg));
                continue;
            }
            consumer_event e;
            e.what = msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF
                         ? consumer_event::kind::end_of_partition
                         : consumer_event::kind::error;
            if (msg->rkt != nullptr) {
                e.partition = {rd_kafka_topic_name(msg->rkt), msg->partition};
            }
            e.offset = msg->offset;
            e.code = msg->err;
            if (e.what == consumer_event::kind::error) {
                e.message = rd_kafka_message_errstr(msg.get());
            }
            events.push_back(std::move(e));
        }
    }

    void commit(const offset_map& offsets) override {
        if (offsets.empty()) {
            return;
        }
        _consumer.commit(*to_partition_list(offsets));
    }

    offset_map committed(const std::vector<topic_partition>& partitions,
                         std::chrono::milliseconds timeout) override {
        offset_map out;
        if (partitions.empty()) {
            return out;
        }
        kafka::partition_list_ptr list = to_list(partitions);
        _consumer.committed(*list, timeout);
        for (int i = 0; i < list->cnt; ++i) {
            const rd_kafka_topic_partition_t& p = list->elems[i];
            if (p.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
                throw kafka::kafka_error::from(
                    p.err,
                    fmt::format("reading the committed offset of {}-{}", p.topic, p.partition));
            }
            if (p.offset < 0) {
                continue;
            }
            committed_position pos{record_offset(p.offset), {}};
            if (p.metadata != nullptr && p.metadata_size > 0) {
                pos.metadata.assign(static_cast<const char*>(p.metadata), p.metadata_size);
            }
            out.emplace(topic_partition{p.topic, p.partition}, std::move(pos));
        }
        return out;
    }

    std::optional<int64_t> cached_end_offset(const topic_partition& partition) override {
        int64_t low = -1;
        int64_t high = -1;
        if (rd_kafka_get_watermark_offsets(_consumer.handle(), partition.topic.c_str(),
                                           partition.partition, &low,
                                           &high) != RD_KAFKA_RESP_ERR_NO_ERROR ||
            high < 0) {
            return std::nullopt;
        }
        return high;
    }

    std::pair<int64_t, int64_t> query_watermarks(const topic_partition& partition,
                                                 std::chrono::milliseconds timeout) override {
        return _consumer.watermarks(partition.topic, partition.partition, timeout);
    }

    partition_map<int64_t> end_offsets(const std::vector<topic_partition>& partitions,
                                       std::chrono::milliseconds timeout) override {
        partition_map<int64_t> out;
        if (partitions.empty()) {
            return out;
        }
        // A ListOffsets for the latest offset, in the consumer's isolation level.
        kafka::partition_list_ptr list = to_list(partitions, RD_KAFKA_OFFSET_END);
        if (rd_kafka_offsets_for_times(_consumer.handle(), list.get(),
                                       static_cast<int>(timeout.count())) !=
            RD_KAFKA_RESP_ERR_NO_ERROR) {
            return out;
        }
        for (int i = 0; i < list->cnt; ++i) {
            const rd_kafka_topic_partition_t& p = list->elems[i];
            if (p.err == RD_KAFKA_RESP_ERR_NO_ERROR && p.offset >= 0) {
                out.emplace(topic_partition{p.topic, p.partition}, p.offset);
            }
        }
        return out;
    }

    partition_map<record_offset>
    positions(const std::vector<topic_partition>& partitions) override {
        partition_map<record_offset> out;
        if (partitions.empty()) {
            return out;
        }
        kafka::partition_list_ptr list = to_list(partitions);
        _consumer.position(*list);
        for (int i = 0; i < list->cnt; ++i) {
            const rd_kafka_topic_partition_t& p = list->elems[i];
            if (p.offset >= 0) {
                out.emplace(topic_partition{p.topic, p.partition}, record_offset(p.offset));
            }
        }
        return out;
    }

    void pause(const std::vector<topic_partition>& partitions) override {
        if (!partitions.empty()) {
            _consumer.pause(*to_list(partitions));
        }
    }

    void resume(const std::vector<topic_partition>& partitions) override {
        if (!partitions.empty()) {
            _consumer.resume(*to_list(partitions));
        }
    }

    void seek(const topic_partition& partition, record_offset next,
              std::chrono::milliseconds timeout) override {
        _consumer.seek(partition.topic, partition.partition, next.value, timeout);
    }

    kafka::group_metadata_ptr group_metadata() override { return _consumer.group_metadata(); }

    void close() override { _consumer.close(); }

private:
    std::unique_ptr<listener_adapter> _adapter; // before the consumer, which points to it
    kafka::consumer _consumer;
    std::vector<kafka::message_ptr> _batch;
};

class kafka_producer_client final : public producer_client {
public:
    kafka_producer_client(const kafka::client_config& config, delivery_handler on_delivery)
        : _on_delivery(std::move(on_delivery)),
          _producer(config, [this](const rd_kafka_message_t& msg) { report(msg); }),
          _max_record_bytes(read_max_record_bytes(config)) {}

    topic_handle open_topic(const std::string& name) override {
        return _topics.emplace_back(_producer.open_topic(name)).get();
    }

    std::string_view topic_name(topic_handle topic) const override {
        return rd_kafka_topic_name(static_cast<rd_kafka_topic_t*>(topic));
    }

    std::optional<int32_t> partition_count(topic_handle topic,
                                           std::chrono::milliseconds timeout) override {
        auto* rkt = static_cast<rd_kafka_topic_t*>(topic);
        const rd_kafka_metadata_t* raw = nullptr;
        kafka::throw_if_error(
            rd_kafka_metadata(_producer.handle(), 0, rkt, &raw, static_cast<int>(timeout.count())),
            fmt::format("reading the partition count of topic '{}'", rd_kafka_topic_name(rkt)));
        const kafka::metadata_ptr md(raw);
        if (md->topic_cnt != 1 || md->topics[0].err != RD_KAFKA_RESP_ERR_NO_ERROR ||
            md->topics[0].partition_cnt < 1) {
            return std::nullopt;
        }
        return md->topics[0].partition_cnt;
    }

    void produce(topic_handle topic, int32_t partition, nullable_bytes key, nullable_bytes value,
                 int64_t timestamp_ms, kafka::headers_ptr headers) override {
        _producer.produce(static_cast<rd_kafka_topic_t*>(topic), partition, key, value,
                          timestamp_ms, std::move(headers));
    }

    int poll(std::chrono::milliseconds timeout) override { return _producer.poll(timeout); }
    void flush(std::chrono::milliseconds timeout) override { _producer.flush(timeout); }
    size_t max_record_bytes() const override { return _max_record_bytes; }

    void init_transactions(std::chrono::milliseconds timeout) override {
        _producer.init_transactions(timeout);
    }
    void begin_transaction() override { _producer.begin_transaction(); }
    void send_offsets_to_transaction(const offset_map& offsets,
                                     const rd_kafka_consumer_group_metadata_t* group,
                                     std::chrono::milliseconds timeout) override {
        if (group == nullptr) {
            throw kafka::kafka_error("send_offsets_to_transaction: no consumer group metadata",
                                     RD_KAFKA_RESP_ERR__INVALID_ARG, true, false, false);
        }
        _producer.send_offsets_to_transaction(*to_partition_list(offsets), *group, timeout);
    }
    void commit_transaction(std::chrono::milliseconds timeout) override {
        _producer.commit_transaction(timeout);
    }
    void abort_transaction(std::chrono::milliseconds timeout) override {
        _producer.abort_transaction(timeout);
    }

private:
    static size_t read_max_record_bytes(const kafka::client_config& config) {
        constexpr size_t librdkafka_default = 1000000;
        const std::optional<std::string> text = config.get("message.max.bytes");
        if (!text) {
            return librdkafka_default;
        }
        char* end = nullptr;
        const unsigned long long v = std::strtoull(text->c_str(), &end, 10);
        return end != nullptr && *end == '\0' && v > 0 ? static_cast<size_t>(v)
                                                       : librdkafka_default;
    }

    void report(const rd_kafka_message_t& msg) {
        if (!_on_delivery) {
            return;
        }
        delivery_report r;
        r.topic = rd_kafka_topic_name(msg.rkt);
        r.partition = msg.partition;
        r.offset = msg.offset;
        r.error = msg.err;
        if (msg.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            r.reason = rd_kafka_err2str(msg.err);
            if (msg.key != nullptr) {
                r.key.emplace(static_cast<const char*>(msg.key), msg.key_len);
            }
            if (msg.payload != nullptr) {
                r.value.emplace(static_cast<const char*>(msg.payload), msg.len);
            }
        }
        _on_delivery(r);
    }

    delivery_handler _on_delivery;
    kafka::producer _producer;
    std::deque<kafka::topic_ptr> _topics; // handles stay where they are
    const size_t _max_record_bytes;
};

} // namespace

kafka::partition_list_ptr to_partition_list(const offset_map& offsets) {
    kafka::partition_list_ptr list(
        rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size())));
    for (const auto& [tp, pos] : offsets) {
        rd_kafka_topic_partition_t* p =
            rd_kafka_topic_partition_list_add(list.get(), tp.topic.c_str(), tp.partition);
        p->offset = pos.next.value;
        if (!pos.metadata.empty()) {
            // librdkafka frees a partition's metadata with free() when the list goes.
            p->metadata = std::malloc(pos.metadata.size()); // NOLINT(cppcoreguidelines-no-malloc)
            if (p->metadata == nullptr) {
                throw std::bad_alloc();
            }
            std::memcpy(p->metadata, pos.metadata.data(), pos.metadata.size());
            p->metadata_size = pos.metadata.size();
        }
    }
    return list;
}

std::unique_ptr<consumer_client> kafka_client_factory::consumer(const kafka::client_config& config,
                                                                partition_listener* listener) {
    return std::make_unique<kafka_consumer_client>(config, listener);
}

std::unique_ptr<consumer_client>
kafka_client_factory::restore_consumer(const kafka::client_config& config) {
    return std::make_unique<kafka_consumer_client>(config, nullptr);
}

std::unique_ptr<producer_client>
kafka_client_factory::producer(const kafka::client_config& config,
                               producer_client::delivery_handler on_delivery) {
    return std::make_unique<kafka_producer_client>(config, std::move(on_delivery));
}

} // namespace brook
