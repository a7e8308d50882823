#include "engine/kafka/consumer.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <functional>
#include <string>
#include <thread>
#include <utility>

#include <fmt/format.h>

#include "base/log.h"
#include "engine/kafka/kafka_error.h"

namespace brook::kafka {

namespace {
// How soon librdkafka looks again at a partition it stopped fetching because the
// consumer queue was full (see the constructor).
constexpr const char* fetch_queue_backoff_ms = "1";
} // namespace

bool names_cooperative_assignor(std::string_view strategies) {
    while (!strategies.empty()) {
        const size_t comma = strategies.find(',');
        std::string_view name = strategies.substr(0, comma);
        while (!name.empty() && name.front() == ' ') {
            name.remove_prefix(1);
        }
        while (!name.empty() && name.back() == ' ') {
            name.remove_suffix(1);
        }
        if (name == "cooperative-sticky") {
            return true;
        }
        strategies =
            comma == std::string_view::npos ? std::string_view{} : strategies.substr(comma + 1);
    }
    return false;
}

consumer::consumer(const client_config& config, rebalance_listener* listener)
    : _listener(listener) {
    conf_ptr conf = config.build();
    // librdkafka stops fetching a partition while the consumer queue holds
    // queued.min.messages or more, and looks again only fetch.queue.backoff.ms later (1 s
    // by default): a consumer that drains a full queue faster idles for the rest. Brook
    // drains its queue at once, so it looks again soon, unless told otherwise. Measured:
    // a million-record restore at 0.21M records/s with the default, 1.2M with 1 ms.
    if (!config.get("fetch.queue.backoff.ms")) {
        std::array<char, 512> err{};
        if (rd_kafka_conf_set(conf.get(), "fetch.queue.backoff.ms", fetch_queue_backoff_ms,
                              err.data(), err.size()) != RD_KAFKA_CONF_OK) {
            throw kafka_error(fmt::format("fetch.queue.backoff.ms: {}", err.data()),
                              RD_KAFKA_RESP_ERR__INVALID_ARG, true, false, false);
        }
    }
    rd_kafka_conf_set_opaque(conf.get(), this);
    rd_kafka_conf_set_rebalance_cb(conf.get(), &consumer::on_rebalance);
    std::array<char, 512> errstr{};
    _rk.reset(rd_kafka_new(RD_KAFKA_CONSUMER, conf.get(), errstr.data(), errstr.size()));
    if (!_rk) {
        throw kafka_error(fmt::format("cannot create consumer: {}", errstr.data()),
                          RD_KAFKA_RESP_ERR__INVALID_ARG, true, false, false);
    }
    (void)conf.release();
    // Route all events, including rebalances, to the consumer queue served by poll().
    rd_kafka_poll_set_consumer(_rk.get());
    _cooperative_configured =
        names_cooperative_assignor(config.get("partition.assignment.strategy").value_or(""));
}

consumer::~consumer() {
    try {
        close();
    } catch (...) { // NOLINT(bugprone-empty-catch): nothing to report to from a destructor
    }
}

void consumer::on_rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                            rd_kafka_topic_partition_list_t* partitions, void* opaque) {
    auto* self = static_cast<consumer*>(opaque);
    // Null on error, as documented (a crash at strcmp(null) in this callback was seen once
    // during a rebalance): then the configured assignor decides.
    const char* protocol = rd_kafka_rebalance_protocol(rk);
    const bool cooperative = protocol != nullptr ? std::strcmp(protocol, "COOPERATIVE") == 0
                                                 : self->_cooperative_configured;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        if (cooperative) {
            error_ptr e(rd_kafka_incremental_assign(rk, partitions));
        } else {
            rd_kafka_assign(rk, partitions);
        }
        self->call_listener([&](rebalance_listener& l) { l.on_assigned(*partitions); });
        return;
    }
    const bool lost = rd_kafka_assignment_lost(rk) != 0;
    self->call_listener(
        [&](rebalance_listener& l) { lost ? l.on_lost(*partitions) : l.on_revoked(*partitions); });
    if (cooperative) {
        error_ptr e(rd_kafka_incremental_unassign(rk, partitions));
    } else {
        rd_kafka_assign(rk, nullptr);
    }
}

