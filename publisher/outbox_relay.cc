#include "publisher/outbox_relay.h"

#include <algorithm>
#include <array>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>

#include "base/log.h"
#include "engine/errors.h"

namespace brook::publisher {

namespace {

using namespace std::chrono_literals;

// How many outbox entries one pass of the reader looks at, at most, so delivery reports
// and timeouts are served between passes.
constexpr size_t read_batch = 4096;

// The identity of a key for ordering: topic and key (a null key is its own key). Two keys
// that collide are merely ordered together, which is never wrong, only stricter.
uint64_t key_hash(std::string_view topic, nullable_bytes key) {
    const uint64_t t = std::hash<std::string_view>{}(topic);
    const uint64_t k = key ? std::hash<std::string_view>{}(*key) : 0x51ed270b27d2d1a7ULL;
    return t ^ (k + 0x9e3779b97f4a7c15ULL + (t << 6) + (t >> 2));
}

int64_t wall_clock_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// Failures that say nothing about the event: the relay purged the producer itself (a
// fatal error or stop()). The event is re-sent after the rewind, without an attempt.
bool is_collateral(rd_kafka_resp_err_t err) {
    return err == RD_KAFKA_RESP_ERR__PURGE_QUEUE || err == RD_KAFKA_RESP_ERR__PURGE_INFLIGHT ||
           err == RD_KAFKA_RESP_ERR__FATAL || err == RD_KAFKA_RESP_ERR__DESTROY;
}

// Holds a breaker permit until it is handed to a send; gives it back otherwise, so that an
// exception or an early return never leaves a HALF_OPEN probe slot taken for good.
class permit_guard {
public:
    explicit permit_guard(circuit_breaker& breaker) : _breaker(breaker) {}
    ~permit_guard() {
        if (_permit) {
            _breaker.release(*_permit);
        }
    }
    permit_guard(const permit_guard&) = delete;
    permit_guard& operator=(const permit_guard&) = delete;

