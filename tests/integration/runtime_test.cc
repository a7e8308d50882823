// The runtime against the real broker: volume with exact content, several instances in
// one group splitting partitions, instances joining and leaving mid-run, and a clean
// SIGTERM shutdown of an app process.

#include <atomic>
#include <charconv>
#include <csignal>
#include <filesystem>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "engine/config/streams_config.h"
#include "engine/kafka/admin_client.h"
#include "engine/kafka/producer.h"
#include "engine/runtime/kafka_streams.h"
#include "operators/stream_builder.h"
#include "tests/support/broker.h"
#include "tests/support/topic_tail.h"

namespace brook {
namespace {

using namespace std::chrono_literals;
constexpr int partitions = 8;

// Input value i (as text) is kept unless i % 3 == 0 and becomes "v<i>" in the output.
bool kept(int64_t i) {
    return i % 3 != 0;
}

topology filter_map_topology(const std::string& in, const std::string& out) {
    stream_builder b;
    b.stream<std::string, std::string>({in})
        .filter([](const std::string&, const std::string& v) { return kept(std::stoll(v)); })
        .map_values([](const std::string& v) { return "v" + v; })
        .to(out);
    return b.build();
}

// Each instance gets a state directory of its own: two instances on one are refused.
streams_config app_config(const std::string& app_id, int threads) {
    const auto state = std::filesystem::temp_directory_path() / testing::unique_name("rt-state");
    return streams_config({{"application.id", app_id},
                           {"bootstrap.servers", testing::real_bootstrap()},
                           {"state.dir", state.string()},
                           {"num.stream.threads", std::to_string(threads)},
                           {"commit.interval.ms", "1000"},
                           {"consumer.session.timeout.ms", "10000"},
                           {"consumer.heartbeat.interval.ms", "1000"}});
}

void create_topics(const std::vector<std::string>& names, int count = partitions) {
    kafka::admin_client admin(testing::real_client_config());
    std::vector<kafka::topic_spec> specs;
    for (const auto& n : names) {
        specs.push_back({n, count, 1, {}});
    }
    admin.create_topics(specs, 30s);
}

void produce_range(const std::string& topic, int64_t from, int64_t to,
                   std::chrono::microseconds pause_per_1000 = 0us) {
    kafka::client_config pc = testing::real_client_config();
    pc.set("linger.ms", "20").set("batch.num.messages", "10000");
    kafka::producer p(pc);
    for (int64_t i = from; i < to; ++i) {
        const std::string key = "k" + std::to_string(i);
        const std::string value = std::to_string(i);
        p.produce(topic, RD_KAFKA_PARTITION_UA, key, value);
        if (pause_per_1000.count() > 0 && i % 1000 == 999) {
            std::this_thread::sleep_for(pause_per_1000);
        }
    }
    p.flush(60s);
    ASSERT_EQ(p.failed_deliveries(), 0U);
}

// Counts how often each expected output arrives; spots anything unexpected.
struct output_check {
    explicit output_check(int64_t n) : seen(static_cast<size_t>(n), 0), total_input(n) {
        for (int64_t i = 0; i < n; ++i) {
            expected += kept(i) ? 1 : 0;
        }
    }
    void add(const rd_kafka_message_t& m) {
        const std::string_view value(static_cast<const char*>(m.payload), m.len);
        const std::string_view key(static_cast<const char*>(m.key), m.key_len);
        int64_t i = -1;
        if (value.size() > 1 && value[0] == 'v') {
            std::from_chars(value.data() + 1, value.data() + value.size(), i);
        }
        if (i < 0 || i >= total_input || !kept(i) || key != "k" + std::to_string(i)) {
            ++unexpected;
            return;
        }
        if (seen[static_cast<size_t>(i)]++ == 0) {
            ++distinct;
        } else {
            ++duplicates;
        }
    }
    bool complete() const { return distinct == expected; }