template <class F>
void consumer::call_listener(F&& call) {
    if (_listener == nullptr) {
        return;
    }
    // An exception must not unwind through librdkafka's C frames: keep the first one and
    // rethrow it from the poll() or close() that ran the callback.
    try {
        call(*_listener);
    } catch (...) {
        if (!_callback_error) {
            _callback_error = std::current_exception();
        }
    }
}

void consumer::rethrow_callback_error() {
    if (_callback_error) {
        std::exception_ptr error = std::exchange(_callback_error, nullptr);
        std::rethrow_exception(error);
    }
}

void consumer::subscribe(const std::vector<std::string>& topics) {
    partition_list_ptr list(rd_kafka_topic_partition_list_new(static_cast<int>(topics.size())));
    for (const auto& t : topics) {
        rd_kafka_topic_partition_list_add(list.get(), t.c_str(), RD_KAFKA_PARTITION_UA);
    }
    throw_if_error(rd_kafka_subscribe(_rk.get(), list.get()), "subscribe");
}

void consumer::assign(const rd_kafka_topic_partition_list_t& partitions) {
    throw_if_error(rd_kafka_assign(_rk.get(), &partitions), "assign");
}

message_ptr consumer::poll(std::chrono::milliseconds timeout) {
    message_ptr msg(rd_kafka_consumer_poll(_rk.get(), static_cast<int>(timeout.count())));
    rethrow_callback_error();
    return msg;
}

size_t consumer::poll_batch(std::vector<message_ptr>& out, size_t max,
                            std::chrono::milliseconds timeout) {
    // Built from single polls (the first waits, the rest only take what is already
    // fetched), not rd_kafka_consume_batch_queue(): in librdkafka 2.0.x that call could hand
    // out messages of partitions a rebalance inside it revoked, while
    // rd_kafka_consumer_poll() drops such outdated messages.
    size_t got = 0;
    int wait_ms = static_cast<int>(timeout.count());
    while (got < max) {
        rd_kafka_message_t* msg = rd_kafka_consumer_poll(_rk.get(), wait_ms);
        rethrow_callback_error(); // what the rebalance listener threw, if anything
        if (msg == nullptr) {
            break;
        }
        out.emplace_back(msg);
        ++got;
        wait_ms = 0;
    }
    return got;
}

namespace {

// What one attempt of a request came back with: its error and what it was about.
struct attempt_result {
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
    std::string what;
};

// Makes `attempt` (given the time left) until it succeeds. The group coordinator can move
// or still be loading its offsets (a new group's __consumer_offsets partition just
// elected, a broker restarting); librdkafka then returns NOT_COORDINATOR or
// COORDINATOR_LOAD_IN_PROGRESS, for the whole request or for single partitions, instead of
// asking again. Like the Java consumer's commitSync() and committed(), a retriable error is
// tried again after a short pause (50 ms, doubling to 1 s) until `timeout` has passed;
// any other error, and a retriable one at the deadline, is thrown.
void retry_retriable(std::chrono::milliseconds timeout,
                     const std::function<attempt_result(std::chrono::milliseconds)>& attempt) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    auto pause = std::chrono::milliseconds(50);
    for (int n = 1;; ++n) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        const attempt_result r = attempt(std::max(left, std::chrono::milliseconds(1)));
        if (r.err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            return;
        }
        kafka_error error = kafka_error::from(r.err, r.what);
        if (!error.is_retriable() || std::chrono::steady_clock::now() + pause >= deadline) {
            throw error;
        }
        log_debug(
            fmt::format("{} (attempt {}); asking again in {} ms", error.what(), n, pause.count()));
        std::this_thread::sleep_for(pause);
        pause = std::min(pause * 2, std::chrono::milliseconds(1000));
    }
}

