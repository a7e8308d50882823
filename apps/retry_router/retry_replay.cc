#include "apps/retry_router/retry_replay.h"

#include <algorithm>
#include <map>
#include <stdexcept>
#include <vector>

#include <fmt/format.h>

#include "apps/retry_router/retry_history.h"
#include "engine/kafka/admin_client.h"
#include "engine/kafka/consumer.h"
#include "engine/kafka/producer.h"

namespace brook::apps {

namespace {

constexpr std::string_view replayed_prefix = "replayed-";

bool is_router_header(std::string_view name) {
    return std::find(retry_header::all.begin(), retry_header::all.end(), name) !=
           retry_header::all.end();
}

headers read_headers(const rd_kafka_message_t& msg) {
    headers out;
    rd_kafka_headers_t* raw = nullptr;
    if (rd_kafka_message_headers(&msg, &raw) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return out;
    }
    const char* name = nullptr;
    const void* value = nullptr;
    size_t size = 0;
    for (size_t i = 0;
         rd_kafka_header_get_all(raw, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; ++i) {
        out.add(name, value == nullptr ? std::nullopt
                                       : std::optional<std::string>(
                                             std::string(static_cast<const char*>(value), size)));
    }
    return out;
}

kafka::headers_ptr to_kafka_headers(const headers& hdrs) {
    kafka::headers_ptr out(rd_kafka_headers_new(hdrs.size()));
    for (const auto& [name, value] : hdrs) {
        rd_kafka_header_add(out.get(), name.data(), static_cast<ssize_t>(name.size()),
                            value ? value->data() : nullptr,
                            value ? static_cast<ssize_t>(value->size()) : 0);
    }
    return out;
}

} // namespace

bool replay_matches(const headers& hdrs, const std::optional<std::string>& event_type) {
    if (!event_type) {
        return true;
    }
    const std::optional<std::string_view> type = hdrs.last(retry_header::event_type);
    return type && *type == *event_type;
}

headers replay_headers(const headers& hdrs) {
    headers out;
    // Names whose replayed- copy this replay writes: an earlier replay's copy goes.
    for (const auto& [name, value] : hdrs) {
        if (name.starts_with(replayed_prefix) &&
            is_router_header(std::string_view(name).substr(replayed_prefix.size())) &&
            hdrs.contains(std::string_view(name).substr(replayed_prefix.size()))) {
            continue;
        }
        out.add(is_router_header(name) ? std::string(replayed_prefix) + name : name, value);
    }
    return out;
}

replay_result replay_dead_letters(const replay_options& options) {
    const auto deadline = std::chrono::steady_clock::now() + options.timeout;
    {
        kafka::admin_client admin(options.client);
        for (const auto& [topic, role] :
             {std::pair{options.dlq_topic, "dead-letter"}, std::pair{options.to_topic, "target"}}) {
            if (!admin.partition_count(topic, options.timeout)) {
                throw std::runtime_error(fmt::format(
                    "the {} topic '{}' does not exist: check the name (the router's are "
                    "<input>.dlq and <input>)",
                    role, topic));
            }
        }
    }

    kafka::client_config cc = options.client;
    cc.set("group.id", "brook-retry-router-replay")
        .set("enable.auto.commit", "false")
        .set("enable.partition.eof", "true")
        .set("isolation.level", "read_committed");
    kafka::consumer reader(cc);
    const int partitions = [&] {
        kafka::admin_client admin(options.client);
        return *admin.partition_count(options.dlq_topic, options.timeout);
    }();
    // The end of each partition now: what is copied.
    std::map<int32_t, int64_t> end;
    std::vector<std::tuple<std::string, int32_t, int64_t>> assigned;
    for (int32_t p = 0; p < partitions; ++p) {
        const auto [low, high] = reader.watermarks(options.dlq_topic, p, options.timeout);
        if (high > low) {
            end[p] = high;
            assigned.emplace_back(options.dlq_topic, p, low);
        }
    }
    replay_result result;
    if (end.empty()) {
        return result;
    }
    reader.assign(*kafka::make_partition_list(assigned));

    uint64_t failed = 0;
    std::string first_failure;
    kafka::client_config pc = options.client;
    pc.set("enable.idempotence", "true").set("acks", "all");
    kafka::producer writer(pc, [&](const rd_kafka_message_t& msg) {
        if (msg.err != RD_KAFKA_RESP_ERR_NO_ERROR && failed++ == 0) {
            first_failure = rd_kafka_err2str(msg.err);
        }
    });
    const kafka::topic_ptr target = writer.open_topic(options.to_topic);

    std::map<int32_t, bool> done;
    while (done.size() < end.size()) {
        if (std::chrono::steady_clock::now() > deadline) {
            throw std::runtime_error(fmt::format(
                "replay: {} of {} partitions of '{}' read to their end offsets within {} ms "
                "({} records copied so far); a transaction left open keeps read_committed "
                "readers back until it times out: try again, or give a longer --timeout",
                done.size(), end.size(), options.dlq_topic, options.timeout.count(),
                result.replayed));
        }
        kafka::message_ptr msg = reader.poll(std::chrono::milliseconds(200));
        if (!msg) {
            continue;
        }
        const int32_t p = msg->partition;
        if (msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            if (msg->offset >= end[p]) {
                done[p] = true;
            }
            continue;
        }
        if (msg->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            throw std::runtime_error(fmt::format("replay: reading '{}': {}", options.dlq_topic,
                                                 rd_kafka_message_errstr(msg.get())));
        }
        if (done.contains(p) || msg->offset >= end[p]) {
            done[p] = true;
            continue; // written after the replay started
        }
        ++result.read;
        const headers hdrs = read_headers(*msg);
        if (replay_matches(hdrs, options.event_type)) {
            const nullable_bytes key = msg->key != nullptr
                                           ? nullable_bytes(std::string_view(
                                                 static_cast<const char*>(msg->key), msg->key_len))
                                           : std::nullopt;
            const nullable_bytes value =
                msg->payload != nullptr ? nullable_bytes(std::string_view(
                                              static_cast<const char*>(msg->payload), msg->len))
                                        : std::nullopt;
            writer.produce(target.get(), RD_KAFKA_PARTITION_UA, key, value, 0,
                           to_kafka_headers(replay_headers(hdrs)));
            ++result.replayed;
        }
        if (msg->offset + 1 >= end[p]) {
            done[p] = true;
        }
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    writer.flush(std::max(left, std::chrono::milliseconds(1000)));
    if (failed > 0) {
        throw std::runtime_error(
            fmt::format("replay: {} of {} copies to '{}' were not delivered ({}); the others were: "
                        "replaying again copies every record again",
                        failed, result.replayed, options.to_topic, first_failure));
    }
    return result;
}

} // namespace brook::apps