    std::vector<uint16_t> seen;
    int64_t total_input;
    int64_t expected = 0;
    int64_t distinct = 0;
    int64_t duplicates = 0;
    int64_t unexpected = 0;
};

TEST(runtime, a_million_records_through_filter_and_map_arrive_complete_and_exact) {
    const std::string in = testing::unique_name("rt-in");
    const std::string out = testing::unique_name("rt-out");
    create_topics({in, out});
    constexpr int64_t n = 1'000'000;
    produce_range(in, 0, n);

    const topology topo = filter_map_topology(in, out);
    kafka_streams app(topo, app_config(testing::unique_name("rt-million"), 2));
    const auto started = std::chrono::steady_clock::now();
    app.start();
    const auto deadline = started + 300s;
    while (app.records_processed() < static_cast<uint64_t>(n) &&
           app.state() != streams_state::error && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(100ms);
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    ASSERT_NE(app.state(), streams_state::error) << app.error_reason();
    ASSERT_TRUE(app.close(30s));
    EXPECT_EQ(app.records_processed(), static_cast<uint64_t>(n));
    std::cout << fmt::format("[ figures  ] {} records in {:.1f} s including start-up: {:.0f} "
                             "records/s\n",
                             n, seconds, static_cast<double>(n) / seconds);

    output_check check(n);
    testing::topic_tail tail(testing::real_client_config(), out, partitions);
    tail.poll_until([&] { return check.complete(); }, 120s,
                    [&](const rd_kafka_message_t& m) { check.add(m); });
    tail.poll(1s, [&](const rd_kafka_message_t& m) { check.add(m); }); // anything extra?
    EXPECT_EQ(check.distinct, check.expected) << "records missing from the output";
    EXPECT_EQ(check.unexpected, 0);
    EXPECT_EQ(check.duplicates, 0) << "one clean run without rebalances must not duplicate";
}

TEST(runtime, two_instances_split_the_partitions_and_deliver_every_record) {
    const std::string in = testing::unique_name("rt2-in");
    const std::string out = testing::unique_name("rt2-out");
    create_topics({in, out});
    constexpr int64_t n = 200'000;
    produce_range(in, 0, n);

    const topology topo = filter_map_topology(in, out);
    const std::string app_id = testing::unique_name("rt-two");
    kafka_streams a(topo, app_config(app_id, 1));
    kafka_streams b(topo, app_config(app_id, 1));
    a.start();
    b.start();

    output_check check(n);
    testing::topic_tail tail(testing::real_client_config(), out, partitions);
    int max_a = 0;
    int max_b = 0;
    bool split_seen = false;
    tail.poll_until(
        [&] {
            max_a = std::max(max_a, a.task_count());
            max_b = std::max(max_b, b.task_count());
            split_seen = split_seen || (a.task_count() > 0 && b.task_count() > 0 &&
                                        a.task_count() + b.task_count() == partitions);
            return check.complete() && split_seen;
        },
        120s, [&](const rd_kafka_message_t& m) { check.add(m); });
    EXPECT_TRUE(split_seen) << "tasks were never split between the instances (max a=" << max_a
                            << ", b=" << max_b << ")";
    EXPECT_TRUE(a.close(30s));
    EXPECT_TRUE(b.close(30s));
    EXPECT_EQ(check.distinct, check.expected) << "records missing from the output";
    EXPECT_EQ(check.unexpected, 0);
    std::cout << fmt::format("[ figures  ] two instances: {} duplicates (at least once)\n",
                             check.duplicates);
}

TEST(runtime, an_instance_joining_and_one_leaving_mid_run_lose_no_record) {
    const std::string in = testing::unique_name("rt3-in");
    const std::string out = testing::unique_name("rt3-out");
    create_topics({in, out});
    constexpr int64_t n = 300'000;

    const topology topo = filter_map_topology(in, out);
    const std::string app_id = testing::unique_name("rt-churn");
    auto a = std::make_unique<kafka_streams>(topo, app_config(app_id, 1));
    kafka_streams b(topo, app_config(app_id, 1));
    kafka_streams c(topo, app_config(app_id, 1));
    a->start();
    b.start();

    // Input keeps flowing for several seconds while the group changes under it.
    std::thread producer([&] { produce_range(in, 0, n, 20ms); });
    output_check check(n);
    testing::topic_tail tail(testing::real_client_config(), out, partitions);
    auto consume = [&](const rd_kafka_message_t& m) { check.add(m); };

    tail.poll_until([&] { return check.distinct > check.expected / 5; }, 60s, consume);
    c.start(); // a third instance joins
    int max_c = 0;
    tail.poll_until(
        [&] {
            max_c = std::max(max_c, c.task_count());
            return max_c > 0 && check.distinct > check.expected / 2;
        },
        60s, consume);
    EXPECT_GT(max_c, 0) << "the joining instance never got a task";
    EXPECT_TRUE(a->close(30s)); // the first one leaves
    a.reset();
    producer.join();
    tail.poll_until([&] { return check.complete(); }, 120s, consume);

    EXPECT_EQ(check.distinct, check.expected) << "records missing after join and leave";
    EXPECT_EQ(check.unexpected, 0);
    EXPECT_NE(b.state(), streams_state::error) << b.error_reason();
    EXPECT_NE(c.state(), streams_state::error) << c.error_reason();
    EXPECT_TRUE(b.close(30s));
    EXPECT_TRUE(c.close(30s));
    std::cout << fmt::format("[ figures  ] join/leave: {} duplicates (at least once)\n",
                             check.duplicates);
}

TEST(runtime, sigterm_commits_and_exits_within_the_shutdown_timeout) {
    const std::string in = testing::unique_name("sig-in");
    const std::string out = testing::unique_name("sig-out");
    const std::string dlq = testing::unique_name("sig-dlq");
    create_topics({in, out, dlq}, 4);
    constexpr int n = 20'000;
    {
        kafka::producer p(testing::real_client_config());
        for (int i = 0; i < n; ++i) {
            // Event times from 1 ms: brook-metrics dead-letters a ts of 0 (no time set).
            p.produce(in, RD_KAFKA_PARTITION_UA, "h" + std::to_string(i % 7),
                      fmt::format(R"({{"name":"m","host":"h","value":{},"ts":{}}})", i, i + 1));
        }
        p.flush(30s);
    }
    const std::string app_id = testing::unique_name("sig-app");
    const std::string binary = std::string(BROOK_BIN_DIR) + "/brook-metrics";
    const std::vector<std::string> args = {
        binary, "--bootstrap-servers", testing::real_bootstrap(), "--application-id", app_id,
        "--input-topic", in, "--output-topic", out, "--dlq-topic", dlq,
        // Only the shutdown commit can commit: the interval is far longer than the test.
        "--set", "commit.interval.ms=600000", "--set", "shutdown.timeout.ms=10000"};
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        std::vector<char*> argv;
        for (const auto& a : args) {
            argv.push_back(const_cast<char*>(a.c_str()));
        }
        argv.push_back(nullptr);
        execv(binary.c_str(), argv.data());
        _exit(127);
    }
    // Every record passes through the app's repartition topic on its way to the windows
    // (which stay open: the test's event time spans 20 s).
    const std::string repartition = app_id + "-metrics-by-host-name-repartition";
    int64_t repartitioned = 0;
    for (const auto deadline = std::chrono::steady_clock::now() + 120s;
         repartitioned < n && std::chrono::steady_clock::now() < deadline;) {
        std::this_thread::sleep_for(200ms);
        try {
            // Data records only: the topic also holds the upstream tasks' progress markers.
            repartitioned = testing::committed_record_count(testing::real_client_config(),
                                                            {repartition}, 4, 10s);
        } catch (const std::exception&) { // NOLINT(bugprone-empty-catch): not created yet
        }
    }
    if (repartitioned != n) {
        kill(pid, SIGKILL); // never leave the child behind a failed test
        waitpid(pid, nullptr, 0);
        FAIL() << "the app did not process its input: " << repartitioned << " of " << n
               << " records repartitioned";
    }

    const auto signalled = std::chrono::steady_clock::now();
    ASSERT_EQ(kill(pid, SIGTERM), 0);
    int status = 0;
    pid_t done = 0;
    while (done == 0 && std::chrono::steady_clock::now() - signalled < 30s) {
        done = waitpid(pid, &status, WNOHANG);
        std::this_thread::sleep_for(50ms);
    }
    if (done == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        FAIL() << "brook-metrics ignored SIGTERM for 30 s";
    }
    const auto took = std::chrono::steady_clock::now() - signalled;
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "exit status " << status;
    // A behavioural bound, not a speed test: the configured shutdown timeout plus slack
    // for process teardown.
    EXPECT_LT(took, 15s) << "exit took longer than shutdown.timeout.ms allows";
    EXPECT_EQ(testing::committed_offsets(testing::real_client_config(), app_id, in, 4),
              testing::end_offsets(testing::real_client_config(), in, 4))
        << "the final commit on SIGTERM did not cover every processed record";
}

} // namespace
} // namespace brook

namespace brook {
namespace {

TEST(runtime, a_missing_source_topic_moves_to_error_naming_the_topic) {
    stream_builder b;
    const std::string missing = testing::unique_name("no-such-topic");
    b.stream<std::string, std::string>({missing}).to("whatever");
    const topology t = b.build();
    kafka_streams app(t, app_config(testing::unique_name("rt-missing"), 1));
    EXPECT_THROW(app.start(), streams_error);
    EXPECT_EQ(app.state(), streams_state::error);
    EXPECT_NE(app.error_reason().find(missing), std::string::npos) << app.error_reason();
    EXPECT_NE(app.error_reason().find("does not exist"), std::string::npos) << app.error_reason();
}

} // namespace
} // namespace brook
