#include "publisher/resilient_publisher.h"

#include <string>
#include <utility>

#include <fmt/format.h>

#include "base/log.h"

namespace brook::publisher {

namespace {

// Kafka's limit on topic names.
constexpr size_t max_topic_length = 249;

// An error message for a topic name Kafka would refuse, or "" when it is fine.
std::string check_topic(std::string_view topic, std::string_view dead_letter_suffix) {
    if (topic.empty()) {
        return "the topic name is empty";
    }
    if (topic == "." || topic == "..") {
        return fmt::format("'{}' is not a valid topic name", topic);
    }
    if (topic.size() + dead_letter_suffix.size() > max_topic_length) {
        return fmt::format("the topic name is {} characters long; with the dead-letter suffix "
                           "'{}' it must fit Kafka's {}",
                           topic.size(), dead_letter_suffix, max_topic_length);
    }
    for (const char c : topic) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
        if (!ok) {
            return fmt::format("the topic name '{}' contains '{}'; Kafka allows only letters, "
                               "digits, '.', '_' and '-'",
                               topic, c);
        }
    }
    return {};
}

int64_t wall_clock_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

} // namespace

resilient_publisher::resilient_publisher(publisher_options options)
    : _options(std::move(options)), _breaker(_options.breaker) {
    _outbox =
        std::make_unique<outbox>(outbox_options{_options.outbox_dir, _options.sync_every_write});
    _relay = std::make_unique<outbox_relay>(
        _options, *_outbox, _breaker,
        [this](std::span<const outbox_relay::completion> done) { complete(done); });
    _relay->start();
}

resilient_publisher::~resilient_publisher() {
    close(std::chrono::milliseconds(0));
    // A publish() that raced with close() may have registered a future after it.
    abandon_open_futures();
}

publish_receipt resilient_publisher::publish(std::string_view topic, nullable_bytes key,
                                             nullable_bytes value,
                                             std::span<const message_header> headers) noexcept {
    return accept(topic, key, value, headers, nullptr);
}

std::future<delivery_report>
resilient_publisher::publish_tracked(std::string_view topic, nullable_bytes key,
                                     nullable_bytes value,
                                     std::span<const message_header> headers) noexcept {
    try {
        std::promise<delivery_report> promise;
        std::future<delivery_report> future = promise.get_future();
        publish_receipt receipt = accept(topic, key, value, headers, &promise);
        if (!receipt.accepted) {
            delivery_report report;
            report.status = delivery_status::rejected;
            report.error = std::move(receipt.message);
            promise.set_value(std::move(report));
        }
        return future;
    } catch (...) {
        _rejected.fetch_add(1);
        return {};
    }
}

publish_receipt resilient_publisher::reject(publish_error error, std::string message) noexcept {
    _rejected.fetch_add(1);
    publish_receipt receipt;
    receipt.error = error;
    receipt.message = std::move(message);
    return receipt;
}

publish_receipt resilient_publisher::accept(std::string_view topic, nullable_bytes key,
                                            nullable_bytes value,
                                            std::span<const message_header> headers,
                                            std::promise<delivery_report>* promise) noexcept {
    try {
        if (!_accepting.load()) {
            return reject(publish_error::closed,
                          "the publisher is closed; publish through a new one (it delivers "
                          "what this one left in the outbox)");
        }
        if (std::string why = check_topic(topic, _options.dead_letter_suffix); !why.empty()) {
            return reject(publish_error::invalid_topic, std::move(why));
        }
        size_t bytes = (key ? key->size() : 0) + (value ? value->size() : 0);
        for (const message_header& h : headers) {
            bytes += h.name.size() + (h.value ? h.value->size() : 0);
        }
        if (bytes > _options.max_record_bytes) {
            return reject(publish_error::record_too_large,
                          fmt::format("the record's key, value and headers are {} bytes, over "
                                      "the limit of {} (max_record_bytes); split the event or "
                                      "raise the limit together with the topic's "
                                      "max.message.bytes",
                                      bytes, _options.max_record_bytes));
        }
        if (_options.max_pending > 0 && _outbox->size() >= _options.max_pending) {
            return reject(publish_error::outbox_full,
                          fmt::format("the outbox holds {} undelivered events, the limit "
                                      "(max_pending); Kafka has been unreachable for long",
                                      _outbox->size()));
        }

        // One buffer per thread: no allocation per event once it has grown.
        thread_local std::string header_buffer;
        thread_local std::string record_buffer;
        header_buffer.clear();
        record_buffer.clear();
        outbox_record record;
        record.topic = topic;
        record.key = key;
        record.value = value;
        record.accepted_ms = wall_clock_ms();
        record.header_count = encode_headers(headers, header_buffer);
        record.encoded_headers = header_buffer;
        encode(record, record_buffer);

        uint64_t registered = 0;
        bool has_promise = false;
        try {
            // Untracked events pass no callback: a capturing one would allocate each time.
            const uint64_t sequence = promise == nullptr
                                          ? _outbox->append(record_buffer)
                                          : _outbox->append(record_buffer, [&](uint64_t s) {
                                                // Before the write: the relay may deliver the event
                                                // the moment it is in.
                                                std::lock_guard lock(_promises_mutex);
                                                _promises.emplace(s, std::move(*promise));
                                                registered = s;
                                                has_promise = true;
                                            });
            _accepted.fetch_add(1);
            _relay->notify();
            publish_receipt receipt;
            receipt.accepted = true;
            receipt.sequence = sequence;
            return receipt;
        } catch (const outbox_error& e) {
            if (has_promise) {
                std::lock_guard lock(_promises_mutex);
                if (auto it = _promises.find(registered); it != _promises.end()) {
                    *promise = std::move(it->second);
                    _promises.erase(it);
                }
            }
            return reject(publish_error::outbox_failure, e.what());
        }
    } catch (const std::exception& e) {
        return reject(publish_error::outbox_failure,
                      fmt::format("the event could not be accepted: {}", e.what()));
    } catch (...) {
        return reject(publish_error::outbox_failure, "the event could not be accepted");
    }
}

