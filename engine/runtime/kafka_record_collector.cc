#include "engine/runtime/kafka_record_collector.h"

#include <fmt/format.h>

#include "engine/errors.h"
#include "engine/kafka/kafka_error.h"
#include "engine/serde/partitioner.h"

namespace brook {

void kafka_record_collector::send(std::string_view topic, std::optional<std::string_view> key,
                                  std::optional<std::string_view> value, int64_t timestamp,
                                  const headers& hdrs, std::optional<int32_t> partition) {
    int32_t target = RD_KAFKA_PARTITION_UA;
    if (partition) {
        target = *partition;
    } else if (key) {
        target = default_partition(*key, partition_count(topic));
    }
    kafka::headers_ptr raw_headers;
    if (!hdrs.empty()) {
        raw_headers.reset(rd_kafka_headers_new(hdrs.size()));
        for (const auto& [name, v] : hdrs) {
            rd_kafka_header_add(raw_headers.get(), name.data(), static_cast<ssize_t>(name.size()),
                                v ? v->data() : nullptr, v ? static_cast<ssize_t>(v->size()) : 0);
        }
    }
    _producer.produce(topic, target, key, value, timestamp, std::move(raw_headers));
    ++_sent;
}

int32_t kafka_record_collector::partition_count(std::string_view topic) {
    auto it = _partition_counts.find(topic);
    if (it != _partition_counts.end()) {
        return it->second;
    }
    const std::string name(topic);
    std::unique_ptr<rd_kafka_topic_t, kafka::c_deleter<rd_kafka_topic_t, rd_kafka_topic_destroy>>
        rkt(rd_kafka_topic_new(_producer.handle(), name.c_str(), nullptr));
    const rd_kafka_metadata_t* raw = nullptr;
    kafka::throw_if_error(rd_kafka_metadata(_producer.handle(), 0, rkt.get(), &raw, 10000),
                          fmt::format("reading the partition count of output topic '{}'", name));
    kafka::metadata_ptr md(raw);
    if (md->topic_cnt != 1 || md->topics[0].err != RD_KAFKA_RESP_ERR_NO_ERROR ||
        md->topics[0].partition_cnt < 1) {
        throw streams_error(fmt::format(
            "output topic '{}' does not exist (topic auto-creation is off on most clusters): "
            "create it first",
            name));
    }
    const int32_t count = md->topics[0].partition_cnt;
    _partition_counts.emplace(name, count);
    return count;
}

void kafka_record_collector::on_delivery(const rd_kafka_message_t& msg) {
    if (msg.err != RD_KAFKA_RESP_ERR_NO_ERROR && _first_error.empty()) {
        _first_error = fmt::format("delivery to {}-{} failed: {}", rd_kafka_topic_name(msg.rkt),
                                   msg.partition, rd_kafka_err2str(msg.err));
    }
}

void kafka_record_collector::check_deliveries() {
    if (!_first_error.empty()) {
        std::string error = std::move(_first_error);
        _first_error.clear();
        throw streams_error(error);
    }
}

} // namespace brook
