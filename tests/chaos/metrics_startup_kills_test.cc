// Chaos scenario 1, kills during start-up: brook-metrics is SIGKILLed again and again
// within 0.2 to 3 s of its launch (random, from the logged seed), while it is still
// creating topics, joining the group, restoring or fencing its predecessor's transactions,
// then left to finish. Every closed window and DLQ record is checked (metrics_chaos.h).

#include <iostream>
#include <signal.h>
#include <thread>

#include <fmt/format.h>

#include "tests/chaos/metrics_chaos.h"

namespace brook::testing {
namespace {

using namespace std::chrono_literals;

using metrics_startup_kills = metrics_chaos;

TEST_P(metrics_startup_kills, kills_within_seconds_of_launch_lose_no_window) {
    constexpr int kills = 8;
    set_up(1, 60'000, 6);
    for (int chunk = 0; chunk < 3; ++chunk) {
        produce_chunk(chunk);
    }
    int next_chunk = 3;
    for (int k = 0; k < kills; ++k) {
        start(0);
        const auto delay = random_ms(rng, 200, 3000);
        std::this_thread::sleep_for(delay);
        ASSERT_TRUE(alive(0)) << "the app ended on its own before kill " << k + 1;
        EXPECT_EQ(stop(0, SIGKILL), -SIGKILL);
        std::cout << fmt::format("[ chaos    ] kill {} at {} ms after launch\n", k + 1,
                                 delay.count());
        if (k % 3 == 2 && next_chunk < workload().chunks()) {
            produce_chunk(next_chunk++); // input also arrives between the crashes
        }
    }
    start(0);
    while (next_chunk < workload().chunks()) {
        produce_chunk(next_chunk++);
    }
    finish();
}

INSTANTIATE_TEST_SUITE_P(guarantees, metrics_startup_kills,
                         ::testing::Values("exactly_once_v2", "at_least_once"), guarantee_name);

} // namespace
} // namespace brook::testing
