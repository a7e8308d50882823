#pragma once

// circuit_breaker: decides whether a call to a remote service (here: handing an event to
// Kafka) may be made now, from the failure rate of recent calls, as Resilience4j's
// count-based CircuitBreaker does.
//
//                  failure rate >= threshold over the last `window_size` calls
//                  (once at least `minimum_calls` were recorded)
//        +--------+ ---------------------------------------------------------> +------+
//        | CLOSED |                                                            | OPEN |
//        +--------+ <---+                                          +---------> +------+
//             ^         | all probes recorded,                     |             |
//             |         | failure rate < threshold     probes'     |             | `wait_in_open`
//             |         |                              failure     |             | elapsed, at the
//             |     +-----------+  rate >= threshold   |             | next try_acquire()
//             +-----| HALF_OPEN | ---------------------+             v
//                   +-----------+ <-------------------------------------+
//
// CLOSED permits every call and records outcomes in a sliding window of the last
// `window_size` outcomes. OPEN permits none until `wait_in_open` has passed; the next
// try_acquire() then moves to HALF_OPEN, which permits `permitted_calls_in_half_open`
// probe calls and decides on their outcomes alone.
//
// Calls are asynchronous (a delivery report arrives much later), so every permit carries
// the epoch it was issued in, and an outcome recorded for a permit of an earlier epoch is
// ignored: a failure reported while OPEN by a call made while CLOSED says nothing new, and
// only probes may decide HALF_OPEN. Every transition is counted.
//
// The clock is injectable, so tests drive the state machine deterministically.
//
// Lifecycle: constructed CLOSED; no background activity, transitions happen inside
// try_acquire() and record(). Threading: every member function is thread-safe (one
// mutex). Ownership: owns its window; the clock function is copied in.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <vector>

namespace brook::publisher {

enum class breaker_state { closed, open, half_open };
// "closed", "open", "half_open".
const char* to_string(breaker_state s);

struct circuit_breaker_options {
    // How many of the most recent outcomes the failure rate is computed over (CLOSED).
    size_t window_size = 20;
    // Open when failures / recorded calls in the window reach this (0 < rate <= 1).
    double failure_rate_threshold = 0.5;
    // No decision before this many outcomes are in the window (<= window_size).
    size_t minimum_calls = 10;
    // How long OPEN refuses every call before probing.
    std::chrono::milliseconds wait_in_open{5000};
    // How many probe calls HALF_OPEN permits; their outcomes decide open or closed.
    size_t permitted_calls_in_half_open = 3;
};

// Counters since construction. opened counts CLOSED->OPEN and HALF_OPEN->OPEN.
struct circuit_breaker_stats {
    breaker_state state = breaker_state::closed;
    uint64_t opened = 0;
    uint64_t half_opened = 0;
    uint64_t closed = 0;
    uint64_t successes = 0;     // outcomes that counted (not stale), successful
    uint64_t failures = 0;      // outcomes that counted, failed
    uint64_t not_permitted = 0; // try_acquire() calls refused
};

class circuit_breaker {
public:
    using clock_type = std::chrono::steady_clock;
    using clock_function = std::function<clock_type::time_point()>;

    // Proof that a call was permitted; hand it back to record() or release().
    struct permit {
        uint64_t epoch = 0;
        bool probe = false; // issued in HALF_OPEN
    };

    // Throws std::invalid_argument naming the option when the options are inconsistent
    // (a zero window or probe count, minimum_calls > window_size, a threshold outside
    // (0, 1], a negative wait).
    explicit circuit_breaker(circuit_breaker_options options = {},
                             clock_function clock = &clock_type::now);
    circuit_breaker(const circuit_breaker&) = delete;
    circuit_breaker& operator=(const circuit_breaker&) = delete;

    // A permit when a call may be made now, else nullopt. Moves OPEN to HALF_OPEN once the
    // wait has passed.
    std::optional<permit> try_acquire();
    // The outcome of a permitted call. Ignored when the permit is from an earlier epoch.
    void record(const permit& p, bool success);
    void record_success(const permit& p) { record(p, true); }
    void record_failure(const permit& p) { record(p, false); }
    // The permitted call was not made after all: a probe slot is given back, nothing is
    // recorded.
    void release(const permit& p);

    // The state as of the last transition (OPEN stays OPEN until a try_acquire() after the
    // wait, so an idle breaker reports OPEN).
    breaker_state state() const;
    circuit_breaker_stats stats() const;
    const circuit_breaker_options& options() const { return _options; }

private:
    void transition(breaker_state to, clock_type::time_point now); // _mutex held
    void evaluate_window(clock_type::time_point now);              // _mutex held

    const circuit_breaker_options _options;
    const clock_function _clock;
    mutable std::mutex _mutex;
    breaker_state _state = breaker_state::closed;
    uint64_t _epoch = 0;
    clock_type::time_point _opened_at{};
    // CLOSED: ring buffer of the last outcomes (true = failure).
    std::vector<bool> _window;
    size_t _window_next = 0;
    size_t _window_count = 0;
    size_t _window_failures = 0;
    // HALF_OPEN: probes handed out and their outcomes so far.
    size_t _probes_issued = 0;
    size_t _probe_successes = 0;
    size_t _probe_failures = 0;
    circuit_breaker_stats _stats;
};

} // namespace brook::publisher