// The first partition error of `list`, if any.
attempt_result first_partition_error(const rd_kafka_topic_partition_list_t& list,
                                     std::string_view what) {
    for (int i = 0; i < list.cnt; ++i) {
        if (list.elems[i].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            return {list.elems[i].err,
                    fmt::format("{} of {}-{}", what, list.elems[i].topic, list.elems[i].partition)};
        }
    }
    return {};
}

} // namespace

void consumer::commit(const rd_kafka_topic_partition_list_t& offsets,
                      std::chrono::milliseconds timeout) {
    // librdkafka commits a copy of `offsets` and returns a partition's error (all of them
    // fail alike) as the call's. One attempt waits for the coordinator as long as
    // librdkafka does (it answers __WAIT_COORD when none is known within its own bound),
    // so the whole may take up to one such wait longer than `timeout`.
    retry_retriable(timeout, [&](std::chrono::milliseconds) {
        return attempt_result{rd_kafka_commit(_rk.get(), &offsets, 0), "committing offsets"};
    });
}

void consumer::committed(rd_kafka_topic_partition_list_t& partitions,
                         std::chrono::milliseconds timeout) {
    retry_retriable(timeout, [&](std::chrono::milliseconds left) {
        for (int i = 0; i < partitions.cnt; ++i) {
            partitions.elems[i].offset = RD_KAFKA_OFFSET_INVALID;
            partitions.elems[i].err = RD_KAFKA_RESP_ERR_NO_ERROR;
        }
        const rd_kafka_resp_err_t err =
            rd_kafka_committed(_rk.get(), &partitions, static_cast<int>(left.count()));
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            return attempt_result{err, "reading committed offsets"};
        }
        return first_partition_error(partitions, "reading the committed offset");
    });
}

std::pair<int64_t, int64_t> consumer::watermarks(const std::string& topic, int32_t partition,
                                                 std::chrono::milliseconds timeout) {
    int64_t low = 0;
    int64_t high = 0;
    throw_if_error(rd_kafka_query_watermark_offsets(_rk.get(), topic.c_str(), partition, &low,
                                                    &high, static_cast<int>(timeout.count())),
                   fmt::format("reading watermarks of {}-{}", topic, partition));
    return {low, high};
}

void consumer::position(rd_kafka_topic_partition_list_t& partitions) {
    throw_if_error(rd_kafka_position(_rk.get(), &partitions), "reading positions");
}

group_metadata_ptr consumer::group_metadata() const {
    return group_metadata_ptr(rd_kafka_consumer_group_metadata(_rk.get()));
}

void consumer::pause(const rd_kafka_topic_partition_list_t& partitions) {
    throw_if_error(rd_kafka_pause_partitions(
                       _rk.get(), const_cast<rd_kafka_topic_partition_list_t*>(&partitions)),
                   "pausing partitions");
}

void consumer::resume(const rd_kafka_topic_partition_list_t& partitions) {
    throw_if_error(rd_kafka_resume_partitions(
                       _rk.get(), const_cast<rd_kafka_topic_partition_list_t*>(&partitions)),
                   "resuming partitions");
}

void consumer::seek(const std::string& topic, int32_t partition, int64_t offset,
                    std::chrono::milliseconds timeout) {
    partition_list_ptr list(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), partition)->offset = offset;
    throw_if_error(
        rd_kafka_seek_partitions(_rk.get(), list.get(), static_cast<int>(timeout.count())),
        fmt::format("seeking {}-{} to {}", topic, partition, offset));
    throw_if_error(list->elems[0].err, fmt::format("seeking {}-{}", topic, partition));
}

void consumer::close() {
    if (_closed || !_rk) {
        return;
    }
    _closed = true;
    const rd_kafka_resp_err_t err = rd_kafka_consumer_close(_rk.get());
    rethrow_callback_error();
    throw_if_error(err, "closing the consumer");
}

partition_list_ptr
make_partition_list(const std::vector<std::tuple<std::string, int32_t, int64_t>>& entries) {
    partition_list_ptr list(rd_kafka_topic_partition_list_new(static_cast<int>(entries.size())));
    for (const auto& [topic, partition, offset] : entries) {
        rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), partition)->offset = offset;
    }
    return list;
}

} // namespace brook::kafka
