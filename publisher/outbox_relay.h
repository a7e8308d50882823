#pragma once

// outbox_relay: the background half of resilient_publisher. One thread moves events from
// the outbox to Kafka with one idempotent producer, in sequence order, asking the circuit
// breaker before each send, and deletes each event from the outbox once its delivery
// report is in.
//
// Ordering. Per key (topic and key), older events reach Kafka before newer ones, and so
// do their first occurrences when a crash makes the relay re-send:
//   - events are read from the outbox in sequence (= acceptance) order;
//   - the producer never gives up on an event by itself (message.timeout.ms=0) and is
//     idempotent, so while the broker is down it keeps what it holds and delivers it in
//     order when the broker returns; "delivery_timeout" only tells the breaker;
//   - enable.gapless.guarantee turns every error that would let a later event of a
//     partition succeed after an earlier one failed into a fatal producer error; the
//     relay then purges the producer, makes a new one and re-reads the outbox from its
//     first pending event (a rewind), so what the broker holds per partition stays a
//     prefix of what was sent, followed by re-sends from the first unconfirmed event;
//   - when an event fails for good (a delivery report error), its key is blocked: later
//     events of that key that the reader meets are parked behind it, and nothing of the
//     key is sent until its in-flight events have reported and the backoff has passed;
//     then the key's queue is sent in order. Other keys keep flowing.
//
// Retries and dead letters. Each failed delivery report counts an attempt on the event
// (persisted in the outbox with the error and failure times). The key waits
// backoff[attempts-1] (the last entry repeating). After max_attempts the event is marked
// dead-letter and its next send goes to <topic><suffix> with headers error, attempts,
// first-failure-ts, last-failure-ts (epoch ms) and original-topic. A dead-letter send that
// fails is retried at the last backoff for as long as it takes: nothing is dropped.
//
// Memory. Bounded by max_in_flight (the in-flight table and the producer's queue), plus
// 8 bytes per event parked behind a blocked key and one entry per blocked key.
//
// Lifecycle: constructed (creates the producer; nothing runs) -> start() (starts the
// thread) -> stop(flush_timeout) (waits up to flush_timeout for acknowledgements while the
// breaker is closed, purges the rest, syncs the outbox, joins; idempotent; the destructor
// stops). Events left unacknowledged stay in the outbox for the next run.
// Threading: notify(), stats(), wait_until_empty() and stop() may be called from any
// thread; everything else runs on the relay's own thread, including the producer's
// delivery reports and the completion sink.
// Ownership: borrows the outbox and the breaker (they must outlive the relay); owns the
// producer, the thread and the in-memory tables.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "engine/kafka/producer.h"
#include "publisher/circuit_breaker.h"
#include "publisher/outbox.h"
#include "publisher/outbox_record.h"
#include "publisher/publisher_types.h"

namespace brook::publisher {

class outbox_relay {
public:
    using clock_type = std::chrono::steady_clock;

    // The final outcome of one event, handed to the completion sink.
    struct completion {
        uint64_t sequence = 0;
        delivery_status status = delivery_status::delivered;
        int32_t partition = -1;
        int64_t offset = -1;
        uint32_t attempts = 0;
        std::string error;
    };
    // Called on the relay's thread with each batch of outcomes, after their outbox
    // entries were deleted. Must not block; what it throws is logged and ignored.
    using completion_sink = std::function<void(std::span<const completion>)>;

    // Counters of the relay; the publisher adds its own.
    struct counters {
        uint64_t in_flight = 0;
        uint64_t delivered = 0;
        uint64_t dead_lettered = 0;
        uint64_t failed_attempts = 0;
        uint64_t delivery_timeouts = 0;
        uint64_t producer_restarts = 0;
        uint64_t order_violations = 0;
        std::string last_error;
    };

    // Throws config_error when options.kafka sets a property the ordering depends on to
    // another value, or librdkafka rejects a property; kafka_error when the producer
    // cannot be created; std::invalid_argument for an empty backoff or a zero
    // max_attempts or max_in_flight.
    outbox_relay(const publisher_options& options, outbox& box, circuit_breaker& breaker,
                 completion_sink sink);
    ~outbox_relay();
    outbox_relay(const outbox_relay&) = delete;
    outbox_relay& operator=(const outbox_relay&) = delete;

    void start();
    // New events were appended; wakes the thread if it sleeps. Cheap: two atomic accesses.
    void notify() noexcept;
    // See the class comment. Never throws; idempotent.
    void stop(std::chrono::milliseconds flush_timeout) noexcept;

    // True once the outbox is empty, waiting up to `timeout`.
    bool wait_until_empty(std::chrono::milliseconds timeout);
    counters stats() const;

