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
// The test computes every window from its own input (metrics_oracle.h). Under
// exactly_once_v2 every closed window must be emitted once and exact and every malformed
// record be in the DLQ once; under at_least_once no window and no malformed record may be
// missing (duplicates and over-counts are what at-least-once allows).

#include <filesystem>
#include <map>
#include <set>
#include <signal.h>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "engine/kafka/admin_client.h"
#include "engine/kafka/producer.h"
#include "tests/support/app_process.h"
#include "tests/support/broker.h"
#include "tests/support/http_get.h"
#include "tests/support/metrics_oracle.h"
#include "tests/support/topic_tail.h"

namespace brook {
namespace {

using namespace std::chrono_literals;

constexpr int partitions = 6;
constexpr int64_t records = 200'000;
constexpr int chunks = 10;
constexpr int64_t window_ms = 60'000;
constexpr int64_t grace_ms = 3'600'000;
constexpr int64_t span_ms = 4 * 3'600'000;
constexpr int hosts = 40;

struct kind {
    const char* name; // as written
    const char* unit;
    const char* norm_name; // as reported
    const char* norm_unit;
    double divisor;
};
constexpr kind kinds[] = {
    {"CPU.Usage", "percent", "cpu.usage", "ratio", 100},
    {"request.latency", "ms", "request.latency", "s", 1000},
    {"disk.free", "bytes", "disk.free", "bytes", 1},
};

std::string malformed(int64_t i) {
    switch ((i / 100) % 5) {
    case 0:
        return fmt::format("not json #{}", i);
    case 1:
        return fmt::format(R"({{"host":"h","value":1,"seq":{}}})", i); // no name
    case 2:
        return fmt::format(R"({{"name":"n","host":"h","value":"7","seq":{}}})", i);
    case 3:
        return fmt::format(R"({{"name":"n","host":"h","value":1,"ts":-5,"seq":{}}})", i);
    default:
        return fmt::format(R"([{},"an array"])", i);
    }
}

class kill_restart : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        _in = testing::unique_name("kr-in");
        _out = testing::unique_name("kr-out");
        _dlq = testing::unique_name("kr-dlq");
        _app_id = testing::unique_name("kr-app");
        _state = std::filesystem::temp_directory_path() / testing::unique_name("kr-state");
        kafka::admin_client admin(testing::real_client_config());
        admin.create_topics({{_in, partitions, 1, {}}}, 30s);
        const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count();
        _start_ts = (now - 3'600'000 - span_ms) / window_ms * window_ms;
    }
    void TearDown() override { std::filesystem::remove_all(_state); }

    std::vector<std::string> args() const {
        return {testing::bin_path("brook-metrics"), "--bootstrap-servers",
                testing::real_bootstrap(), "--application-id", _app_id, "--processing-guarantee",
                GetParam(), "--state-dir", _state.string(), "--input-topic", _in, "--output-topic",
                _out, "--dlq-topic", _dlq, "--partitions", std::to_string(partitions), "--window",
                "60s", "--grace", "1h", "--http-port", std::to_string(_port),
                // The killed member leaves the group after 10 s instead of 45 s: the same
                // situation, in less time.
                "--set", "consumer.session.timeout.ms=10000"};
    }

    // Event time of record i: 4 hours from _start_ts, up to 5 minutes out of order.
    int64_t ts_of(int64_t i) const {
        const int64_t jitter = (i * 7919) % 600'001 - 300'000;
        return std::max<int64_t>(_start_ts, _start_ts + i * span_ms / records + jitter);
    }

