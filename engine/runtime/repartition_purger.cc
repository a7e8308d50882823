#include "engine/runtime/repartition_purger.h"

#include <vector>

#include <fmt/format.h>

#include "base/log.h"
#include "engine/kafka/consumer.h"
#include "engine/kafka/kafka_error.h"

namespace brook {

namespace {
// How long the brokers may take over one purge; the next one waits for its answer.
constexpr std::chrono::milliseconds purge_timeout{30000};
} // namespace

repartition_purger::repartition_purger(kafka::client_config admin,
                                       std::set<std::string> repartition_topics,
                                       std::chrono::milliseconds interval)
    : _admin_config(std::move(admin)), _topics(std::move(repartition_topics)), _interval(interval),
      _last_purge(clock::now()) {}

// The answer queue goes before the client that serves it.
repartition_purger::~repartition_purger() {
    _answers.reset();
}

void repartition_purger::committed(const std::string& topic, int32_t partition,
                                   int64_t next_offset) {
    if (!_topics.contains(topic)) {
        return;
    }
    int64_t& known = _committed[{topic, partition}];
    known = std::max(known, next_offset);
}

void repartition_purger::maybe_purge(clock::time_point now) {
    read_answers();
    if (_outstanding || now - _last_purge < _interval) {
        return;
    }
    std::vector<std::tuple<std::string, int32_t, int64_t>> before;
    for (const auto& [tp, offset] : _committed) {
        auto purged = _purged.find(tp);
        if (purged == _purged.end() || purged->second < offset) {
            before.emplace_back(tp.first, tp.second, offset);
        }
    }
    if (before.empty()) {
        return;
    }
    _last_purge = now;
    try {
        if (!_admin) {
            _admin = std::make_unique<kafka::admin_client>(_admin_config);
            _answers.reset(rd_kafka_queue_new(_admin->handle()));
        }
        const kafka::partition_list_ptr list = kafka::make_partition_list(before);
        _admin->delete_records_async(*list, _answers.get(), purge_timeout);
    } catch (const kafka::kafka_error& e) {
        log_warn(fmt::format("purging committed records from repartition topics "
                             "failed, retrying with the next purge: {}",
                             e.what()));
        return;
    }
    _outstanding = true;
}

void repartition_purger::read_answers() {
    if (!_outstanding) {
        return;
    }
    const kafka::event_ptr ev(rd_kafka_queue_poll(_answers.get(), 0));
    if (!ev) {
        return; // not answered yet
    }
    _outstanding = false;
    if (rd_kafka_event_error(ev.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        log_warn(fmt::format("purging committed records from repartition topics "
                             "failed, retrying with the next purge: {}",
                             rd_kafka_event_error_string(ev.get())));
        return;
    }
    const rd_kafka_DeleteRecords_result_t* result = rd_kafka_event_DeleteRecords_result(ev.get());
    const rd_kafka_topic_partition_list_t* offsets =
        result != nullptr ? rd_kafka_DeleteRecords_result_offsets(result) : nullptr;
    if (offsets == nullptr) {
        return;
    }
    for (int i = 0; i < offsets->cnt; ++i) {
        const rd_kafka_topic_partition_t& p = offsets->elems[i];
        if (p.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            log_warn(fmt::format("purging committed records of {} [{}] failed, "
                                 "retrying with the next purge: {}",
                                 p.topic, p.partition, rd_kafka_err2str(p.err)));
            continue;
        }
        // The answer gives the partition's new low watermark: at least what was asked for.
        int64_t& purged = _purged[{p.topic, p.partition}];
        purged = std::max(purged, p.offset);
    }
}

} // namespace brook
