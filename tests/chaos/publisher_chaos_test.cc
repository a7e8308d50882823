// Chaos tests of the resilient publisher against the real broker: brook-publisher runs as
// a child process while the broker is stopped and started again with the project's own
// script (scripts/kafka), and while the publisher itself is SIGKILLed. Each test then
// reads the topic and checks that every event arrived and that each key's events arrived
// in order (first occurrences: after a crash, re-sent duplicates are allowed).
//
// These tests STOP THE SHARED BROKER. ctest runs them alone (RUN_SERIAL), and a guard
// restarts the broker however a test ends; a detached watchdog restarts it even if this
// process is killed before the guard runs.

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <signal.h>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "engine/kafka/admin_client.h"
#include "tests/support/app_process.h"
#include "tests/support/broker.h"
#include "tests/support/broker_outage.h"
#include "tests/support/http_get.h"
#include "tests/support/topic_tail.h"

namespace brook::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

double seconds(clock_type::duration d) {
    return std::chrono::duration<double>(d).count();
}

// ---- the publisher process -------------------------------------------------------------

// The last stats brook-publisher wrote, or nullopt before its first write.
std::optional<nlohmann::json> read_stats(const fs::path& file) {
    std::ifstream in(file);
    if (!in) {
        return std::nullopt;
    }
    std::stringstream text;
    text << in.rdbuf();
    try {
        return nlohmann::json::parse(text.str());
    } catch (const std::exception&) {
        return std::nullopt; // replaced atomically, so only before the first write
    }
}

uint64_t stat(const nlohmann::json& j, const char* name) {
    return j.at(name).get<uint64_t>();
}

// Waits until the stats satisfy `done`, up to `timeout`; returns the last stats seen.
template <class F>
std::optional<nlohmann::json> wait_for_stats(const fs::path& file, F done,
                                             std::chrono::seconds timeout) {
    const auto deadline = clock_type::now() + timeout;
    std::optional<nlohmann::json> last;
    while (clock_type::now() < deadline) {
        if (auto s = read_stats(file)) {
            last = s;
            if (done(*s)) {
                return last;
            }
        }
        std::this_thread::sleep_for(100ms);
    }
    return last;
}

// ---- the topic -------------------------------------------------------------------------

// What arrived: per key, the seqs of first occurrences in log order, and the duplicates.
struct arrivals {
    std::map<std::string, std::vector<uint64_t>> first_by_key;
    std::set<uint64_t> seen;
    uint64_t duplicates = 0;
    uint64_t malformed = 0;

    void add(const rd_kafka_message_t& m) {
        try {
            const auto j =
                nlohmann::json::parse(std::string_view(static_cast<const char*>(m.payload), m.len));
            const uint64_t seq = j.at("seq").get<uint64_t>();
            if (!seen.insert(seq).second) {
                ++duplicates;
                return;
            }
            first_by_key[j.at("key").get<std::string>()].push_back(seq);
        } catch (const std::exception&) {
            ++malformed;
        }
    }
};

constexpr int partitions = 3;

// Reads `topic` until `expected` distinct events arrived and nothing more came for 2 s,
// or `timeout` passes.
arrivals read_topic(const std::string& topic, uint64_t expected, std::chrono::seconds timeout) {
    arrivals a;
    topic_tail tail(real_client_config(), topic, partitions);
    const auto deadline = clock_type::now() + timeout;
    int quiet = 0;
    while (clock_type::now() < deadline) {
        const size_t n = tail.poll(500ms, [&](const rd_kafka_message_t& m) { a.add(m); });
        quiet = n == 0 ? quiet + 1 : 0;
        if (a.seen.size() >= expected && quiet >= 4) {
            break;
        }
    }
    return a;
}

// Every seq in [0, count) arrived, and each key's first occurrences are increasing.
void expect_all_in_order(const arrivals& a, uint64_t count) {
    EXPECT_EQ(a.malformed, 0u);
    EXPECT_EQ(a.seen.size(), count);
    uint64_t missing = 0;
    for (uint64_t seq = 0; seq < count; ++seq) {
        missing += a.seen.count(seq) == 0 ? 1 : 0;
    }
    EXPECT_EQ(missing, 0u) << "events accepted but never delivered";
    for (const auto& [key, seqs] : a.first_by_key) {
        const auto bad = std::is_sorted_until(seqs.begin(), seqs.end());
        EXPECT_EQ(bad, seqs.end())
            << key << ": seq " << *bad << " arrived after " << *std::prev(bad);
    }
}

