#include "engine/runtime/consumed_record.h"

namespace brook {

struct consumed_record::storage {
    std::string topic;
    std::optional<std::string> key;
    std::optional<std::string> value;
    headers hdrs;
};

consumed_record::consumed_record(kafka::message_ptr msg) : _message(std::move(msg)) {
    const rd_kafka_message_t& m = *_message;
    _topic = rd_kafka_topic_name(m.rkt);
    _topic_key = m.rkt;
    _partition = m.partition;
    _offset = m.offset;
    _timestamp = rd_kafka_message_timestamp(&m, nullptr);
    if (m.key != nullptr) {
        _key.emplace(static_cast<const char*>(m.key), m.key_len);
    }
    if (m.payload != nullptr) {
        _value.emplace(static_cast<const char*>(m.payload), m.len);
    }
}

consumed_record consumed_record::in_memory(std::string topic, const void* topic_key,
                                           int32_t partition, int64_t offset, int64_t timestamp,
                                           std::optional<std::string> key,
                                           std::optional<std::string> value, headers hdrs) {
    consumed_record r;
    r._storage = std::make_unique<storage>(
        storage{std::move(topic), std::move(key), std::move(value), std::move(hdrs)});
    r._topic = r._storage->topic;
    r._topic_key = topic_key;
    r._partition = partition;
    r._offset = offset;
    r._timestamp = timestamp;
    if (r._storage->key) {
        r._key = *r._storage->key;
    }
    if (r._storage->value) {
        r._value = *r._storage->value;
    }
    return r;
}

consumed_record::consumed_record() = default;
consumed_record::consumed_record(consumed_record&&) noexcept = default;
consumed_record& consumed_record::operator=(consumed_record&&) noexcept = default;
consumed_record::~consumed_record() = default;

bool consumed_record::read_headers(headers& out) const {
    if (_storage) {
        if (_storage->hdrs.empty()) {
            return false;
        }
        out = _storage->hdrs;
        return true;
    }
    if (!_message) {
        return false;
    }
    rd_kafka_headers_t* raw = nullptr;
    if (rd_kafka_message_headers(_message.get(), &raw) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return false;
    }
    headers copy;
    const char* name = nullptr;
    const void* value = nullptr;
    size_t size = 0;
    for (size_t i = 0;
         rd_kafka_header_get_all(raw, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; ++i) {
        if (value == nullptr) {
            copy.add(name, std::nullopt);
        } else {
            copy.add(name, std::string(static_cast<const char*>(value), size));
        }
    }
    out = std::move(copy);
    return true;
}

} // namespace brook