void resilient_publisher::complete(std::span<const outbox_relay::completion> done) {
    std::lock_guard lock(_promises_mutex);
    if (_promises.empty()) {
        return;
    }
    for (const outbox_relay::completion& c : done) {
        auto it = _promises.find(c.sequence);
        if (it == _promises.end()) {
            continue;
        }
        delivery_report report;
        report.sequence = c.sequence;
        report.status = c.status;
        report.partition = c.partition;
        report.offset = c.offset;
        report.attempts = c.attempts;
        report.error = c.error;
        it->second.set_value(std::move(report));
        _promises.erase(it);
    }
}

bool resilient_publisher::wait_until_empty(std::chrono::milliseconds timeout) {
    return _relay->wait_until_empty(timeout);
}

void resilient_publisher::close(std::chrono::milliseconds drain_timeout) noexcept {
    std::lock_guard lock(_close_mutex);
    if (_closed) {
        return;
    }
    _accepting.store(false);
    try {
        if (drain_timeout.count() > 0) {
            (void)_relay->wait_until_empty(drain_timeout);
        }
    } catch (const std::exception& e) {
        log_warn(fmt::format("publisher: waiting for the outbox to drain: {}", e.what()));
    }
    _relay->stop(_options.close_flush_timeout);
    abandon_open_futures();
    _closed = true;
}

void resilient_publisher::abandon_open_futures() noexcept {
    std::lock_guard lock(_promises_mutex);
    for (auto& [sequence, promise] : _promises) {
        try {
            delivery_report report;
            report.sequence = sequence;
            report.status = delivery_status::pending_at_close;
            report.error = "the publisher closed before delivery; the event stays in the outbox";
            promise.set_value(std::move(report));
        } catch (...) {
            // A promise already satisfied: nothing to tell.
        }
    }
    _promises.clear();
}

publisher_stats resilient_publisher::stats() const {
    const outbox_relay::counters relay = _relay->stats();
    publisher_stats s;
    s.accepted = _accepted.load();
    s.rejected = _rejected.load();
    s.pending = _outbox->size();
    s.in_flight = relay.in_flight;
    s.delivered = relay.delivered;
    s.dead_lettered = relay.dead_lettered;
    s.failed_attempts = relay.failed_attempts;
    s.delivery_timeouts = relay.delivery_timeouts;
    s.producer_restarts = relay.producer_restarts;
    s.quarantined = _outbox->quarantined();
    s.order_violations = relay.order_violations;
    s.breaker = _breaker.stats();
    s.last_error = relay.last_error;
    return s;
}

const char* to_string(publish_error e) {
    switch (e) {
    case publish_error::none:
        return "none";
    case publish_error::invalid_topic:
        return "invalid_topic";
    case publish_error::record_too_large:
        return "record_too_large";
    case publish_error::closed:
        return "closed";
    case publish_error::outbox_full:
        return "outbox_full";
    case publish_error::outbox_failure:
        return "outbox_failure";
    }
    return "unknown";
}

const char* to_string(delivery_status s) {
    switch (s) {
    case delivery_status::delivered:
        return "delivered";
    case delivery_status::dead_lettered:
        return "dead_lettered";
    case delivery_status::rejected:
        return "rejected";
    case delivery_status::pending_at_close:
        return "pending_at_close";
    }
    return "unknown";
}

} // namespace brook::publisher
