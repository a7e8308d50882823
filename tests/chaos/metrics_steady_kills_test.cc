// Chaos scenario 3, steady-state kills: the two-stage kill scenario of
// tests/integration/kill_restart_test.cc, longer and with two instances: 16 chunks, and
// after every other chunk a random one of the instances (from the logged seed) is
// SIGKILLed and started again at once. Every closed window and DLQ record is checked
// (metrics_chaos.h).

#include <iostream>
#include <signal.h>
#include <thread>

#include <fmt/format.h>

#include "tests/chaos/metrics_chaos.h"

namespace brook::testing {
namespace {

using namespace std::chrono_literals;

using metrics_steady_kills = metrics_chaos;

TEST_P(metrics_steady_kills, two_instances_killed_in_turn_while_input_flows_lose_no_window) {
    constexpr int chunks = 16;
    set_up(2, 128'000, chunks);
    start(0);
    start(1);
    for (int chunk = 0; chunk < chunks; ++chunk) {
        produce_chunk(chunk);
        std::this_thread::sleep_for(random_ms(rng, 300, 2000));
        if (chunk % 2 == 1 && chunk + 1 < chunks) {
            const int victim = std::uniform_int_distribution<int>(0, 1)(rng);
            ASSERT_TRUE(alive(victim)) << "instance " << victim << " ended on its own";
            EXPECT_EQ(stop(victim, SIGKILL), -SIGKILL);
            start(victim);
        }
    }
    finish();
}

INSTANTIATE_TEST_SUITE_P(guarantees, metrics_steady_kills,
                         ::testing::Values("exactly_once_v2", "at_least_once"), guarantee_name);

} // namespace
} // namespace brook::testing
