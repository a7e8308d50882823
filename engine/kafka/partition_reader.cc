#include "engine/kafka/partition_reader.h"

#include <stdexcept>

#include <fmt/format.h>

#include "engine/kafka/consumer.h"

namespace brook::kafka {

std::vector<std::pair<std::string, std::optional<std::string>>>
message_headers(rd_kafka_message_t& msg) {
    std::vector<std::pair<std::string, std::optional<std::string>>> out;
    rd_kafka_headers_t* hdrs = nullptr;
    if (rd_kafka_message_headers(&msg, &hdrs) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return out; // none
    }
    const char* name = nullptr;
    const void* value = nullptr;
    size_t size = 0;
    for (size_t i = 0;
         rd_kafka_header_get_all(hdrs, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
         ++i) {
        out.emplace_back(name, value == nullptr
                                   ? std::nullopt
                                   : std::optional<std::string>(
                                         std::in_place, static_cast<const char*>(value), size));
    }
    return out;
}

std::vector<read_record> read_partition(const client_config& base, const std::string& topic,
                                        int32_t partition, const std::string& isolation,
                                        std::chrono::milliseconds timeout) {
    client_config config = base;
    config.set("group.id", "brook-test-reader")
        .set("enable.auto.commit", "false")
        .set("enable.partition.eof", "true")
        .set("isolation.level", isolation);
    consumer reader(config);
    auto list = make_partition_list({{topic, partition, RD_KAFKA_OFFSET_BEGINNING}});
    reader.assign(*list);

    std::vector<read_record> out;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        message_ptr msg = reader.poll(std::chrono::milliseconds(200));
        if (!msg) {
            continue;
        }
        if (msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            return out;
        }
        if (msg->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            throw std::runtime_error(fmt::format("reading {}-{}: {}", topic, partition,
                                                 rd_kafka_message_errstr(msg.get())));
        }
        read_record r;
        r.offset = msg->offset;
        if (msg->key != nullptr) {
            r.key.emplace(static_cast<const char*>(msg->key), msg->key_len);
        }
        if (msg->payload != nullptr) {
            r.value.emplace(static_cast<const char*>(msg->payload), msg->len);
        }
        r.timestamp = rd_kafka_message_timestamp(msg.get(), nullptr);
        r.headers = message_headers(*msg);
        out.push_back(std::move(r));
    }
    throw std::runtime_error(
        fmt::format("reading {}-{}: end not reached within {} ms ({} records so far)", topic,
                    partition, timeout.count(), out.size()));
}

} // namespace brook::kafka
