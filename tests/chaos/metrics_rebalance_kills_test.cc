// Chaos scenario 2, kills during a rebalance: two instances of brook-metrics, each with
// its own state directory (so its own process id and transactional ids) and HTTP port.
// In each round one runs, the other joins, and within 0.3 to 4 s (random, from the logged
// seed) one of the two is SIGKILLed while the group moves partitions and restores their
// stores; it is started again at once, while the group still counts its dead member. Then
// one of them leaves with SIGTERM, so the next round has a joiner again. Every closed
// window and DLQ record is checked (metrics_chaos.h).

#include <iostream>
#include <signal.h>
#include <thread>

#include <fmt/format.h>

#include "tests/chaos/metrics_chaos.h"
#include "tests/support/http_get.h"

namespace brook::testing {
namespace {

using namespace std::chrono_literals;

using metrics_rebalance_kills = metrics_chaos;

bool ready(uint16_t port) {
    return http_get("127.0.0.1", port, "/ready", 2s).status == 200;
}

TEST_P(metrics_rebalance_kills, an_instance_killed_while_the_group_rebalances_loses_no_window) {
    constexpr int rounds = 4;
    set_up(2, 64'000, 2 * rounds);
    start(0);
    int incumbent = 0;
    int while_rebalancing = 0;
    for (int round = 0; round < rounds; ++round) {
        produce_chunk(2 * round);
        const int joiner = 1 - incumbent;
        start(joiner);
        std::this_thread::sleep_for(random_ms(rng, 300, 4000));
        const int victim = std::uniform_int_distribution<int>(0, 1)(rng) == 0 ? joiner : incumbent;
        // Not a condition of the test: whether the kill fell inside the rebalance, as far
        // as the endpoints tell (RUNNING with every store restored is "ready").
        const bool settled = ready(http_port(0)) && ready(http_port(1));
        while_rebalancing += settled ? 0 : 1;
        ASSERT_TRUE(alive(victim)) << "instance " << victim << " ended on its own";
        EXPECT_EQ(stop(victim, SIGKILL), -SIGKILL);
        std::cout << fmt::format("[ chaos    ] round {}: killed the {} (instance {}), group {}\n",
                                 round + 1, victim == joiner ? "joiner" : "incumbent", victim,
                                 settled ? "settled" : "rebalancing");
        start(victim);
        produce_chunk(2 * round + 1);
        std::this_thread::sleep_for(random_ms(rng, 1000, 3000));
        if (round + 1 < rounds) {
            incumbent = std::uniform_int_distribution<int>(0, 1)(rng);
            ASSERT_TRUE(alive(1 - incumbent)) << "instance " << 1 - incumbent << " ended";
            EXPECT_EQ(stop(1 - incumbent, SIGTERM), 0) << "a clean leave failed";
        }
    }
    std::cout << fmt::format("[ figures  ] {} of {} kills while the group was rebalancing\n",
                             while_rebalancing, rounds);
    finish();
}

INSTANTIATE_TEST_SUITE_P(guarantees, metrics_rebalance_kills,
                         ::testing::Values("exactly_once_v2", "at_least_once"), guarantee_name);

} // namespace
} // namespace brook::testing
