#include "tests/support/topic_tail.h"

#include <set>
#include <stdexcept>
#include <thread>
#include <tuple>

#include <fmt/format.h>

#include "engine/runtime/progress_marker.h"

namespace brook::testing {

topic_tail::topic_tail(const kafka::client_config& base, const std::string& topic, int partitions,
                       const std::string& isolation)
    : topic_tail(base, std::vector<std::string>{topic}, partitions, isolation) {}

topic_tail::topic_tail(const kafka::client_config& base, const std::vector<std::string>& topics,
                       int partitions, const std::string& isolation) {
    kafka::client_config config = base;
    config.set("group.id", "brook-test-tail")
        .set("enable.auto.commit", "false")
        .set("isolation.level", isolation);
    _consumer = std::make_unique<kafka::consumer>(config);
    std::vector<std::tuple<std::string, int32_t, int64_t>> entries;
    for (const auto& topic : topics) {
        for (int p = 0; p < partitions; ++p) {
            entries.emplace_back(topic, p, RD_KAFKA_OFFSET_BEGINNING);
        }
    }
    _consumer->assign(*kafka::make_partition_list(entries));
}

size_t topic_tail::poll(std::chrono::milliseconds timeout,
                        const std::function<void(const rd_kafka_message_t&)>& on_record) {
    std::vector<kafka::message_ptr> batch;
    _consumer->poll_batch(batch, 1000, timeout);
    size_t n = 0;
    for (const auto& m : batch) {
        if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            on_record(*m);
            ++n;
        } else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            throw std::runtime_error(fmt::format("tailing: {}", rd_kafka_message_errstr(m.get())));
        }
    }
    return n;
}

bool topic_tail::poll_until(const std::function<bool()>& done, std::chrono::milliseconds timeout,
                            const std::function<void(const rd_kafka_message_t&)>& on_record) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done() && std::chrono::steady_clock::now() < deadline) {
        poll(std::chrono::milliseconds(100), on_record);
    }
    return done();
}

std::vector<int64_t> committed_offsets(const kafka::client_config& base, const std::string& group,
                                       const std::string& topic, int partitions) {
    kafka::client_config config = base;
    config.set("group.id", group).set("enable.auto.commit", "false");
    kafka::consumer c(config);
    std::vector<std::tuple<std::string, int32_t, int64_t>> entries;
    for (int p = 0; p < partitions; ++p) {
        entries.emplace_back(topic, p, RD_KAFKA_OFFSET_INVALID);
    }
    auto list = kafka::make_partition_list(entries);
    c.committed(*list, std::chrono::seconds(30));
    std::vector<int64_t> out;
    for (int i = 0; i < list->cnt; ++i) {
        out.push_back(list->elems[i].offset);
    }
    return out;
}

namespace {
std::vector<std::pair<int64_t, int64_t>> watermarks(const kafka::client_config& base,
                                                    const std::string& topic, int partitions) {
    kafka::client_config config = base;
    config.set("group.id", "brook-test-offsets");
    kafka::consumer c(config);
    std::vector<std::pair<int64_t, int64_t>> out;
    for (int p = 0; p < partitions; ++p) {
        out.push_back(c.watermarks(topic, p, std::chrono::seconds(30)));
    }
    return out;
}
} // namespace

bool wait_committed_to_end(const kafka::client_config& base, const std::string& group,
                           const std::string& topic, int partitions,
                           std::chrono::milliseconds patience) {
    const auto end = end_offsets(base, topic, partitions);
    const auto deadline = std::chrono::steady_clock::now() + patience;
    while (std::chrono::steady_clock::now() < deadline) {
        if (committed_offsets(base, group, topic, partitions) == end) {
            return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    return false;
}

std::vector<int64_t> end_offsets(const kafka::client_config& base, const std::string& topic,
                                 int partitions) {
    std::vector<int64_t> out;
    for (const auto& [low, high] : watermarks(base, topic, partitions)) {
        out.push_back(high);
    }
    return out;
}

std::vector<int64_t> start_offsets(const kafka::client_config& base, const std::string& topic,
                                   int partitions) {
    std::vector<int64_t> out;
    for (const auto& [low, high] : watermarks(base, topic, partitions)) {
        out.push_back(low);
    }
    return out;
}

bool is_progress_marker(const rd_kafka_message_t& m) {
    if (m.key != nullptr || m.payload != nullptr) {
        return false;
    }
    rd_kafka_headers_t* hdrs = nullptr;
    const void* value = nullptr;
    size_t size = 0;
    return rd_kafka_message_headers(&m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR &&
           rd_kafka_header_get_last(hdrs, std::string(progress_marker::header).c_str(), &value,
                                    &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
}

int64_t committed_record_count(const kafka::client_config& base,
                               const std::vector<std::string>& topics, int partitions,
                               std::chrono::milliseconds timeout) {
    kafka::client_config config = base;
    config.set("group.id", "brook-test-count")
        .set("enable.auto.commit", "false")
        .set("enable.partition.eof", "true")
        .set("isolation.level", "read_committed");
    kafka::consumer c(config);
    std::vector<std::tuple<std::string, int32_t, int64_t>> entries;
    for (const auto& topic : topics) {
        for (int p = 0; p < partitions; ++p) {
            entries.emplace_back(topic, p, RD_KAFKA_OFFSET_BEGINNING);
        }
    }
    c.assign(*kafka::make_partition_list(entries));
    // A partition reports its end once the fetch position reaches it: under read_committed
    // the last stable offset.
    std::set<std::pair<std::string, int32_t>> at_end;
    int64_t count = 0;
    std::vector<kafka::message_ptr> batch;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (at_end.size() < entries.size()) {
        if (std::chrono::steady_clock::now() >= deadline) {
            throw std::runtime_error(fmt::format("counting committed records: {} of {} partitions "
                                                 "reached their end within {} ms",
                                                 at_end.size(), entries.size(), timeout.count()));
        }
        batch.clear();
        c.poll_batch(batch, 1000, std::chrono::milliseconds(100));
        for (const auto& m : batch) {
            if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                at_end.emplace(rd_kafka_topic_name(m->rkt), m->partition);
            } else if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
                throw std::runtime_error(fmt::format("counting committed records: {}",
                                                     rd_kafka_message_errstr(m.get())));
            } else if (!is_progress_marker(*m)) {
                ++count;
            }
        }
    }
    return count;
}

} // namespace brook::testing
