// Chaos scenario 6, a backlog after idle: brook-user-activity (two inputs merged in time
// order per task, 7 partitions, a repartition by user, deduplication, one-minute windows)
// starts on empty topics, with one or two instances, and idles about 10 s. Then a burst
// arrives on both inputs: every order first, then every user event, their event times
// spread over the last 20 minutes, with some events repeated. Every closed window must be
// exact (the oracle counts each event once; repeats are dropped by the app) and
// brook_late_records_dropped_total must stay 0.
//
// The grace (30 minutes) covers the burst's 20 minutes of event time. It must: the app is
// caught up when the orders arrive, so it processes them before a user event exists (an
// input at its end is not waited for, as in Kafka Streams), and the user events then come
// up to 20 minutes behind the stream time the orders set. A merge can only order records
// that were written.

#include <cstdlib>
#include <iostream>
#include <set>
#include <signal.h>
#include <thread>
#include <tuple>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "engine/kafka/admin_client.h"
#include "engine/kafka/producer.h"
#include "engine/serde/json_serde.h"
#include "engine/serde/partitioner.h"
#include "tests/support/app_process.h"
#include "tests/support/broker.h"
#include "tests/support/http_get.h"
#include "tests/support/prometheus_scrape.h"
#include "tests/support/topic_tail.h"
#include "tests/support/user_activity_oracle.h"

namespace brook::testing {
namespace {

using namespace std::chrono_literals;

constexpr int partitions = 7;
constexpr int users = 60;
constexpr int64_t events = 8000; // of each kind
constexpr int64_t repeat_every = 25;
constexpr int64_t window_ms = 60'000;
constexpr int64_t grace_ms = 30 * 60'000;
constexpr int64_t burst_span_ms = 20 * 60'000;

std::string user_of(int64_t i) {
    return fmt::format("user-{:02d}", (i * 7) % users);
}

class user_activity_backlog : public ::testing::TestWithParam<std::tuple<std::string, int>> {
protected:
    std::string guarantee() const { return std::get<0>(GetParam()); }
    int instances() const { return std::get<1>(GetParam()); }

    void SetUp() override {
        _users = unique_name("chaos-ua-users");
        _orders = unique_name("chaos-ua-orders");
        _out = unique_name("chaos-ua-out");
        _app_id = unique_name("chaos-ua-app");
        _state_root = std::filesystem::temp_directory_path() / unique_name("chaos-ua-state");
        _log_dir = std::filesystem::temp_directory_path() / (_app_id + "-logs");
        std::filesystem::create_directories(_log_dir);
        kafka::admin_client admin(real_client_config());
        admin.create_topics({{_users, partitions, 1, {}}, {_orders, partitions, 1, {}}}, 30s);
    }
    void TearDown() override {
        _apps.clear();
        std::error_code ec;
        std::filesystem::remove_all(_state_root, ec);
        if (HasFailure() || std::getenv("CHAOS_KEEP_LOGS") != nullptr) {
            std::cout << "[ logs     ] each instance's stderr: " << _log_dir.string() << "\n";
        } else {
            std::filesystem::remove_all(_log_dir, ec);
        }
    }

    void start(int slot) {
        _ports.push_back(free_port());
        std::vector<std::string> args = {bin_path("brook-user-activity"),
                                         "--bootstrap-servers",
                                         real_bootstrap(),
                                         "--application-id",
                                         _app_id,
                                         "--processing-guarantee",
                                         guarantee(),
                                         "--state-dir",
                                         (_state_root / fmt::format("instance-{}", slot)).string(),
                                         "--user-events-topic",
                                         _users,
                                         "--order-events-topic",
                                         _orders,
                                         "--output-topic",
                                         _out,
                                         "--partitions",
                                         std::to_string(partitions),
                                         "--grace",
                                         "30m",
                                         "--http-port",
                                         std::to_string(_ports.back()),
                                         "--set",
                                         "commit.interval.ms=1000"};
        // The app's log lines in a file, not among the test's.
        _apps.push_back(std::make_unique<app_process>(
            args, (_log_dir / fmt::format("instance-{}.log", slot)).string()));
    }

