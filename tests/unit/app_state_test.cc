// app_state: the application's state machine. Stream threads derive the state after each
// of their own changes, concurrently; the last derivation must win, and the listener must
// hear a chain of changes (each one's "before" is the previous one's "now").

#include <atomic>
#include <barrier>
#include <chrono>
#include <ostream>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "engine/runtime/app_state.h"

namespace brook {

// gtest prints the state's name in failures.
void PrintTo(streams_state s, std::ostream* out) {
    *out << to_string(s);
}

namespace {

struct heard {
    streams_state now;
    streams_state before;
};

threads_summary assigning(bool any) {
    threads_summary s;
    s.all_dead = false;
    s.any_assigning = any;
    return s;
}

TEST(app_state, follows_the_threads_through_rebalances) {
    app_state app;
    std::vector<heard> changes;
    app.set_listener([&](streams_state now, streams_state before) {
        changes.push_back({now, before});
    });
    app.derive([] { return assigning(false); }); // CREATED cannot jump to RUNNING
    EXPECT_EQ(app.state(), streams_state::created);
    app.transition(streams_state::rebalancing);
    app.derive([] { return assigning(false); });
    EXPECT_EQ(app.state(), streams_state::running);
    app.derive([] { return assigning(true); });
    EXPECT_EQ(app.state(), streams_state::rebalancing);
    app.derive([] { return assigning(false); });
    EXPECT_EQ(app.state(), streams_state::running);
    ASSERT_EQ(changes.size(), 4U);
    EXPECT_EQ(changes[0].now, streams_state::rebalancing);
    EXPECT_EQ(changes[0].before, streams_state::created);
    EXPECT_EQ(changes[3].now, streams_state::running);
    EXPECT_EQ(changes[3].before, streams_state::rebalancing);
}

TEST(app_state, a_closing_application_never_goes_back_to_running) {
    app_state app;
    app.transition(streams_state::rebalancing);
    ASSERT_TRUE(app.begin_close());
    EXPECT_FALSE(app.begin_close()) << "the second close must know the first began";
    app.transition(streams_state::pending_shutdown);
    // A thread that read its state before the close was asked re-derives late.
    app.transition(streams_state::running);
    EXPECT_EQ(app.state(), streams_state::pending_shutdown);
    app.derive([] { return assigning(false); });
    EXPECT_EQ(app.state(), streams_state::pending_shutdown) << "threads still alive";
    app.derive([] { return threads_summary{}; }); // all dead
    EXPECT_EQ(app.state(), streams_state::not_running);
    app.transition(streams_state::rebalancing);
    EXPECT_EQ(app.state(), streams_state::not_running) << "NOT_RUNNING is final";
}

TEST(app_state, error_is_final_and_keeps_the_first_reason) {
    app_state app;
    app.transition(streams_state::rebalancing);
    threads_summary died = assigning(false);
    died.error = "stream thread 2: the changelog is gone";
    app.derive([&] { return died; });
    EXPECT_EQ(app.state(), streams_state::error);
    app.fail("later failure");
    EXPECT_EQ(app.error(), "stream thread 2: the changelog is gone");
    app.transition(streams_state::pending_shutdown);
    app.transition(streams_state::not_running);
    EXPECT_EQ(app.state(), streams_state::error);
}

// Thread A reads the threads while B is still assigning; B then finishes and derives.
// A must not move the application to the REBALANCING it read after B moved it to
// RUNNING. A waits in its read for B's derivation to end, or 300 ms: app_state makes B
// wait for A instead, so A gives up waiting and B's later read wins.
TEST(app_state, a_stale_read_cannot_overwrite_a_later_change) {
    app_state app;
    app.transition(streams_state::rebalancing);
    std::atomic<bool> b_assigning = true;
    std::atomic<bool> a_has_read = false;
    std::atomic<bool> b_derived = false;
    std::thread a([&] {
        app.derive([&] {
            threads_summary s = assigning(b_assigning.load());
            a_has_read = true;
            const auto give_up = std::chrono::steady_clock::now() + std::chrono::milliseconds(300);
            while (!b_derived && std::chrono::steady_clock::now() < give_up) {
                std::this_thread::sleep_for(std::chrono::milliseconds(1));
            }
            return s;
        });
    });
    while (!a_has_read) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    b_assigning = false;
    app.derive([&] { return assigning(b_assigning.load()); });
    b_derived = true;
    a.join();
    EXPECT_EQ(app.state(), streams_state::running);
}

// Threads flip between assigning and running and derive after every flip, as stream
// threads do in a rebalance. However their derivations interleave, once every thread is
// running the application is RUNNING, and the listener heard an unbroken chain.
TEST(app_state, concurrent_derivations_end_in_the_state_of_the_last_change) {
    constexpr int threads = 4;
    constexpr int flips = 2'000;
    for (int round = 0; round < 3; ++round) {
        app_state app;
        std::vector<heard> changes;
        app.set_listener([&](streams_state now, streams_state before) {
            changes.push_back({now, before}); // serialized by app_state
        });
        app.transition(streams_state::rebalancing);
        std::vector<std::atomic<bool>> assigning_now(threads);
        for (auto& a : assigning_now) {
            a = true;
        }
        std::atomic<int> reads = 0;
        const auto read = [&] {
            threads_summary s;
            s.all_dead = false;
            for (const auto& a : assigning_now) {
                s.any_assigning = s.any_assigning || a.load();
            }
            // Widen the gap between reading the threads and moving the state.
            std::this_thread::sleep_for(std::chrono::microseconds(reads++ % 3 * 20));
            return s;
        };
        std::barrier finishing(threads);
        std::vector<std::thread> workers;
        for (int t = 0; t < threads; ++t) {
            workers.emplace_back([&, t] {
                for (int i = 0; i < flips; ++i) {
                    assigning_now[t] = (i % 2 == 0);
                    app.derive(read);
                }
                finishing.arrive_and_wait(); // all threads take their last turn together
                assigning_now[t] = false;    // the last flip: running
                app.derive(read);
            });
        }
        for (auto& w : workers) {
            w.join();
        }
        EXPECT_EQ(app.state(), streams_state::running) << "round " << round;
        ASSERT_FALSE(changes.empty());
        EXPECT_EQ(changes.front().before, streams_state::created);
        for (size_t i = 1; i < changes.size(); ++i) {
            ASSERT_EQ(changes[i].before, changes[i - 1].now)
                << "change " << i << " heard out of order";
        }
        EXPECT_EQ(changes.back().now, streams_state::running);
    }
}

} // namespace
} // namespace brook
