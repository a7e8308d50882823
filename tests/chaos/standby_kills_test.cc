// Chaos for standby replicas and warm-ups: three brook-test-key-count instances with
// num.standby.replicas=1 under exactly_once_v2 count 200,000 keys while input flows in
// bursts. After each burst a random instance (from the logged seed) is SIGKILLed at a
// random moment: while it processes, while it warms up before joining, while its tasks
// restore after a rebalance, or while the group still waits for its session to expire.
// It is started again on its state directory at once or a little later, so standbys are
// handed over, opened again and closed again in every order. At the end every key's
// counts must rise strictly and end at what was written (key_count_cluster.h).

#include <random>
#include <signal.h>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tests/support/chaos_seed.h"
#include "tests/support/key_count_cluster.h"

namespace brook::testing {
namespace {

using namespace std::chrono_literals;

TEST(standby_kills, instances_killed_at_any_moment_keep_every_count_exact) {
    std::mt19937_64 rng(chaos_seed());
    const auto pick_ms = [&](int lo, int hi) {
        return std::chrono::milliseconds(std::uniform_int_distribution<int>(lo, hi)(rng));
    };
    constexpr int instances = 3;
    constexpr int64_t keys = 200'000;
    constexpr int bursts = 12;
    key_count_cluster c("standby-chaos", 6, keys,
                        {"processing.guarantee=exactly_once_v2", "num.standby.replicas=1"});
    for (int n = 0; n < instances; ++n) {
        c.start(n);
    }
    int64_t next = 0;
    int kills = 0;
    for (int burst = 0; burst < bursts; ++burst) {
        // The first bursts write every key once, the later ones write keys again.
        for (int i = 0; i < 40'000; ++i) {
            c.write(next % keys);
            next += burst < 5 ? 1 : 7919;
        }
        c.flush();
        std::this_thread::sleep_for(pick_ms(0, 3000));
        if (burst + 1 == bursts) {
            break;
        }
        const int victim = std::uniform_int_distribution<int>(0, instances - 1)(rng);
        ASSERT_TRUE(c.alive(victim))
            << "instance " << victim << " ended on its own; see " << c.log_of(victim);
        EXPECT_EQ(c.stop(victim, SIGKILL), -SIGKILL);
        ++kills;
        // Back at once (its old member is still in the group) or after its session has
        // expired and the others took its tasks (then it warms up before joining).
        std::this_thread::sleep_for(pick_ms(0, 1) == 0ms ? 0ms : pick_ms(6500, 9000));
        c.start(victim);
    }
    ASSERT_TRUE(c.wait_consumed(900s)) << "the instances did not count everything";
    const auto r = c.check_output();
    std::cout << fmt::format("[ chaos    ] {} kills; {} output records, {} keys\n", kills,
                             r.records, r.keys_checked);
    EXPECT_EQ(r.records, r.expected_records);
    EXPECT_EQ(r.keys_checked, keys);
    EXPECT_EQ(r.wrong_counts, 0) << "keys whose final count is not what was written";
    EXPECT_EQ(r.not_rising, 0) << "counts written twice or going back";
    for (const auto& e : r.examples) {
        ADD_FAILURE() << e;
    }
    for (int n = 0; n < instances; ++n) {
        EXPECT_TRUE(c.alive(n)) << "instance " << n << " ended on its own";
        EXPECT_EQ(c.stop(n, SIGTERM), 0) << "instance " << n << " did not stop cleanly";
    }
}

} // namespace
} // namespace brook::testing
