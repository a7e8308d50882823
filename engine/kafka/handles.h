#pragma once

// RAII over librdkafka's C handles: one deleter and one unique_ptr alias per handle type.
// Every raw handle that Brook receives from librdkafka is wrapped here at once, so a
// thrown exception can never leak a client, a message or an error object.

#include <memory>

#include <librdkafka/rdkafka.h>

namespace brook::kafka {

template <typename T, void (*destroy)(T*)>
struct c_deleter {
    void operator()(T* p) const noexcept {
        if (p != nullptr) {
            destroy(p);
        }
    }
};

using kafka_ptr = std::unique_ptr<rd_kafka_t, c_deleter<rd_kafka_t, rd_kafka_destroy>>;
using topic_ptr =
    std::unique_ptr<rd_kafka_topic_t, c_deleter<rd_kafka_topic_t, rd_kafka_topic_destroy>>;
using conf_ptr =
    std::unique_ptr<rd_kafka_conf_t, c_deleter<rd_kafka_conf_t, rd_kafka_conf_destroy>>;
using topic_conf_ptr =
    std::unique_ptr<rd_kafka_topic_conf_t,
                    c_deleter<rd_kafka_topic_conf_t, rd_kafka_topic_conf_destroy>>;
using message_ptr =
    std::unique_ptr<rd_kafka_message_t, c_deleter<rd_kafka_message_t, rd_kafka_message_destroy>>;
using error_ptr =
    std::unique_ptr<rd_kafka_error_t, c_deleter<rd_kafka_error_t, rd_kafka_error_destroy>>;
using partition_list_ptr = std::unique_ptr<
    rd_kafka_topic_partition_list_t,
    c_deleter<rd_kafka_topic_partition_list_t, rd_kafka_topic_partition_list_destroy>>;
using queue_ptr =
    std::unique_ptr<rd_kafka_queue_t, c_deleter<rd_kafka_queue_t, rd_kafka_queue_destroy>>;
using event_ptr =
    std::unique_ptr<rd_kafka_event_t, c_deleter<rd_kafka_event_t, rd_kafka_event_destroy>>;
using headers_ptr =
    std::unique_ptr<rd_kafka_headers_t, c_deleter<rd_kafka_headers_t, rd_kafka_headers_destroy>>;
using admin_options_ptr =
    std::unique_ptr<rd_kafka_AdminOptions_t,
                    c_deleter<rd_kafka_AdminOptions_t, rd_kafka_AdminOptions_destroy>>;
using new_topic_ptr =
    std::unique_ptr<rd_kafka_NewTopic_t, c_deleter<rd_kafka_NewTopic_t, rd_kafka_NewTopic_destroy>>;
using delete_topic_ptr =
    std::unique_ptr<rd_kafka_DeleteTopic_t,
                    c_deleter<rd_kafka_DeleteTopic_t, rd_kafka_DeleteTopic_destroy>>;
using delete_records_ptr =
    std::unique_ptr<rd_kafka_DeleteRecords_t,
                    c_deleter<rd_kafka_DeleteRecords_t, rd_kafka_DeleteRecords_destroy>>;
using config_resource_ptr =
    std::unique_ptr<rd_kafka_ConfigResource_t,
                    c_deleter<rd_kafka_ConfigResource_t, rd_kafka_ConfigResource_destroy>>;
using group_metadata_ptr = std::unique_ptr<
    rd_kafka_consumer_group_metadata_t,
    c_deleter<rd_kafka_consumer_group_metadata_t, rd_kafka_consumer_group_metadata_destroy>>;

// rd_kafka_metadata() hands out a const pointer that must be released with its own call.
struct metadata_deleter {
    void operator()(const rd_kafka_metadata_t* p) const noexcept {
        if (p != nullptr) {
            rd_kafka_metadata_destroy(p);
        }
    }
};
using metadata_ptr = std::unique_ptr<const rd_kafka_metadata_t, metadata_deleter>;

} // namespace brook::kafka