    // True when a permit is held (acquiring one if needed).
    bool acquire() {
        if (!_permit) {
            _permit = _breaker.try_acquire();
        }
        return _permit.has_value();
    }
    circuit_breaker::permit take() {
        const circuit_breaker::permit p = *_permit;
        _permit.reset();
        return p;
    }

private:
    circuit_breaker& _breaker;
    std::optional<circuit_breaker::permit> _permit;
};

void add_header(rd_kafka_headers_t* headers, std::string_view name, nullable_bytes value) {
    rd_kafka_header_add(headers, name.data(), static_cast<ssize_t>(name.size()),
                        value ? value->data() : nullptr,
                        value ? static_cast<ssize_t>(value->size()) : 0);
}

void require_property(kafka::client_config& config, const std::string& key,
                      const std::string& value, std::string_view why) {
    const auto given = config.get(key);
    if (given && *given != value) {
        throw config_error(fmt::format(
            "publisher: the Kafka property {}={} cannot be used: the resilient publisher needs "
            "{}={} ({}); remove the setting",
            key, *given, key, value, why));
    }
    config.set(key, value);
}

void default_property(kafka::client_config& config, const std::string& key, std::string value) {
    if (!config.get(key)) {
        config.set(key, std::move(value));
    }
}

} // namespace

kafka::client_config outbox_relay::producer_config(const publisher_options& options) {
    kafka::client_config config = options.kafka;
    const auto bootstrap = config.get("bootstrap.servers");
    if (!bootstrap || bootstrap->empty()) {
        throw config_error("publisher: bootstrap.servers is not set; give the Kafka cluster to "
                           "publish to, for example 127.0.0.1:9092");
    }
    require_property(config, "enable.idempotence", "true",
                     "retries must keep each partition's order and write no duplicates");
    require_property(config, "enable.gapless.guarantee", "true",
                     "a failed batch must never let later records of its partition through");
    if (const auto alias = config.get("delivery.timeout.ms"); alias && *alias != "0") {
        throw config_error(fmt::format(
            "publisher: the Kafka property delivery.timeout.ms={} cannot be used: the resilient "
            "publisher needs message.timeout.ms=0 (a timed-out record would leave a gap in its "
            "partition); use the publisher's delivery_timeout to tune the circuit breaker",
            *alias));
    }
    require_property(config, "message.timeout.ms", "0",
                     "a timed-out record would leave a gap in its partition; use the "
                     "publisher's delivery_timeout to tune the circuit breaker");
    default_property(config, "partitioner", "murmur2_random");
    default_property(config, "linger.ms", "5");
    default_property(config, "reconnect.backoff.max.ms", "1000");
    return config;
}

outbox_relay::outbox_relay(const publisher_options& options, outbox& box, circuit_breaker& breaker,
                           completion_sink sink)
    : _options(options), _producer_config(producer_config(options)), _outbox(box),
      _breaker(breaker), _sink(std::move(sink)) {
    if (_options.backoff.empty()) {
        throw std::invalid_argument("publisher option backoff: give at least one wait");
    }
    for (const auto wait : _options.backoff) {
        if (wait.count() < 0) {
            throw std::invalid_argument("publisher option backoff: waits must not be negative");
        }
    }
    if (_options.max_attempts == 0) {
        throw std::invalid_argument("publisher option max_attempts: must be at least 1");
    }
    if (_options.max_in_flight == 0) {
        throw std::invalid_argument("publisher option max_in_flight: must be at least 1");
    }
    if (_options.delivery_timeout.count() <= 0) {
        throw std::invalid_argument("publisher option delivery_timeout: must be positive");
    }
    _producer = make_producer();
}

outbox_relay::~outbox_relay() {
    stop(std::chrono::milliseconds(0));
    // Topic handles before their producer; the producer before the tables its delivery
    // callback writes to (a final flush in its destructor may still serve reports).
    _topics.clear();
    _producer.reset();
}

std::unique_ptr<kafka::producer> outbox_relay::make_producer() {
    return std::make_unique<kafka::producer>(_producer_config, [this](const rd_kafka_message_t& m) {
        report r;
        r.sequence = static_cast<uint64_t>(reinterpret_cast<uintptr_t>(m._private));
        r.error = m.err;
        r.partition = m.partition;
        r.offset = m.offset;
        if (m.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            r.message = rd_kafka_err2str(m.err);
        }
        _reports.push_back(std::move(r));
    });
}

void outbox_relay::start() {
    std::lock_guard lock(_stop_mutex);
    if (_thread.joinable() || _stopping.load()) {
        return;
    }
    _thread = std::thread([this] { run(); });
}

void outbox_relay::notify() noexcept {
    _appended.store(true);
    if (_sleeping.load()) {
        // Taking the mutex orders this notify after the relay's check of _appended.
        std::lock_guard lock(_wake_mutex);
        _wake.notify_one();
    }
}

void outbox_relay::stop(std::chrono::milliseconds flush_timeout) noexcept {
    std::lock_guard lock(_stop_mutex);
    _flush_timeout = flush_timeout;
    _stopping.store(true);
    {
        std::lock_guard wake(_wake_mutex);
        _wake.notify_all();
    }
    if (_thread.joinable()) {
        _thread.join();
    }
}

bool outbox_relay::wait_until_empty(std::chrono::milliseconds timeout) {
    const auto deadline = clock_type::now() + timeout;
    std::unique_lock lock(_progress_mutex);
    while (_outbox.size() > 0) {
        const auto now = clock_type::now();
        if (now >= deadline) {
            return false;
        }
        // Bounded waits: an outbox emptied by quarantining is not announced.
        _progress.wait_for(lock, std::min<clock_type::duration>(deadline - now, 100ms));
    }
    return true;
}

outbox_relay::counters outbox_relay::stats() const {
    counters c;
    c.in_flight = _in_flight_count.load();
    c.delivered = _delivered.load();
    c.dead_lettered = _dead_lettered.load();
    c.failed_attempts = _failed_attempts.load();
    c.delivery_timeouts = _delivery_timeouts.load();
    c.producer_restarts = _producer_restarts.load();
    c.order_violations = _order_violations.load();
    std::lock_guard lock(_error_mutex);
    c.last_error = _last_error;
    return c;
}

void outbox_relay::set_error(std::string message) {
    std::lock_guard lock(_error_mutex);
    _last_error = std::move(message);
}

// ---- the relay thread ----------------------------------------------------------------

void outbox_relay::run() noexcept {
    _rewind_needed = true; // start at the outbox's first pending event
    while (!_stopping.load()) {
        try {
            iterate();
        } catch (const std::exception& e) {
            // Most likely the outbox's disk. Keep what is in memory consistent by re-reading
            // the outbox once nothing is in flight, and do not spin on a lasting failure.
            const std::string message = fmt::format("publisher relay: {}", e.what());
            log_warn(message + "; retrying in 1 s");
            set_error(message);
            _rewind_needed = true;
            std::unique_lock lock(_wake_mutex);
            _wake.wait_for(lock, 1s, [&] { return _stopping.load(); });
        }
    }
    shutdown();
}

void outbox_relay::iterate() {
    if (!_producer) {
        _producer = make_producer();
    }
    _producer->poll(_in_flight.empty() ? 0ms : 5ms);
    auto now = clock_type::now();
    process_reports(now);

    std::array<char, 512> reason{};
    if (rd_kafka_fatal_error(_producer->handle(), reason.data(), reason.size()) !=
        RD_KAFKA_RESP_ERR_NO_ERROR) {
        restart_producer(reason.data());
        return;
    }
    expire_timeouts(now);
    maybe_sync(now);
    if (_rewind_needed && _in_flight.empty()) {
        rewind();
    }
    if (!send_ready(now) && _in_flight.empty()) {
        wait_for_work(now);
    }
}

void outbox_relay::rewind() {
    // Deletions still owed first: their events must not be read (and sent) again.
    flush_deletes();
    _cursor = _outbox.first_sequence();
    _cursor_at_end = false;
    // Parked events are met again by the reader and parked again; the keys' waits stay.
    for (auto& [hash, key] : _blocked) {
        key.queue.clear();
        key.in_flight = 0;
    }
    _rewind_needed = false;
}

void outbox_relay::wait_for_work(clock_type::time_point now) {
    // Wake for the next key whose backoff ends; a key already due waits for the breaker,
    // which is looked at again within the default 100 ms (never a busy loop).
    auto timeout = clock_type::duration(100ms);
    for (const auto& [hash, key] : _blocked) {
        if (key.in_flight == 0 && !key.queue.empty() && key.due > now) {
            timeout = std::min<clock_type::duration>(timeout, key.due - now);
        }
    }
    _sleeping.store(true);
    {
        std::unique_lock lock(_wake_mutex);
        _wake.wait_for(lock, timeout, [&] { return _appended.load() || _stopping.load(); });
    }
    _sleeping.store(false);
}

void outbox_relay::process_reports(clock_type::time_point now) {
    for (const report& r : _reports) {
        try {
            auto it = _in_flight.find(r.sequence);
            if (it == _in_flight.end()) {
                continue;
            }
            const in_flight_entry entry = it->second;
            _in_flight.erase(it);
            blocked_key* blocked = nullptr;
            if (!_blocked.empty()) {
                if (auto b = _blocked.find(entry.key_hash); b != _blocked.end()) {
                    blocked = &b->second;
                    if (blocked->in_flight > 0) {
                        --blocked->in_flight;
                    }
                }
            }
            if (r.error == RD_KAFKA_RESP_ERR_NO_ERROR) {
                if (!entry.reported) {
                    _breaker.record_success(entry.permit);
                }
                if (blocked != nullptr && !blocked->queue.empty() &&
                    blocked->queue.front() < r.sequence) {
                    _order_violations.fetch_add(1);
                }
                _deletes.push_back(r.sequence);
                completion c{r.sequence,     delivery_status::delivered,
                             r.partition,    r.offset,
                             entry.attempts, {}};
                if (entry.dead_letter) {
                    c.status = delivery_status::dead_lettered;
                    if (auto stored = _outbox.get(r.sequence)) {
                        if (auto record = decode(*stored)) {
                            c.error = std::string(record->last_error);
                        }
                    }
                }
                _completions.push_back(std::move(c));
            } else if (is_collateral(r.error)) {
                if (!entry.reported) {
                    _breaker.release(entry.permit);
                }
                _rewind_needed = true;
            } else {
                if (!entry.reported) {
                    _breaker.record_failure(entry.permit);
                }
                handle_failure(r.sequence, entry.key_hash, r.error, r.message, now);
            }
        } catch (const std::exception& e) {
            // The event stays in the outbox; a rewind meets it again.
            set_error(fmt::format("publisher relay: handling the report of event {}: {}",
                                  r.sequence, e.what()));
            _rewind_needed = true;
        }
    }
    _reports.clear();
    _in_flight_count.store(_in_flight.size());
    flush_deletes();
}

void outbox_relay::flush_deletes() {
    if (_deletes.empty()) {
        return;
    }
    _outbox.remove(_deletes); // on failure, kept for the next pass
    _deletes.clear();
    // Counted once out of the outbox, so pending + delivered never exceeds what was accepted.
    uint64_t dead_lettered = 0;
    for (const completion& c : _completions) {
        dead_lettered += c.status == delivery_status::dead_lettered ? 1 : 0;
    }
    _dead_lettered.fetch_add(dead_lettered);
    _delivered.fetch_add(_completions.size() - dead_lettered);
    if (!_completions.empty()) {
        try {
            _sink(_completions);
        } catch (const std::exception& e) {
            log_error(fmt::format("publisher: a completion handler threw: {}", e.what()));
        }
        _completions.clear();
    }
    std::lock_guard lock(_progress_mutex);
    _progress.notify_all();
}

outbox_relay::blocked_key& outbox_relay::block_key(uint64_t hash, clock_type::time_point due) {
    auto [it, inserted] = _blocked.try_emplace(hash);
    blocked_key& key = it->second;
    if (inserted) {
        // Events of this key sent before it failed are still out; it waits for them.
        for (const auto& [sequence, entry] : _in_flight) {
            if (entry.key_hash == hash) {
                ++key.in_flight;
            }
        }
        key.due = due;
    } else {
        key.due = std::max(key.due, due);
    }
    return key;
}

void outbox_relay::handle_failure(uint64_t sequence, uint64_t hash, rd_kafka_resp_err_t error,
                                  const std::string& message, clock_type::time_point now) {
    // In memory first: whatever the disk does below, the event stays queued for its key.
    blocked_key& key = block_key(hash, now);
    key.queue.insert(std::lower_bound(key.queue.begin(), key.queue.end(), sequence), sequence);
    _failed_attempts.fetch_add(1);
    set_error(fmt::format("event {}: {} ({})", sequence, message, rd_kafka_err2name(error)));

    const std::optional<std::string> stored = _outbox.get(sequence);
    if (!stored) {
        return; // not pending any more; the key's pass skips it
    }
    const std::optional<outbox_record> record = decode(*stored);
    if (!record) {
        _outbox.quarantine(sequence, *stored);
        return;
    }
    outbox_record updated = *record;
    std::chrono::milliseconds wait = _options.backoff.back();
    if (!updated.dead_letter) {
        ++updated.attempts;
        if (updated.attempts >= _options.max_attempts) {
            updated.dead_letter = true; // to the dead-letter topic at once
            wait = std::chrono::milliseconds(0);
        } else {
            wait =
                _options
                    .backoff[std::min<size_t>(updated.attempts - 1, _options.backoff.size() - 1)];
        }
    }
    const int64_t now_ms = wall_clock_ms();
    if (updated.first_failure_ms == 0) {
        updated.first_failure_ms = now_ms;
    }
    updated.last_failure_ms = now_ms;
    updated.last_error = message;
    _encode_buffer.clear();
    encode(updated, _encode_buffer);
    _outbox.update(sequence, _encode_buffer);
    key.due = std::max(key.due, now + wait);
}

bool outbox_relay::send_ready(clock_type::time_point now) {
    size_t budget =
        _options.max_in_flight > _in_flight.size() ? _options.max_in_flight - _in_flight.size() : 0;
    if (budget == 0) {
        return false;
    }
    bool stop = false;
    bool sent = false;
    if (!_blocked.empty()) {
        sent = send_blocked_keys(now, budget, stop);
    }
    if (!stop && budget > 0) {
        sent = send_from_cursor(now, budget) || sent;
    }
    return sent;
}

bool outbox_relay::send_blocked_keys(clock_type::time_point now, size_t& budget, bool& stop) {
    bool sent = false;
    for (auto it = _blocked.begin(); it != _blocked.end() && budget > 0;) {
        blocked_key& key = it->second;
        if (key.in_flight > 0 || now < key.due) {
            ++it;
            continue;
        }
        // A failed send moves `due` (handle_failure), which ends this key's turn.
        while (budget > 0 && !key.queue.empty() && now >= key.due) {
            permit_guard permit(_breaker);
            if (!permit.acquire()) {
                stop = true;
                return sent;
            }
            const uint64_t sequence = key.queue.front();
            const std::optional<std::string> stored = _outbox.get(sequence);
            if (!stored) {
                key.queue.pop_front();
                continue;
            }
            const std::optional<outbox_record> record = decode(*stored);
            key.queue.pop_front();
            if (!record) {
                _outbox.quarantine(sequence, *stored);
                continue;
            }
            const send_result result = send(sequence, *record, it->first, permit.take(), now);
            if (result == send_result::stop) {
                key.queue.push_front(sequence);
                stop = true;
                return sent;
            }
            if (result == send_result::sent) {
                ++key.in_flight;
                --budget;
                sent = true;
            }
        }
        // Once its queue is sent the key flows with the reader again; new events of it
        // queue behind the ones just sent inside the producer, in order.
        if (key.queue.empty()) {
            it = _blocked.erase(it);
        } else {
            ++it;
        }
    }
    return sent;
}

bool outbox_relay::send_from_cursor(clock_type::time_point now, size_t& budget) {
    const bool appended = _appended.exchange(false);
    if (_cursor_at_end && !appended) {
        return false;
    }
    permit_guard permit(_breaker);
    if (!permit.acquire()) {
        _cursor_at_end = false; // look again once the breaker permits
        return false;
    }
    bool sent = false;
    outbox::reader reader = _outbox.read_from(_cursor);
    for (size_t visited = 0; reader.valid() && budget > 0 && visited < read_batch;
         reader.next(), ++visited) {
        const uint64_t sequence = reader.sequence();
        const std::optional<outbox_record> record = decode(reader.record());
        if (!record) {
            _outbox.quarantine(sequence, reader.record());
            _cursor = sequence + 1;
            continue;
        }
        const uint64_t hash = key_hash(record->topic, record->key);
        if (!_blocked.empty()) {
            if (auto b = _blocked.find(hash); b != _blocked.end()) {
                b->second.queue.push_back(sequence); // behind the key's failed event
                _cursor = sequence + 1;
                continue;
            }
        }
        if (!permit.acquire()) {
            _cursor_at_end = false;
            return sent;
        }
        const send_result result = send(sequence, *record, hash, permit.take(), now);
        if (result == send_result::stop) {
            _cursor_at_end = false;
            return sent;
        }
        _cursor = sequence + 1;
        if (result == send_result::sent) {
            --budget;
            sent = true;
        }
    }
    reader.check();
    _cursor_at_end = !reader.valid();
    return sent;
}

rd_kafka_topic_t* outbox_relay::topic_handle(std::string_view name) {
    if (auto it = _topics.find(name); it != _topics.end()) {
        return it->second.get();
    }
    std::string owned(name);
    kafka::topic_ptr handle = _producer->open_topic(owned);
    rd_kafka_topic_t* raw = handle.get();
    _topics.emplace(std::move(owned), std::move(handle));
    return raw;
}

outbox_relay::send_result outbox_relay::send(uint64_t sequence, const outbox_record& record,
                                             uint64_t hash, const circuit_breaker::permit& permit,
                                             clock_type::time_point now) {
    std::string_view topic = record.topic;
    if (record.dead_letter) {
        _dlq_topic.assign(record.topic);
        _dlq_topic += _options.dead_letter_suffix;
        topic = _dlq_topic;
    }
    rd_kafka_topic_t* rkt = nullptr;
    try {
        rkt = topic_handle(topic);
    } catch (const std::exception& e) {
        _breaker.record_failure(permit);
        handle_failure(sequence, hash, RD_KAFKA_RESP_ERR__INVALID_ARG, e.what(), now);
        return send_result::failed;
    }

    kafka::headers_ptr headers;
    const bool sequence_header = !_options.sequence_header.empty();
    if (record.header_count > 0 || record.dead_letter || sequence_header) {
        headers.reset(rd_kafka_headers_new(record.header_count + 6));
        record.for_each_header(
            [&](const message_header& h) { add_header(headers.get(), h.name, h.value); });
        if (record.dead_letter) {
            const std::string attempts = std::to_string(record.attempts);
            const std::string first = std::to_string(record.first_failure_ms);
            const std::string last = std::to_string(record.last_failure_ms);
            add_header(headers.get(), "error", record.last_error);
            add_header(headers.get(), "attempts", attempts);
            add_header(headers.get(), "first-failure-ts", first);
            add_header(headers.get(), "last-failure-ts", last);
            add_header(headers.get(), "original-topic", record.topic);
        }
        if (sequence_header) {
            add_header(headers.get(), _options.sequence_header, std::to_string(sequence));
        }
    }

    // The producev macros cast their arguments without parentheses: compute them first.
    void* key_data = record.key ? const_cast<char*>(record.key->data()) : nullptr;
    const size_t key_size = record.key ? record.key->size() : 0;
    void* value_data = record.value ? const_cast<char*>(record.value->data()) : nullptr;
    const size_t value_size = record.value ? record.value->size() : 0;
    void* opaque = reinterpret_cast<void*>(static_cast<uintptr_t>(sequence));
    rd_kafka_headers_t* hdrs = headers.get();
    const rd_kafka_resp_err_t err = rd_kafka_producev(
        _producer->handle(), RD_KAFKA_V_RKT(rkt), RD_KAFKA_V_PARTITION(RD_KAFKA_PARTITION_UA),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(key_data, key_size),
        RD_KAFKA_V_VALUE(value_data, value_size), RD_KAFKA_V_TIMESTAMP(record.accepted_ms),
        RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_OPAQUE(opaque), RD_KAFKA_V_END);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        (void)headers.release(); // owned by the queued message now
        in_flight_entry entry;
        entry.key_hash = hash;
        entry.send_id = ++_next_send_id;
        entry.permit = permit;
        entry.dead_letter = record.dead_letter;
        entry.attempts = record.attempts;
        _in_flight[sequence] = entry;
        _timeouts.push_back({now, sequence, entry.send_id});
        _in_flight_count.store(_in_flight.size());
        return send_result::sent;
    }
    if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        _breaker.record_failure(permit); // the producer is backed up: the broker is slow
        return send_result::stop;
    }
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
        _breaker.release(permit); // the loop re-creates the producer
        return send_result::stop;
    }
    _breaker.record_failure(permit);
    handle_failure(sequence, hash, err,
                   fmt::format("the producer refused the record: {}", rd_kafka_err2str(err)), now);
    return send_result::failed;
}