class publisher_chaos : public ::testing::Test {
protected:
    void SetUp() override {
        _topic = unique_name("publisher-chaos");
        _dir = fs::temp_directory_path() / unique_name("publisher-chaos");
        fs::create_directories(_dir);
        if (!broker_script_runs()) {
            GTEST_SKIP() << "the broker at " << real_bootstrap()
                         << " is not one scripts/kafka runs, so this test cannot stop and "
                            "start it: run scripts/kafka start (make test does)";
        }
        kafka::admin_client admin(real_client_config());
        admin.create_topics({{_topic, partitions}, {_topic + ".dlq", partitions}}, 30s);
    }
    void TearDown() override {
        std::error_code ec;
        fs::remove_all(_dir, ec);
    }

    // brook-publisher with the test's topic and outbox, quick breaker timings, and `extra`.
    std::vector<std::string> command(const std::string& bootstrap, const fs::path& stats,
                                     std::vector<std::string> extra) const {
        std::vector<std::string> args = {bin_path("brook-publisher"),
                                         "--bootstrap-servers",
                                         bootstrap,
                                         "--topic",
                                         _topic,
                                         "--outbox-dir",
                                         (_dir / "outbox").string(),
                                         "--stats-file",
                                         stats.string(),
                                         "--stats-interval",
                                         "500ms",
                                         "--no-create-topics",
                                         "--delivery-timeout",
                                         "2s",
                                         "--breaker-window",
                                         "10",
                                         "--breaker-min-calls",
                                         "5",
                                         "--breaker-wait",
                                         "2s",
                                         "--set",
                                         "log_level=3"};
        args.insert(args.end(), extra.begin(), extra.end());
        return args;
    }

    std::string _topic;
    fs::path _dir;
};

TEST_F(publisher_chaos, every_event_arrives_in_key_order_across_a_broker_stop_and_start) {
    constexpr uint64_t records = 100000;
    constexpr int rate = 2000;
    const fs::path stats = _dir / "stats.json";
    const uint16_t port = free_port();
    const auto started = clock_type::now();
    app_process publisher(command(real_bootstrap(), stats,
                                  {"--records", std::to_string(records), "--keys", "8", "--rate",
                                   std::to_string(rate), "--http-port", std::to_string(port)}));

    const auto before = wait_for_stats(
        stats, [](const nlohmann::json& s) { return stat(s, "delivered") >= 10000; }, 60s);
    ASSERT_TRUE(before && stat(*before, "delivered") >= 10000) << "no delivery before the stop";

    uint64_t published_at_stop = 0;
    uint64_t published_at_start = 0;
    nlohmann::json during;
    {
        broker_outage outage(std::chrono::seconds(180));
        ASSERT_TRUE(outage.stopped()) << "scripts/kafka stop failed";
        published_at_stop = stat(*read_stats(stats), "published");
        const auto stopped_at = clock_type::now();

        // The breaker opens; publishing goes on unhindered, into the outbox.
        const auto open = wait_for_stats(
            stats, [](const nlohmann::json& s) { return s["breaker"]["opened"] >= 1; }, 20s);
        ASSERT_TRUE(open && (*open)["breaker"]["opened"] >= 1) << "the breaker never opened";
        const http_reply metrics = http_get("127.0.0.1", port, "/metrics");
        EXPECT_EQ(metrics.status, 200) << metrics.error;
        // Opened, and not closed again while the broker is down: by now the breaker may
        // already be half open, trying a call (after --breaker-wait).
        EXPECT_NE(metrics.body.find("brook_publisher_breaker_state{state=\"closed\"} 0"),
                  std::string::npos)
            << metrics.body;
        EXPECT_NE(metrics.body.find("brook_publisher_breaker_transitions_total{to=\"open\"} "),
                  std::string::npos)
            << metrics.body;
        EXPECT_EQ(metrics.body.find("brook_publisher_breaker_transitions_total{to=\"open\"} 0\n"),
                  std::string::npos)
            << metrics.body;
        EXPECT_NE(metrics.body.find("brook_publisher_events_pending"), std::string::npos);

        std::this_thread::sleep_until(stopped_at + 12s);
        during = *read_stats(stats);
        published_at_start = stat(during, "published");
        ASSERT_TRUE(outage.restart()) << "scripts/kafka start failed";
        std::cout << fmt::format("broker stopped in {:.1f} s, down {:.1f} s, started in {:.1f} s; "
                                 "{} events published while it was down, {} pending at the "
                                 "restart\n",
                                 seconds(outage.stop_took),
                                 seconds(clock_type::now() - stopped_at - outage.start_took),
                                 seconds(outage.start_took), published_at_start - published_at_stop,
                                 stat(during, "pending"));
    }
    // Publishing never waited for Kafka: about `rate` events a second throughout.
    EXPECT_GE(published_at_start - published_at_stop, static_cast<uint64_t>(rate * 10));

    const int exit_code = publisher.wait(std::chrono::seconds(240));
    ASSERT_EQ(exit_code, 0) << "brook-publisher did not finish delivering";
    const nlohmann::json final = *read_stats(stats);
    std::cout << fmt::format("publisher done after {:.1f} s: {}\n",
                             seconds(clock_type::now() - started), final.dump());
    EXPECT_EQ(stat(final, "accepted"), records);
    EXPECT_EQ(stat(final, "delivered"), records);
    EXPECT_EQ(stat(final, "pending"), 0u);
    EXPECT_EQ(stat(final, "dead_lettered"), 0u);
    EXPECT_EQ(stat(final, "order_violations"), 0u);
    EXPECT_GE(final["breaker"]["opened"].get<uint64_t>(), 1u);
    EXPECT_GE(final["breaker"]["closed"].get<uint64_t>(), 1u);
    EXPECT_EQ(final["breaker"]["state"], "closed");

    const arrivals a = read_topic(_topic, records, 120s);
    std::cout << fmt::format("read {} distinct events, {} duplicates, {} keys\n", a.seen.size(),
                             a.duplicates, a.first_by_key.size());
    expect_all_in_order(a, records);
}