    bool all_ready(std::chrono::seconds patience) {
        const auto deadline = std::chrono::steady_clock::now() + patience;
        while (std::chrono::steady_clock::now() < deadline) {
            bool ready = true;
            for (const uint16_t port : _ports) {
                ready = ready && http_get("127.0.0.1", port, "/ready", 2s).status == 200;
            }
            if (ready) {
                return true;
            }
            std::this_thread::sleep_for(250ms);
        }
        return false;
    }

    bool consumed(std::chrono::seconds patience) {
        const auto deadline = std::chrono::steady_clock::now() + patience;
        const auto users_end = end_offsets(real_client_config(), _users, partitions);
        const auto orders_end = end_offsets(real_client_config(), _orders, partitions);
        while (std::chrono::steady_clock::now() < deadline) {
            for (auto& app : _apps) {
                if (!app->alive()) {
                    ADD_FAILURE() << "an instance ended on its own";
                    return false;
                }
            }
            if (committed_offsets(real_client_config(), _app_id, _users, partitions) == users_end &&
                committed_offsets(real_client_config(), _app_id, _orders, partitions) ==
                    orders_end) {
                return true;
            }
            std::this_thread::sleep_for(500ms);
        }
        return false;
    }

    std::string _users, _orders, _out, _app_id;
    std::filesystem::path _state_root;
    std::filesystem::path _log_dir; // kept when the test fails
    std::vector<std::unique_ptr<app_process>> _apps;
    std::vector<uint16_t> _ports;
};

TEST_P(user_activity_backlog, a_burst_after_idle_is_merged_counted_once_and_never_late) {
    const bool eos = guarantee() == "exactly_once_v2";
    const auto began = std::chrono::steady_clock::now();
    for (int i = 0; i < instances(); ++i) {
        start(i);
    }
    ASSERT_TRUE(all_ready(90s)) << "the instances did not become ready on empty topics";
    std::this_thread::sleep_for(10s); // idle, caught up at the end of empty inputs

    const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    const int64_t first_ts = now - burst_span_ms;
    const auto ts_of = [&](int64_t i) { return first_ts + i * burst_span_ms / events; };
    user_activity_oracle oracle(window_ms);
    kafka::producer p(real_client_config());
    int64_t repeats = 0;
    for (int64_t i = 0; i < events; ++i) {
        const int64_t cents = 100 + (i * 37) % 900;
        const std::string value = fmt::format(
            R"({{"event_id":"o{}","user_id":"{}","order_id":"ord-{}","amount_cents":{},"ts":{}}})",
            i, user_of(i), i, cents, ts_of(i));
        p.produce(_orders, RD_KAFKA_PARTITION_UA, user_of(i), value, ts_of(i));
        if (i % repeat_every == 3) {
            p.produce(_orders, RD_KAFKA_PARTITION_UA, user_of(i), value, ts_of(i));
            ++repeats;
        }
        oracle.add_order(user_of(i), cents, ts_of(i));
    }
    p.flush(60s);
    for (int64_t i = 0; i < events; ++i) {
        const char* type = i % 3 == 0 ? "view" : i % 3 == 1 ? "click" : "search";
        const std::string value =
            fmt::format(R"({{"event_id":"u{}","user_id":"{}","event_type":"{}","ts":{}}})", i,
                        user_of(i), type, ts_of(i));
        p.produce(_users, RD_KAFKA_PARTITION_UA, user_of(i), value, ts_of(i));
        if (i % repeat_every == 11) {
            p.produce(_users, RD_KAFKA_PARTITION_UA, user_of(i), value, ts_of(i));
            ++repeats;
        }
        oracle.add_user_event(user_of(i), type, ts_of(i));
    }
    p.flush(60s);
    ASSERT_TRUE(consumed(150s)) << "the app did not consume the burst";

    // One user event per partition far ahead moves every windowed task's stream time past
    // the burst's windows' end + grace.
    const int64_t closing_ts = oracle.max_ts() + grace_ms + 2 * window_ms;
    std::set<int32_t> covered;
    for (int j = 0; covered.size() < partitions; ++j) {
        const std::string user = fmt::format("closer-{}", j);
        if (covered.insert(default_partition(user, partitions)).second) {
            p.produce(_users, RD_KAFKA_PARTITION_UA, user,
                      fmt::format(R"({{"event_id":"c{}","user_id":"{}","event_type":"x","ts":{}}})",
                                  j, user, closing_ts),
                      closing_ts);
        }
    }
    p.flush(30s);
    const auto closed = oracle.closed_at(closing_ts, grace_ms);
    ASSERT_EQ(closed.size(), oracle.windows().size());

    std::vector<std::string> outputs;
    std::set<activity_window_id> seen;
    const auto on_output = [&](const rd_kafka_message_t& m) {
        outputs.emplace_back(static_cast<const char*>(m.payload), m.len);
        const auto j = nlohmann::json::parse(outputs.back(), nullptr, false);
        if (j.is_object() && j.contains("window_start") && j["window_start"].is_number_integer()) {
            const activity_window_id id{j.value("user_id", ""), j["window_start"].get<int64_t>()};
            if (closed.contains(id)) {
                seen.insert(id);
            }
        }
    };
    topic_tail out(real_client_config(), _out, partitions);
    out.poll_until([&] { return seen.size() >= closed.size(); }, 120s, on_output);
    out.poll(3s, on_output);

    double late = 0;
    int answered = 0;
    for (const uint16_t port : _ports) {
        if (const auto v = scrape_metric(port, "brook_late_records_dropped_total")) {
            late += *v;
            ++answered;
        }
    }
    for (auto& app : _apps) {
        EXPECT_EQ(app->stop(SIGTERM), 0) << "an instance did not stop cleanly";
    }
    const window_report r = oracle.check(outputs, closed);
    std::cout << fmt::format(
        "[ figures  ] {} x{}: {} orders + {} user events ({} repeats), {} closed windows "
        "checked, {} outputs: {} missing, {} duplicated, {} wrong ({} inflated), {} unexpected; "
        "{} late records dropped; {} s\n",
        guarantee(), instances(), events, events, repeats, closed.size(), r.outputs, r.missing,
        r.duplicates, r.wrong, r.inflated, r.unexpected, late,
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - began)
            .count());
    EXPECT_EQ(answered, instances()) << "an instance's /metrics did not answer";
    EXPECT_EQ(late, 0) << "records dropped as late";
    EXPECT_EQ(r.missing, 0) << "closed windows never emitted";
    EXPECT_EQ(r.unexpected, 0) << "windows the input cannot make, or not closed";
    if (eos) {
        EXPECT_EQ(r.duplicates, 0) << "windows emitted more than once";
        EXPECT_EQ(r.wrong, 0) << "windows with wrong totals";
    } else {
        EXPECT_EQ(r.wrong - r.inflated, 0) << "windows with totals no repeat explains";
    }
}

INSTANTIATE_TEST_SUITE_P(guarantees_and_instances, user_activity_backlog,
                         ::testing::Combine(::testing::Values("exactly_once_v2", "at_least_once"),
                                            ::testing::Values(1, 2)),
                         [](const ::testing::TestParamInfo<std::tuple<std::string, int>>& info) {
                             return fmt::format("{}_{}_instance{}", std::get<0>(info.param),
                                                std::get<1>(info.param),
                                                std::get<1>(info.param) == 1 ? "" : "s");
                         });

} // namespace
} // namespace brook::testing
