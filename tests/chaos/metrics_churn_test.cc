// Chaos scenario 4, instances joining and leaving: up to three instances of brook-metrics
// come and go while input flows. After each chunk one random step (from the logged seed):
// a stopped instance starts, a running one leaves cleanly with SIGTERM (it must exit 0),
// or one is SIGKILLed (and, when it was the last, started again). At the end all three
// run. Every closed window and DLQ record is checked (metrics_chaos.h).

#include <iostream>
#include <signal.h>
#include <thread>

#include <fmt/format.h>

#include "tests/chaos/metrics_chaos.h"

namespace brook::testing {
namespace {

using namespace std::chrono_literals;

using metrics_churn = metrics_chaos;

TEST_P(metrics_churn, three_instances_coming_and_going_lose_no_window) {
    constexpr int slots = 3;
    constexpr int chunks = 14;
    set_up(slots, 112'000, chunks);
    start(0);
    for (int chunk = 0; chunk < chunks; ++chunk) {
        produce_chunk(chunk);
        std::this_thread::sleep_for(random_ms(rng, 500, 2500));
        std::vector<int> up = running_slots();
        std::vector<int> down;
        for (int s = 0; s < slots; ++s) {
            if (!running(s)) {
                down.push_back(s);
            }
        }
        for (const int s : up) {
            ASSERT_TRUE(alive(s)) << "instance " << s << " ended on its own";
        }
        const int step = std::uniform_int_distribution<int>(0, 2)(rng);
        const auto pick = [&](const std::vector<int>& from) {
            return from[std::uniform_int_distribution<size_t>(0, from.size() - 1)(rng)];
        };
        if ((step == 0 && !down.empty()) || (up.size() == 1 && step == 1)) {
            const int s = down.empty() ? pick(up) : pick(down);
            if (!running(s)) {
                start(s);
                std::cout << fmt::format("[ chaos    ] chunk {}: instance {} joins\n", chunk, s);
            }
        } else if (step == 1) {
            const int s = pick(up);
            EXPECT_EQ(stop(s, SIGTERM), 0) << "instance " << s << " did not leave cleanly";
            std::cout << fmt::format("[ chaos    ] chunk {}: instance {} leaves (SIGTERM)\n", chunk,
                                     s);
        } else {
            const int s = pick(up);
            EXPECT_EQ(stop(s, SIGKILL), -SIGKILL);
            std::cout << fmt::format("[ chaos    ] chunk {}: instance {} killed\n", chunk, s);
            if (up.size() == 1) {
                start(s);
            }
        }
    }
    for (int s = 0; s < slots; ++s) {
        if (!running(s)) {
            start(s);
        }
    }
    finish();
}

INSTANTIATE_TEST_SUITE_P(guarantees, metrics_churn,
                         ::testing::Values("exactly_once_v2", "at_least_once"), guarantee_name);

} // namespace
} // namespace brook::testing