TEST_F(publisher_chaos, events_in_the_outbox_of_a_killed_publisher_arrive_after_a_restart) {
    constexpr uint64_t records = 20000;
    const fs::path stats = _dir / "stats.json";
    {
        // Kafka unreachable: everything is accepted into the outbox, nothing delivered.
        app_process publisher(
            command("127.0.0.1:1", stats, {"--records", std::to_string(records), "--keys", "8"}));
        const auto accepted = wait_for_stats(
            stats,
            [&](const nlohmann::json& s) {
                return stat(s, "accepted") == records && s["breaker"]["opened"] >= 1;
            },
            60s);
        ASSERT_TRUE(accepted && stat(*accepted, "accepted") == records);
        EXPECT_EQ(stat(*accepted, "pending"), records);
        EXPECT_EQ(stat(*accepted, "delivered"), 0u);
        EXPECT_EQ(publisher.stop(SIGKILL), -SIGKILL);
    }
    const fs::path resumed_stats = _dir / "resumed.json";
    app_process resumed(command(real_bootstrap(), resumed_stats, {"--resume"}));
    ASSERT_EQ(resumed.wait(std::chrono::seconds(120)), 0);
    const nlohmann::json final = *read_stats(resumed_stats);
    std::cout << "resumed: " << final.dump() << '\n';
    EXPECT_EQ(stat(final, "delivered"), records);
    EXPECT_EQ(stat(final, "pending"), 0u);
    expect_all_in_order(read_topic(_topic, records, 60s), records);
}

TEST_F(publisher_chaos, a_publisher_killed_mid_delivery_loses_nothing_and_keeps_key_order) {
    constexpr uint64_t records = 60000;
    const fs::path stats = _dir / "stats.json";
    uint64_t accepted_at_kill = 0;
    {
        app_process publisher(
            command(real_bootstrap(), stats,
                    {"--records", std::to_string(records), "--keys", "8", "--rate", "20000"}));
        const auto mid = wait_for_stats(
            stats, [](const nlohmann::json& s) { return stat(s, "delivered") >= 15000; }, 60s);
        ASSERT_TRUE(mid && stat(*mid, "delivered") >= 15000);
        EXPECT_EQ(publisher.stop(SIGKILL), -SIGKILL);
        // At least this many were accepted; maybe more after the last stats write.
        accepted_at_kill = stat(*read_stats(stats), "accepted");
        std::cout << "killed at: " << read_stats(stats)->dump() << '\n';
    }
    ASSERT_LT(accepted_at_kill, records) << "killed too late to test anything";
    const fs::path resumed_stats = _dir / "resumed.json";
    app_process resumed(command(real_bootstrap(), resumed_stats, {"--resume"}));
    ASSERT_EQ(resumed.wait(std::chrono::seconds(120)), 0);
    std::cout << "resumed: " << read_stats(resumed_stats)->dump() << '\n';

    // What arrived is exactly a prefix of the events: everything accepted (at least
    // accepted_at_kill of them, in acceptance order), none lost in between.
    const arrivals a = read_topic(_topic, accepted_at_kill, 60s);
    std::cout << fmt::format("read {} distinct events ({} accepted by the last stats), {} "
                             "duplicates\n",
                             a.seen.size(), accepted_at_kill, a.duplicates);
    ASSERT_GE(a.seen.size(), accepted_at_kill);
    expect_all_in_order(a, a.seen.size());
}

} // namespace
} // namespace brook::testing
