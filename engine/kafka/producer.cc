#include "engine/kafka/producer.h"

#include <array>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "engine/kafka/kafka_error.h"

namespace brook::kafka {

producer::producer(const client_config& config, delivery_callback on_delivery)
    : _on_delivery(std::move(on_delivery)) {
    conf_ptr conf = config.build();
    rd_kafka_conf_set_opaque(conf.get(), this);
    rd_kafka_conf_set_dr_msg_cb(conf.get(), &producer::on_delivery_report);
    std::array<char, 512> errstr{};
    // rd_kafka_new takes ownership of conf only on success.
    _rk.reset(rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), errstr.data(), errstr.size()));
    if (!_rk) {
        throw kafka_error(fmt::format("cannot create producer: {}", errstr.data()),
                          RD_KAFKA_RESP_ERR__INVALID_ARG, true, false, false);
    }
    (void)conf.release();
}

producer::~producer() {
    if (_rk) {
        // Best effort: a destructor cannot report failures, they were counted already.
        rd_kafka_flush(_rk.get(), 5000);
    }
}

void producer::on_delivery_report(rd_kafka_t* /*rk*/, const rd_kafka_message_t* msg, void* opaque) {
    auto* self = static_cast<producer*>(opaque);
    if (msg->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        self->_failed.fetch_add(1, std::memory_order_relaxed);
    }
    if (!self->_on_delivery) {
        return;
    }
    // An exception must not unwind through librdkafka's C frames: keep the first one and
    // rethrow it from the producer call that served this report.
    try {
        self->_on_delivery(*msg);
    } catch (...) {
        if (!self->_callback_error) {
            self->_callback_error = std::current_exception();
        }
    }
}

void producer::rethrow_callback_error() {
    if (_callback_error) {
        std::exception_ptr error = std::exchange(_callback_error, nullptr);
        std::rethrow_exception(error);
    }
}

topic_ptr producer::open_topic(const std::string& name) const {
    topic_ptr rkt(rd_kafka_topic_new(_rk.get(), name.c_str(), nullptr));
    if (!rkt) {
        throw kafka_error::from(rd_kafka_last_error(), fmt::format("opening topic '{}'", name));
    }
    return rkt;
}

void producer::produce(std::string_view topic, int32_t partition, nullable_bytes key,
                       nullable_bytes value, int64_t timestamp_ms, headers_ptr headers) {
    const topic_ptr rkt = open_topic(std::string(topic));
    produce(rkt.get(), partition, key, value, timestamp_ms, std::move(headers));
}

void producer::produce(rd_kafka_topic_t* topic, int32_t partition, nullable_bytes key,
                       nullable_bytes value, int64_t timestamp_ms, headers_ptr headers) {
    // The producev macros cast their arguments without parentheses: compute them first.
    void* key_data = key ? const_cast<char*>(key->data()) : nullptr;
    const size_t key_size = key ? key->size() : 0;
    void* value_data = value ? const_cast<char*>(value->data()) : nullptr;
    const size_t value_size = value ? value->size() : 0;
    for (;;) {
        rd_kafka_headers_t* hdrs = headers.get();
        const rd_kafka_resp_err_t err = rd_kafka_producev(
            _rk.get(), RD_KAFKA_V_RKT(topic), RD_KAFKA_V_PARTITION(partition),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(key_data, key_size),
            RD_KAFKA_V_VALUE(value_data, value_size), RD_KAFKA_V_TIMESTAMP(timestamp_ms),
            RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_END);
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            (void)headers.release(); // now owned by the queued message
            return;
        }
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            throw kafka_error::from(
                err, fmt::format("cannot produce to '{}'", rd_kafka_topic_name(topic)));
        }
        // Back-pressure: serve delivery reports until the local queue has room again.
        rd_kafka_poll(_rk.get(), 100);
        rethrow_callback_error();
    }
}

int producer::poll(std::chrono::milliseconds timeout) {
    const int served = rd_kafka_poll(_rk.get(), static_cast<int>(timeout.count()));
    rethrow_callback_error();
    return served;
}

void producer::flush(std::chrono::milliseconds timeout) {
    const rd_kafka_resp_err_t err = rd_kafka_flush(_rk.get(), static_cast<int>(timeout.count()));
    rethrow_callback_error();
    throw_if_error(err, "flushing the producer");
}

void producer::init_transactions(std::chrono::milliseconds timeout) {
    throw_if_error(rd_kafka_init_transactions(_rk.get(), static_cast<int>(timeout.count())),
                   "init_transactions");
}

void producer::begin_transaction() {
    throw_if_error(rd_kafka_begin_transaction(_rk.get()), "begin_transaction");
}

void producer::send_offsets_to_transaction(const rd_kafka_topic_partition_list_t& offsets,
                                           const rd_kafka_consumer_group_metadata_t& group,
                                           std::chrono::milliseconds timeout) {
    throw_if_error(rd_kafka_send_offsets_to_transaction(_rk.get(), &offsets, &group,
                                                        static_cast<int>(timeout.count())),
                   "send_offsets_to_transaction");
}

void producer::commit_transaction(std::chrono::milliseconds timeout) {
    throw_if_error(rd_kafka_commit_transaction(_rk.get(), static_cast<int>(timeout.count())),
                   "commit_transaction");
}

void producer::abort_transaction(std::chrono::milliseconds timeout) {
    throw_if_error(rd_kafka_abort_transaction(_rk.get(), static_cast<int>(timeout.count())),
                   "abort_transaction");
}

} // namespace brook::kafka