    // The producer properties the relay would use for `options` (exposed for tests and
    // the README). Throws config_error as the constructor does.
    static kafka::client_config producer_config(const publisher_options& options);

private:
    struct in_flight_entry {
        uint64_t key_hash = 0;
        uint64_t send_id = 0; // tells a re-send's timeout apart from an earlier send's
        circuit_breaker::permit permit;
        bool reported = false; // the breaker has this send's outcome (a timeout) already
        bool dead_letter = false;
        uint32_t attempts = 0;
    };
    struct pending_timeout {
        clock_type::time_point sent_at;
        uint64_t sequence = 0;
        uint64_t send_id = 0;
    };
    // A key that failed: its events wait here, in sequence order, until `due`.
    struct blocked_key {
        std::deque<uint64_t> queue;
        size_t in_flight = 0; // this key's events still awaiting a report
        clock_type::time_point due{};
    };
    // A delivery report, copied out of librdkafka's callback.
    struct report {
        uint64_t sequence = 0;
        rd_kafka_resp_err_t error = RD_KAFKA_RESP_ERR_NO_ERROR;
        int32_t partition = -1;
        int64_t offset = -1;
        std::string message; // only on error
    };
    enum class send_result { sent, failed, stop };

    void run() noexcept;
    void iterate();
    void process_reports(clock_type::time_point now);
    // Deletes acknowledged events from the outbox, then completes them.
    void flush_deletes();
    void handle_failure(uint64_t sequence, uint64_t key_hash, rd_kafka_resp_err_t error,
                        const std::string& message, clock_type::time_point now);
    bool send_ready(clock_type::time_point now);
    bool send_blocked_keys(clock_type::time_point now, size_t& budget, bool& stop);
    bool send_from_cursor(clock_type::time_point now, size_t& budget);
    send_result send(uint64_t sequence, const outbox_record& record, uint64_t key_hash,
                     const circuit_breaker::permit& permit, clock_type::time_point now);
    void expire_timeouts(clock_type::time_point now);
    void maybe_sync(clock_type::time_point now);
    blocked_key& block_key(uint64_t key_hash, clock_type::time_point due);
    void restart_producer(const std::string& reason);
    void rewind();
    void drain_producer(std::chrono::milliseconds patience);
    void shutdown() noexcept;
    void wait_for_work(clock_type::time_point now);
    void set_error(std::string message);
    rd_kafka_topic_t* topic_handle(std::string_view name);
    std::unique_ptr<kafka::producer> make_producer();

    const publisher_options& _options;
    const kafka::client_config _producer_config;
    outbox& _outbox;
    circuit_breaker& _breaker;
    completion_sink _sink;

    // ---- the relay thread's own state ----
    std::unique_ptr<kafka::producer> _producer;
    struct string_hash {
        using is_transparent = void;
        size_t operator()(std::string_view s) const noexcept {
            return std::hash<std::string_view>{}(s);
        }
    };
    // Declared after _producer: topic handles must be destroyed before their producer.
    std::unordered_map<std::string, kafka::topic_ptr, string_hash, std::equal_to<>> _topics;
    std::unordered_map<uint64_t, in_flight_entry> _in_flight;
    std::deque<pending_timeout> _timeouts;
    std::unordered_map<uint64_t, blocked_key> _blocked;
    std::vector<report> _reports; // filled by the delivery callback inside poll()
    std::vector<uint64_t> _deletes;
    std::vector<completion> _completions;
    uint64_t _cursor = 0; // next sequence to read from the outbox
    bool _cursor_at_end = false;
    // Re-read the outbox from its first pending event once nothing is in flight (after a
    // purge or an unexpected error, when memory may no longer match the outbox).
    bool _rewind_needed = false;
    uint64_t _next_send_id = 0;
    uint64_t _synced_changes = 0; // outbox.changes() at the last sync
    clock_type::time_point _last_sync{};
    clock_type::time_point _last_restart{};
    std::string _encode_buffer;
    std::string _dlq_topic;

    // ---- shared with other threads ----
    std::atomic<bool> _appended{false}; // set by notify(), taken by the reader
    std::atomic<bool> _stopping{false};
    std::chrono::milliseconds _flush_timeout{0}; // written by stop() before _stopping
    std::atomic<bool> _sleeping{false};
    std::mutex _wake_mutex;
    std::condition_variable _wake;
    std::mutex _progress_mutex;
    std::condition_variable _progress; // notified when events leave the outbox
    std::atomic<uint64_t> _in_flight_count{0};
    std::atomic<uint64_t> _delivered{0};
    std::atomic<uint64_t> _dead_lettered{0};
    std::atomic<uint64_t> _failed_attempts{0};
    std::atomic<uint64_t> _delivery_timeouts{0};
    std::atomic<uint64_t> _producer_restarts{0};
    std::atomic<uint64_t> _order_violations{0};
    mutable std::mutex _error_mutex;
    std::string _last_error;
    std::mutex _stop_mutex; // serialises stop()
    std::thread _thread;
};

} // namespace brook::publisher
