// Chaos scenario 5, a broker restart: two instances of brook-metrics work on their input
// when the broker is stopped (scripts/kafka stop, the chaos broker's port) for about 15 s
// and started again. Meanwhile one instance gets SIGTERM: with the broker gone it must
// still end within shutdown.timeout.ms and a margin. The other must ride the outage out
// or exit non-zero; if it exits, it is started again, as an operator's supervisor would.
// Every closed window and DLQ record is checked (metrics_chaos.h).

#include <iostream>
#include <signal.h>
#include <thread>

#include <fmt/format.h>

#include "tests/chaos/metrics_chaos.h"
#include "tests/support/broker.h"
#include "tests/support/broker_outage.h"

namespace brook::testing {
namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

using metrics_broker_restart = metrics_chaos;

constexpr auto shutdown_timeout = 10s;
// Beyond shutdown.timeout.ms: the process's own exit after its threads stopped.
constexpr auto shutdown_margin = 10s;
constexpr auto outage = 15s;

TEST_P(metrics_broker_restart, a_broker_stopped_for_15_s_loses_no_window) {
    if (!broker_script_runs()) {
        GTEST_SKIP() << "the broker at " << real_bootstrap()
                     << " is not one scripts/kafka runs, so this test cannot stop and start it "
                        "(scripts/run-chaos starts one)";
    }
    constexpr int chunks = 8;
    set_up(2, 64'000, chunks);
    extra_flags = {"--set", fmt::format("shutdown.timeout.ms={}", shutdown_timeout.count() * 1000)};
    start(0);
    start(1);
    for (int chunk = 0; chunk < 3; ++chunk) {
        produce_chunk(chunk);
    }
    std::this_thread::sleep_for(random_ms(rng, 1000, 3000));
    for (const int s : {0, 1}) {
        ASSERT_TRUE(alive(s)) << "instance " << s << " ended on its own before the outage";
    }
    int terminated_status = 0;
    int terminated = -1;
    clock_type::duration terminate_took{};
    // An instance that ends on its own must say so: a non-zero exit.
    const auto reap_and_check = [&](const char* when) {
        for (const auto& [slot, status] : reap_exited()) {
            std::cout << fmt::format("[ chaos    ] instance {} exited with {} {}\n", slot, status,
                                     when);
            EXPECT_NE(status, 0) << "instance " << slot
                                 << " exited 0 on its own: an outage is not a clean stop";
            ++restarts_after_exit;
        }
    };
    {
        broker_outage down(300s);
        ASSERT_TRUE(down.stopped()) << "scripts/kafka stop failed";
        const auto stopped_at = clock_type::now();
        std::this_thread::sleep_for(3s);
        reap_and_check("as the broker went down");
        // A SIGTERM while the broker is away: shutdown stays bounded. If both instances
        // have exited already, one started now (waiting for the broker) gets it.
        terminated = alive(1) ? 1 : alive(0) ? 0 : -1;
        if (terminated < 0) {
            terminated = 1;
            start(terminated);
            std::this_thread::sleep_for(2s);
            std::cout << "[ chaos    ] no instance left running: the SIGTERM goes to one "
                         "starting while the broker is down\n";
        }
        const auto asked = clock_type::now();
        terminated_status = stop(terminated, SIGTERM, 120s);
        terminate_took = clock_type::now() - asked;
        std::this_thread::sleep_until(stopped_at + outage);
        ASSERT_TRUE(down.restart()) << "scripts/kafka start failed";
        std::cout << fmt::format(
            "[ chaos    ] broker down {:.1f} s (stop took {:.1f} s, start {:.1f} s)\n",
            std::chrono::duration<double>(clock_type::now() - stopped_at - down.start_took).count(),
            std::chrono::duration<double>(down.stop_took).count(),
            std::chrono::duration<double>(down.start_took).count());
    }
    std::cout << fmt::format(
        "[ chaos    ] SIGTERM to instance {} with the broker down: exit {} after {:.1f} s\n",
        terminated, terminated_status, std::chrono::duration<double>(terminate_took).count());
    EXPECT_LE(terminate_took, shutdown_timeout + shutdown_margin)
        << "a SIGTERM while the broker was down did not end the process in time";
    EXPECT_NE(terminated_status, -1000) << "the process ignored SIGTERM and had to be killed";

    // The others rode it out, or said so by exiting non-zero; as a supervisor would, the
    // test starts again whatever does not run.
    reap_and_check("during the outage");
    for (const int s : {0, 1}) {
        if (!running(s)) {
            start(s);
        }
    }
    for (int chunk = 3; chunk < chunks; ++chunk) {
        produce_chunk(chunk);
        std::this_thread::sleep_for(random_ms(rng, 300, 1500));
    }
    finish();
}

INSTANTIATE_TEST_SUITE_P(guarantees, metrics_broker_restart,
                         ::testing::Values("exactly_once_v2", "at_least_once"), guarantee_name);

} // namespace
} // namespace brook::testing
