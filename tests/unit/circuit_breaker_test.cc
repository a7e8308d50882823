// The circuit breaker's state machine, driven by a fake clock so every transition is
// deterministic: CLOSED -> OPEN on the failure rate, OPEN -> HALF_OPEN after the wait,
// HALF_OPEN -> CLOSED or OPEN on the probes, stale outcomes ignored.

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "publisher/circuit_breaker.h"

namespace brook::publisher {
namespace {

using namespace std::chrono_literals;

// A clock the test moves by hand.
class fake_clock {
public:
    circuit_breaker::clock_function function() {
        return [this] { return _now; };
    }
    void advance(std::chrono::milliseconds d) { _now += d; }

private:
    circuit_breaker::clock_type::time_point _now{std::chrono::seconds(1000)};
};

circuit_breaker_options small_options() {
    circuit_breaker_options o;
    o.window_size = 10;
    o.minimum_calls = 5;
    o.failure_rate_threshold = 0.5;
    o.wait_in_open = 1000ms;
    o.permitted_calls_in_half_open = 2;
    return o;
}

// Acquires a permit (which must be given) and records the outcome.
void call(circuit_breaker& b, bool success) {
    const auto p = b.try_acquire();
    ASSERT_TRUE(p.has_value());
    b.record(*p, success);
}

TEST(circuit_breaker, starts_closed_and_permits_calls) {
    fake_clock clock;
    circuit_breaker b(small_options(), clock.function());
    EXPECT_EQ(b.state(), breaker_state::closed);
    for (int i = 0; i < 100; ++i) {
        EXPECT_TRUE(b.try_acquire().has_value());
    }
    EXPECT_EQ(b.stats().opened, 0u);
}

TEST(circuit_breaker, stays_closed_below_the_minimum_number_of_calls_even_if_all_fail) {
    fake_clock clock;
    circuit_breaker b(small_options(), clock.function());
    for (int i = 0; i < 4; ++i) {
        call(b, false);
    }
    EXPECT_EQ(b.state(), breaker_state::closed);
    call(b, false); // the fifth: minimum reached, rate 100%
    EXPECT_EQ(b.state(), breaker_state::open);
    EXPECT_EQ(b.stats().opened, 1u);
}

TEST(circuit_breaker, opens_when_the_failure_rate_reaches_the_threshold) {
    fake_clock clock;
    circuit_breaker b(small_options(), clock.function());
    for (int i = 0; i < 6; ++i) {
        call(b, true);
    }
    for (int i = 0; i < 5; ++i) {
        call(b, false); // window of 10: 5 successes (one dropped out), 5 failures
    }
    EXPECT_EQ(b.state(), breaker_state::open);
}

TEST(circuit_breaker, stays_closed_while_the_failure_rate_is_below_the_threshold) {
    fake_clock clock;
    circuit_breaker b(small_options(), clock.function());
    for (int round = 0; round < 10; ++round) {
        for (int i = 0; i < 6; ++i) {
            call(b, true);
        }
        for (int i = 0; i < 4; ++i) {
            call(b, false); // 40% over any 10 consecutive calls at most
        }
    }
    EXPECT_EQ(b.state(), breaker_state::closed);
    EXPECT_EQ(b.stats().failures, 40u);
}

TEST(circuit_breaker, failures_slide_out_of_the_window) {
    fake_clock clock;
    circuit_breaker b(small_options(), clock.function());
    for (int i = 0; i < 6; ++i) {
        call(b, true);
    }
    for (int i = 0; i < 4; ++i) {
        call(b, false);
    }
    ASSERT_EQ(b.state(), breaker_state::closed);
    for (int i = 0; i < 10; ++i) {
        call(b, true); // the 4 failures leave the window of 10
    }
    for (int i = 0; i < 4; ++i) {
        call(b, false); // 4 of the last 10: below 50%
    }
    EXPECT_EQ(b.state(), breaker_state::closed);
    call(b, false); // 5 of the last 10
    EXPECT_EQ(b.state(), breaker_state::open);
}

TEST(circuit_breaker, open_refuses_calls_until_the_wait_has_passed_then_probes) {
    fake_clock clock;
    circuit_breaker b(small_options(), clock.function());
    for (int i = 0; i < 5; ++i) {
        call(b, false);
    }
    ASSERT_EQ(b.state(), breaker_state::open);
    EXPECT_FALSE(b.try_acquire().has_value());
    clock.advance(999ms);
    EXPECT_FALSE(b.try_acquire().has_value());
    EXPECT_EQ(b.state(), breaker_state::open);
    clock.advance(1ms);
    const auto first = b.try_acquire();
    ASSERT_TRUE(first.has_value());
    EXPECT_TRUE(first->probe);
    EXPECT_EQ(b.state(), breaker_state::half_open);
    EXPECT_TRUE(b.try_acquire().has_value());  // second probe
    EXPECT_FALSE(b.try_acquire().has_value()); // only two permitted
    EXPECT_EQ(b.stats().half_opened, 1u);
    EXPECT_EQ(b.stats().not_permitted, 3u);
}

TEST(circuit_breaker, successful_probes_close_it) {
    fake_clock clock;
    circuit_breaker b(small_options(), clock.function());
    for (int i = 0; i < 5; ++i) {
        call(b, false);
    }
    clock.advance(1000ms);
    const auto p1 = b.try_acquire();
    const auto p2 = b.try_acquire();
    ASSERT_TRUE(p1 && p2);
    b.record_success(*p1);
    EXPECT_EQ(b.state(), breaker_state::half_open); // waits for every probe
    b.record_success(*p2);
    EXPECT_EQ(b.state(), breaker_state::closed);
    const circuit_breaker_stats s = b.stats();
    EXPECT_EQ(s.opened, 1u);
    EXPECT_EQ(s.half_opened, 1u);
    EXPECT_EQ(s.closed, 1u);
    // A fresh window: it takes the minimum number of calls again to open.
    for (int i = 0; i < 4; ++i) {
        call(b, false);
    }
    EXPECT_EQ(b.state(), breaker_state::closed);
}

TEST(circuit_breaker, failing_probes_open_it_again_and_restart_the_wait) {
    fake_clock clock;
    circuit_breaker b(small_options(), clock.function());
    for (int i = 0; i < 5; ++i) {
        call(b, false);
    }
    clock.advance(1500ms);
    const auto p1 = b.try_acquire();
    const auto p2 = b.try_acquire();
    ASSERT_TRUE(p1 && p2);
    b.record_success(*p1);
    b.record_failure(*p2); // 50%: at the threshold
    EXPECT_EQ(b.state(), breaker_state::open);
    EXPECT_EQ(b.stats().opened, 2u);
    clock.advance(999ms);
    EXPECT_FALSE(b.try_acquire().has_value()); // the wait counts from the new opening
    clock.advance(1ms);
    EXPECT_TRUE(b.try_acquire().has_value());
    EXPECT_EQ(b.state(), breaker_state::half_open);
}

TEST(circuit_breaker, outcomes_of_calls_permitted_before_a_transition_are_ignored) {
    fake_clock clock;
    circuit_breaker b(small_options(), clock.function());
    std::vector<circuit_breaker::permit> early;
    for (int i = 0; i < 8; ++i) {
        early.push_back(*b.try_acquire());
    }
    for (int i = 0; i < 5; ++i) {
        b.record_failure(early[static_cast<size_t>(i)]);
    }
    ASSERT_EQ(b.state(), breaker_state::open);
    // Late reports of calls made while closed change nothing, not even in half-open.
    b.record_success(early[5]);
    EXPECT_EQ(b.state(), breaker_state::open);
    clock.advance(1000ms);
    const auto probe = b.try_acquire();
    ASSERT_TRUE(probe.has_value());
    b.record_failure(early[6]);
    b.record_failure(early[7]);
    EXPECT_EQ(b.state(), breaker_state::half_open);
    EXPECT_EQ(b.stats().failures, 5u);
    b.record_success(*probe);
    b.record_success(*b.try_acquire());
    EXPECT_EQ(b.state(), breaker_state::closed);
}

TEST(circuit_breaker, a_released_probe_frees_its_slot_without_an_outcome) {
    fake_clock clock;
    circuit_breaker b(small_options(), clock.function());
    for (int i = 0; i < 5; ++i) {
        call(b, false);
    }
    clock.advance(1000ms);
    const auto p1 = b.try_acquire();
    const auto p2 = b.try_acquire();
    ASSERT_TRUE(p1 && p2);
    EXPECT_FALSE(b.try_acquire().has_value());
    b.release(*p2);
    const auto p3 = b.try_acquire();
    ASSERT_TRUE(p3.has_value());
    b.record_success(*p1);
    b.record_success(*p3);
    EXPECT_EQ(b.state(), breaker_state::closed);
}

TEST(circuit_breaker, inconsistent_options_are_rejected_naming_the_option) {
    auto expect_rejected = [](circuit_breaker_options o, const std::string& option) {
        try {
            circuit_breaker b(o);
            FAIL() << "expected std::invalid_argument for " << option;
        } catch (const std::invalid_argument& e) {
            EXPECT_NE(std::string(e.what()).find(option), std::string::npos) << e.what();
        }
    };
    auto o = small_options();
    o.window_size = 0;
    expect_rejected(o, "window_size");
    o = small_options();
    o.minimum_calls = 11;
    expect_rejected(o, "minimum_calls");
    o = small_options();
    o.failure_rate_threshold = 0;
    expect_rejected(o, "failure_rate_threshold");
    o = small_options();
    o.failure_rate_threshold = 1.5;
    expect_rejected(o, "failure_rate_threshold");
    o = small_options();
    o.permitted_calls_in_half_open = 0;
    expect_rejected(o, "permitted_calls_in_half_open");
    o = small_options();
    o.wait_in_open = -1ms;
    expect_rejected(o, "wait_in_open");
}

TEST(circuit_breaker, names_its_states) {
    EXPECT_STREQ(to_string(breaker_state::closed), "closed");
    EXPECT_STREQ(to_string(breaker_state::open), "open");
    EXPECT_STREQ(to_string(breaker_state::half_open), "half_open");
}

TEST(circuit_breaker, is_safe_to_use_from_many_threads) {
    circuit_breaker_options o = small_options();
    o.wait_in_open = 0ms; // keep it cycling through every state
    circuit_breaker b(o);
    std::atomic<uint64_t> permitted{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 20000; ++i) {
                if (const auto p = b.try_acquire()) {
                    permitted.fetch_add(1);
                    b.record(*p, (i + t) % 2 != 0);
                }
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    const circuit_breaker_stats s = b.stats();
    EXPECT_GT(permitted.load(), 0u);
    EXPECT_LE(s.successes + s.failures, permitted.load());
    // Every opening but the current one was followed by a half-open.
    EXPECT_GE(s.half_opened + 1, s.opened);
}

} // namespace
} // namespace brook::publisher