void outbox_relay::expire_timeouts(clock_type::time_point now) {
    while (!_timeouts.empty()) {
        const pending_timeout& t = _timeouts.front();
        auto it = _in_flight.find(t.sequence);
        const bool live = it != _in_flight.end() && it->second.send_id == t.send_id;
        if (live && now - t.sent_at < _options.delivery_timeout) {
            break; // the oldest live send still has time
        }
        if (live && !it->second.reported) {
            // It stays queued in the producer, which keeps trying in order; only the
            // breaker learns that the broker does not answer.
            _breaker.record_failure(it->second.permit);
            it->second.reported = true;
            _delivery_timeouts.fetch_add(1);
        }
        _timeouts.pop_front();
    }
}

void outbox_relay::maybe_sync(clock_type::time_point now) {
    if (_options.sync_interval.count() <= 0 || now - _last_sync < _options.sync_interval) {
        return;
    }
    _last_sync = now;
    // Deletions count too, and sync_every_write syncs here as well: the sync also records
    // the outbox's totals in its mark, which tells lost events from delivered ones if the
    // files are damaged later (see outbox.h).
    const uint64_t changes = _outbox.changes();
    if (changes != _synced_changes) {
        _outbox.sync();
        _synced_changes = changes;
    }
}

void outbox_relay::drain_producer(std::chrono::milliseconds patience) {
    rd_kafka_purge(_producer->handle(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    const auto deadline = clock_type::now() + patience;
    while (!_in_flight.empty() && clock_type::now() < deadline) {
        _producer->poll(50ms);
        process_reports(clock_type::now());
    }
    for (const auto& [sequence, entry] : _in_flight) {
        if (!entry.reported) {
            _breaker.release(entry.permit);
        }
    }
    _in_flight.clear();
    _timeouts.clear();
    _in_flight_count.store(0);
    _rewind_needed = true;
}

void outbox_relay::restart_producer(const std::string& reason) {
    const std::string message =
        fmt::format("the Kafka producer failed fatally ({}); re-creating it and re-sending every "
                    "unacknowledged event from the outbox (some may arrive twice)",
                    reason);
    log_warn("publisher: " + message);
    set_error(message);
    drain_producer(2s);
    _topics.clear();
    _producer.reset();
    // A producer that keeps failing at once must not be re-created in a tight loop.
    const auto since = clock_type::now() - _last_restart;
    if (since < 1s) {
        std::unique_lock lock(_wake_mutex);
        _wake.wait_for(lock, 1s - since, [&] { return _stopping.load(); });
    }
    _last_restart = clock_type::now();
    _producer = make_producer();
    _producer_restarts.fetch_add(1);
    rewind();
}

void outbox_relay::shutdown() noexcept {
    try {
        if (_producer) {
            // Acknowledgements of what the producer holds save re-sending it next time,
            // but only a healthy broker will answer in time.
            const auto deadline = clock_type::now() + _flush_timeout;
            while (!_in_flight.empty() && _breaker.state() == breaker_state::closed &&
                   clock_type::now() < deadline) {
                _producer->poll(50ms);
                process_reports(clock_type::now());
            }
            drain_producer(1s);
            process_reports(clock_type::now());
        }
        _outbox.sync();
    } catch (const std::exception& e) {
        log_warn(fmt::format("publisher: stopping the relay: {} (the outbox keeps every "
                             "unacknowledged event)",
                             e.what()));
    }
    _topics.clear();
    _producer.reset();
}

} // namespace brook::publisher
