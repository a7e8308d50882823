#include "engine/runtime/kafka_record_collector.h"

#include <algorithm>
#include <cctype>
#include <utility>

#include <fmt/format.h>

#include "engine/errors.h"
#include "engine/kafka/kafka_error.h"
#include "engine/serde/partitioner.h"
#include "engine/text/safe_text.h"

namespace brook {

namespace {

// Kafka's rules for topic names.
std::optional<std::string> topic_name_problem(std::string_view name) {
    if (name.empty() || name == "." || name == "..") {
        return "an empty name, '.' or '..'";
    }
    if (name.size() > 249) {
        return fmt::format("{} characters, more than 249", name.size());
    }
    for (const char c : name) {
        if (!(std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '_' ||
              c == '-')) {
            return "characters other than letters, digits, '.', '_' and '-'";
        }
    }
    return std::nullopt;
}

} // namespace

kafka_record_collector::output_topic& kafka_record_collector::topic(std::string_view name) {
    if (_last_topic != nullptr && *_last_name == name) {
        return *_last_topic;
    }
    auto it = _topics.find(name);
    if (it == _topics.end()) {
        if (const auto problem = topic_name_problem(name)) {
            throw production_error(fmt::format("'{}' is not a valid topic name ({})",
                                               text::safe(name, 300), *problem));
        }
        std::string key(name);
        producer_client::topic_handle handle = _producer.open_topic(key);
        it = _topics.emplace(std::move(key), output_topic{handle, 0}).first;
        // Whether it exists, once: a record for a topic that does not exist would wait in
        // the producer until message.timeout.ms and fail then, under exactly-once aborting
        // every transaction until then.
        partition_count(it->second);
    }
    _last_name = &it->first;
    _last_topic = &it->second;
    return it->second;
}

void kafka_record_collector::send(std::string_view topic_name, nullable_bytes key,
                                  nullable_bytes value, int64_t timestamp, const headers& hdrs,
                                  std::optional<int32_t> partition) {
    output_topic& out = topic(topic_name);
    size_t header_bytes = 0;
    for (const auto& [name, v] : hdrs) {
        header_bytes += name.size() + (v ? v->size() : 0);
    }
    const size_t bytes = (key ? key->size() : 0) + (value ? value->size() : 0) + header_bytes;
    if (bytes > _producer.max_record_bytes()) {
        throw production_error(fmt::format(
            "the record is {} bytes (key {}, value {}, headers {}), more than the producer's "
            "message.max.bytes ({})",
            bytes, key ? key->size() : 0, value ? value->size() : 0, header_bytes,
            _producer.max_record_bytes()));
    }
    if (timestamp <= 0 && !tracks_acked_offsets(topic_name)) {
        // Kafka refuses a negative timestamp, and librdkafka writes 0 as "now": a record of
        // event time 0 would come out of a repartition topic at the current time and make
        // every later record of its reader late. (Changelog records carry their times in
        // their values, so theirs may be stamped now.)
        throw production_error(fmt::format(
            "the record's timestamp is {}: Kafka takes a negative timestamp as none, and "
            "librdkafka writes 0 as the current time; give records event times from 1 ms on",
            timestamp));
    }
    int32_t target = RD_KAFKA_PARTITION_UA;
    if (partition) {
        target = *partition;
    } else if (key) {
        target = default_partition(*key, partition_count(out));
    }
    kafka::headers_ptr raw_headers;
    if (!hdrs.empty()) {
        raw_headers.reset(rd_kafka_headers_new(hdrs.size()));
        for (const auto& [name, v] : hdrs) {
            rd_kafka_header_add(raw_headers.get(), name.data(), static_cast<ssize_t>(name.size()),
                                v ? v->data() : nullptr, v ? static_cast<ssize_t>(v->size()) : 0);
        }
    }
    if (_holding) {
        held_record held{&out,
                         target,
                         timestamp,
                         _held_data.size(),
                         key ? key->size() : 0,
                         value ? value->size() : 0,
                         key.has_value(),
                         value.has_value(),
                         std::move(raw_headers)};
        if (key) {
            _held_data.append(*key);
        }
        if (value) {
            _held_data.append(*value);
        }
        _held.push_back(std::move(held));
        return;
    }
    try {
        _producer.produce(out.handle, target, key, value, timestamp, std::move(raw_headers));
    } catch (const kafka::kafka_error& e) {
        // What librdkafka refuses about this record, not about the producer.
        if (e.code() == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE ||
            e.code() == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION ||
            e.code() == RD_KAFKA_RESP_ERR__INVALID_ARG ||
            e.code() == RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION) {
            throw production_error(e.what());
        }
        throw;
    }
    ++_sent;
}

void kafka_record_collector::release_held() {
    _holding = false;
    std::vector<held_record> held = std::exchange(_held, {});
    std::string data = std::exchange(_held_data, {});
    const std::string_view bytes = data;
    for (auto& r : held) {
        const nullable_bytes key =
            r.has_key ? nullable_bytes(bytes.substr(r.key_at, r.key_size)) : std::nullopt;
        const nullable_bytes value =
            r.has_value ? nullable_bytes(bytes.substr(r.key_at + r.key_size, r.value_size))
                        : std::nullopt;
        _producer.produce(r.topic->handle, r.partition, key, value, r.timestamp,
                          std::move(r.headers));
        ++_sent;
    }
    // Keep the buffers' capacity for the next commit.
    held.clear();
    data.clear();
    _held = std::move(held);
    _held_data = std::move(data);
}

void kafka_record_collector::drop_held() {
    _holding = false;
    _held.clear();
    _held_data.clear();
}

int32_t kafka_record_collector::partition_count(std::string_view topic_name) {
    return partition_count(topic(topic_name));
}

int32_t kafka_record_collector::partition_count(output_topic& out) {
    if (out.partitions > 0) {
        return out.partitions;
    }
    const std::optional<int32_t> n =
        _producer.partition_count(out.handle, std::chrono::seconds(10));
    if (!n) {
        throw streams_error(fmt::format(
            "output topic '{}' does not exist (topic auto-creation is off on most clusters): "
            "create it first",
            _producer.topic_name(out.handle)));
    }
    out.partitions = *n;
    return out.partitions;
}

void kafka_record_collector::on_delivery(const delivery_report& report) {
    if (report.error != RD_KAFKA_RESP_ERR_NO_ERROR) {
        if (_first_error.empty()) {
            _first_error = fmt::format("delivery to {}-{} failed: {}", report.topic,
                                       report.partition, report.reason);
        }
        return;
    }
    if (_tracked.empty() || report.partition < 0) {
        return;
    }
    for (auto& t : _tracked) {
        if (t.name == report.topic) {
            const auto p = static_cast<size_t>(report.partition);
            if (t.next_offset.size() <= p) {
                t.next_offset.resize(p + 1, -1);
            }
            // Acknowledgements of one partition arrive in offset order; max() keeps a
            // retried batch from moving the mark back all the same.
            t.next_offset[p] = std::max(t.next_offset[p], report.offset + 1);
            return;
        }
    }
}

bool kafka_record_collector::tracks_acked_offsets(std::string_view topic) const {
    return std::any_of(_tracked.begin(), _tracked.end(),
                       [&](const tracked_topic& t) { return t.name == topic; });
}

void kafka_record_collector::track_acked_offsets(const std::string& topic) {
    for (const auto& t : _tracked) {
        if (t.name == topic) {
            return;
        }
    }
    _tracked.push_back({topic, {}});
}

std::optional<int64_t> kafka_record_collector::acked_next_offset(std::string_view topic,
                                                                 int32_t partition) const {
    for (const auto& t : _tracked) {
        if (t.name == topic) {
            const auto p = static_cast<size_t>(partition);
            if (partition >= 0 && p < t.next_offset.size() && t.next_offset[p] >= 0) {
                return t.next_offset[p];
            }
            return std::nullopt;
        }
    }
    return std::nullopt;
}

void kafka_record_collector::check_deliveries() {
    if (!_first_error.empty()) {
        std::string error = std::move(_first_error);
        _first_error.clear();
        throw delivery_error(error);
    }
}

} // namespace brook
