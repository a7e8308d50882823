// brook-metrics, a two-stage topology (parse, re-key by host/name/unit through a
// repartition topic, 60 s windows with an hour of grace, one result per window), killed
// with SIGKILL again and again while its input arrives, on a real broker:
//
//   6 partitions, 200,000 records over 4 hours of event time ending an hour ago, 1%
//   malformed, written in 10 chunks of 20,000. After chunks 2, 4, 6, 8 and 9 the app is
//   killed and started again at once on the same state directory, so most starts happen
//   while the killed member still holds its partitions in the group (its session has not
//   expired), and some are killed again while still rebalancing. After the last start it
//   runs to the end of its input.
//
// The test computes every window from its own input (metrics_workload.h). Under
// exactly_once_v2 every closed window must be emitted once and exact and every malformed
// record be in the DLQ once; under at_least_once no window and no malformed record may be
// missing (duplicates and over-counts are what at-least-once allows).

#include <filesystem>
#include <memory>
#include <signal.h>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include "engine/kafka/admin_client.h"
#include "engine/kafka/producer.h"
#include "tests/support/app_process.h"
#include "tests/support/broker.h"
#include "tests/support/http_get.h"
#include "tests/support/metrics_workload.h"
#include "tests/support/prometheus_scrape.h"
#include "tests/support/topic_tail.h"

namespace brook {
namespace {

using namespace std::chrono_literals;

constexpr int partitions = 6;
constexpr int64_t records = 200'000;
constexpr int chunks = 10;

class kill_restart : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        kafka::admin_client admin(testing::real_client_config());
        admin.create_topics({{_in, partitions, 1, {}}}, 30s);
    }
    void TearDown() override { std::filesystem::remove_all(_state); }

    std::vector<std::string> args() const {
        std::vector<std::string> a{
            testing::bin_path("brook-metrics"), "--bootstrap-servers", testing::real_bootstrap(),
            "--application-id", _app_id, "--processing-guarantee", GetParam(), "--state-dir",
            _state.string(), "--input-topic", _in, "--output-topic", _out, "--dlq-topic", _dlq,
            "--partitions", std::to_string(partitions), "--http-port", std::to_string(_port),
            // The killed member leaves the group after 10 s instead of
            // 45 s: the same situation, in less time.
            "--set", "consumer.session.timeout.ms=10000"};
        const auto window_flags = testing::metrics_workload::flags();
        a.insert(a.end(), window_flags.begin(), window_flags.end());
        return a;
    }

    bool wait_for_input_consumed(testing::app_process& app, std::chrono::seconds patience) {
        const auto deadline = std::chrono::steady_clock::now() + patience;
        const auto end = testing::end_offsets(testing::real_client_config(), _in, partitions);
        while (std::chrono::steady_clock::now() < deadline && app.alive()) {
            if (testing::committed_offsets(testing::real_client_config(), _app_id, _in,
                                           partitions) == end) {
                return true;
            }
            std::this_thread::sleep_for(500ms);
        }
        return false;
    }

    std::string _in = testing::unique_name("kr-in");
    std::string _out = testing::unique_name("kr-out");
    std::string _dlq = testing::unique_name("kr-dlq");
    std::string _app_id = testing::unique_name("kr-app");
    uint16_t _port = testing::free_port();
    std::filesystem::path _state =
        std::filesystem::temp_directory_path() / testing::unique_name("kr-state");
    testing::metrics_workload _workload{_in, partitions, records, chunks};
};

TEST_P(kill_restart, a_two_stage_topology_killed_five_times_loses_no_window) {
    const bool eos = GetParam() == "exactly_once_v2";
    kafka::producer producer(testing::real_client_config());
    auto app = std::make_unique<testing::app_process>(args());
    int kills = 0;
    for (int chunk = 0; chunk < chunks; ++chunk) {
        _workload.produce_chunk(producer, chunk);
        // Let it work on the chunk for a moment (or not, after the ninth).
        std::this_thread::sleep_for(chunk == 8 ? 200ms : 1500ms);
        if (chunk == 1 || chunk == 3 || chunk == 5 || chunk == 7 || chunk == 8) {
            ASSERT_TRUE(app->alive()) << "the app died on its own before kill " << kills + 1;
            EXPECT_EQ(app->stop(SIGKILL), -SIGKILL);
            ++kills;
            app = std::make_unique<testing::app_process>(args());
        }
    }
    ASSERT_EQ(kills, 5);
    ASSERT_TRUE(wait_for_input_consumed(*app, 300s)) << "the app did not consume its input";

    // Every upstream task idle at the end: the app's stream time reaches the largest event
    // time written, which closes every window ending an hour before it.
    const testing::metrics_outcome o =
        _workload.collect(testing::real_client_config(), _out, _dlq, 180s);
    // The DLQ's end offsets, summed: under at_least_once the records on the broker (under
    // exactly_once_v2 transaction markers take offsets too). More than collect() read means
    // that a dead letter counted missing may be one the read did not reach, not one never
    // written.
    int64_t dlq_held = 0;
    for (const int64_t end :
         testing::end_offsets(testing::real_client_config(), _dlq, partitions)) {
        dlq_held += end;
    }
    ASSERT_GT(o.closed, 20'000U);
    const std::string page = testing::http_get("127.0.0.1", _port, "/metrics").body;
    for (const char* name :
         {"brook_late_records_dropped_total", "brook_transactions_aborted_total"}) {
        std::cout << fmt::format("[ figures  ] {} {}\n", name,
                                 testing::prometheus_value(page, name).value_or(-1));
    }
    EXPECT_EQ(app->stop(SIGTERM), 0);

    const testing::window_report& w = o.windows;
    const testing::dlq_report& d = o.dlq;
    // Of the wrong windows, "inflated" are those that records counted twice explain (what
    // at-least-once allows after a kill); the others lack records or are otherwise wrong.
    std::cout << fmt::format("[ figures  ] {}: {} closed windows, {} outputs: {} missing, {} "
                             "duplicated, {} wrong ({} inflated), {} unexpected; DLQ {} of {} "
                             "({} repeated; end offsets {})\n",
                             GetParam(), o.closed, w.outputs, w.missing, w.duplicates, w.wrong,
                             w.inflated, w.unexpected, d.records,
                             _workload.oracle().malformed().size(), d.repeated, dlq_held);
    EXPECT_EQ(w.missing, 0) << "closed windows never emitted";
    // Which ones: their numbers say which chunk and which partition's stretch was lost.
    EXPECT_EQ(d.missing, 0) << "malformed records never dead-lettered (" << d.records
                            << " DLQ records read, its end offsets sum to " << dlq_held
                            << "), among them: "
                            << fmt::format("{}", fmt::join(d.missing_examples, " | "));
    EXPECT_EQ(d.unexpected, 0) << "DLQ records that were not malformed";
    EXPECT_EQ(d.without_reason, 0) << "DLQ records without an error header";
    if (eos) {
        EXPECT_EQ(w.duplicates, 0) << "windows emitted more than once";
        EXPECT_EQ(w.wrong, 0) << "windows with wrong aggregates";
        EXPECT_EQ(w.unexpected, 0) << "windows the input cannot make, or not closed";
        EXPECT_EQ(d.repeated, 0) << "malformed records dead-lettered twice";
    }
}

INSTANTIATE_TEST_SUITE_P(guarantees, kill_restart,
                         ::testing::Values("at_least_once", "exactly_once_v2"));

} // namespace
} // namespace brook