    void produce_chunk(kafka::producer& p, int chunk) {
        const int64_t per_chunk = records / chunks;
        for (int64_t i = chunk * per_chunk; i < (chunk + 1) * per_chunk; ++i) {
            const std::string host = fmt::format("host-{:02d}", (i * 13) % hosts);
            if (i % 100 == 37) {
                const std::string value = malformed(i);
                _oracle.add_malformed(value);
                p.produce(_in, RD_KAFKA_PARTITION_UA, host, value);
                continue;
            }
            const kind& k = kinds[(i / 7) % std::size(kinds)];
            const int64_t raw = (i * 31) % 1000;
            const int64_t ts = ts_of(i);
            p.produce(_in, RD_KAFKA_PARTITION_UA, host,
                      fmt::format(R"({{"name":"{}","host":"{}","value":{},"unit":"{}","ts":{}}})",
                                  k.name, host, raw, k.unit, ts));
            _oracle.add_valid(host, k.norm_name, k.norm_unit, static_cast<double>(raw) / k.divisor,
                              ts);
        }
        p.flush(60s);
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

    std::string _in, _out, _dlq, _app_id;
    uint16_t _port = testing::free_port();
    std::filesystem::path _state;
    int64_t _start_ts = 0;
    testing::metrics_oracle _oracle{window_ms};
};

TEST_P(kill_restart, a_two_stage_topology_killed_five_times_loses_no_window) {
    const bool eos = GetParam() == "exactly_once_v2";
    kafka::producer producer(testing::real_client_config());
    auto app = std::make_unique<testing::app_process>(args());
    int kills = 0;
    for (int chunk = 0; chunk < chunks; ++chunk) {
        produce_chunk(producer, chunk);
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
    const auto closed = _oracle.closed_at(_oracle.max_ts(), grace_ms);
    ASSERT_GT(closed.size(), 20'000U);
    std::vector<std::string> outputs;
    testing::topic_tail out(testing::real_client_config(), _out, partitions);
    const auto on_output = [&](const rd_kafka_message_t& m) {
        outputs.emplace_back(static_cast<const char*>(m.payload), m.len);
    };
    out.poll_until([&] { return outputs.size() >= closed.size(); }, 180s, on_output);
    out.poll(3s, on_output); // anything emitted twice?

    std::vector<std::pair<std::string, bool>> dead;
    testing::topic_tail dlq(testing::real_client_config(), _dlq, partitions);
    const auto on_dead = [&](const rd_kafka_message_t& m) {
        rd_kafka_headers_t* hdrs = nullptr;
        const void* reason = nullptr;
        size_t size = 0;
        const bool has_reason =
            rd_kafka_message_headers(&m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR &&
            rd_kafka_header_get_last(hdrs, "error", &reason, &size) == RD_KAFKA_RESP_ERR_NO_ERROR &&
            size > 0;
        dead.emplace_back(std::string(static_cast<const char*>(m.payload), m.len), has_reason);
    };
    dlq.poll_until([&] { return dead.size() >= _oracle.malformed().size(); }, 60s, on_dead);
    dlq.poll(2s, on_dead);
    const auto metrics = testing::http_get("127.0.0.1", _port, "/metrics");
    for (const char* name :
         {"brook_late_records_dropped_total", "brook_transactions_aborted_total"}) {
        const size_t at = metrics.body.find(std::string("\n") + name + " ");
        if (at != std::string::npos) {
            std::cout << "[ figures  ] "
                      << metrics.body.substr(at + 1, metrics.body.find('\n', at + 1) - at - 1)
                      << "\n";
        }
    }
    EXPECT_EQ(app->stop(SIGTERM), 0);

    const testing::window_report w = _oracle.check_windows(outputs, closed);
    const testing::dlq_report d = _oracle.check_dlq(dead);
    std::cout << fmt::format("[ figures  ] {}: {} closed windows, {} outputs: {} missing, {} "
                             "duplicated, {} wrong, {} unexpected; DLQ {} of {} ({} repeated)\n",
                             GetParam(), closed.size(), w.outputs, w.missing, w.duplicates, w.wrong,
                             w.unexpected, d.records, _oracle.malformed().size(), d.repeated);
    EXPECT_EQ(w.missing, 0) << "closed windows never emitted";
    EXPECT_EQ(d.missing, 0) << "malformed records never dead-lettered";
    if (d.missing > 0) {
        // Which ones: their numbers say which chunk and which partition's stretch was lost.
        std::set<std::string> seen;
        for (const auto& [value, reason] : dead) {
            seen.insert(value);
        }
        int shown = 0;
        for (const std::string& m : _oracle.malformed()) {
            if (!seen.contains(m) && shown++ < 10) {
                std::cout << "[ missing  ] " << m << "\n";
            }
        }
    }
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
