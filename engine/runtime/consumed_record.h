#pragma once

// consumed_record: one record a consumer fetched, as tasks queue and process it.
//
// It owns what it views: a message librdkafka fetched (the bytes stay in librdkafka's
// buffer, no copy), or, for records made in memory by the test fakes, its own storage.
// Fields are read once when it is made; headers only when asked, because librdkafka
// allocates to parse them.
//
// Lifecycle: made by a consumer_client's poll, moved into a task's queue, destroyed after
// processing. Threading: one thread at a time. Ownership: owns the message or storage.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "engine/kafka/handles.h"
#include "engine/nullable_bytes.h"
#include "engine/record.h"

namespace brook {

class consumed_record {
public:
    consumed_record();
    // Takes a message librdkafka fetched without error (msg->err == 0).
    explicit consumed_record(kafka::message_ptr msg);
    // A record held in memory (test fakes). `topic_key` identifies the topic for caches
    // keyed by topic (any pointer stable for the topic's lifetime).
    static consumed_record in_memory(std::string topic, const void* topic_key, int32_t partition,
                                     int64_t offset, int64_t timestamp,
                                     std::optional<std::string> key,
                                     std::optional<std::string> value, headers hdrs = {});

    consumed_record(consumed_record&&) noexcept;
    consumed_record& operator=(consumed_record&&) noexcept;
    ~consumed_record();

    std::string_view topic() const { return _topic; }
    // The same for every record of one topic from one client: the librdkafka topic handle.
    const void* topic_key() const { return _topic_key; }
    int32_t partition() const { return _partition; }
    int64_t offset() const { return _offset; }
    // The record's timestamp, -1 when it carries none.
    int64_t timestamp() const { return _timestamp; }
    nullable_bytes key() const { return _key; }
    nullable_bytes value() const { return _value; }
    // Copies the record's headers into `out`; false (and `out` untouched) when it has none.
    bool read_headers(headers& out) const;

private:
    struct storage;
    kafka::message_ptr _message;
    std::unique_ptr<storage> _storage;
    std::string_view _topic;
    const void* _topic_key = nullptr;
    int32_t _partition = -1;
    int64_t _offset = -1;
    int64_t _timestamp = -1;
    nullable_bytes _key;
    nullable_bytes _value;
};

} // namespace brook
