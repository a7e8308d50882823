// Interactive queries across instances, on a real broker: three brook-user-activity
// instances with one application id, each advertising its HTTP endpoint
// (application.server). A key asked of any instance gets the same answer: the instance that
// runs the key's task answers, the others pass the query on to it. /metadata names the
// owner the same way from every instance. Every window an answer holds has the totals the
// test's own input gives.
//
// Each instance keeps a standby of one other's tasks (num.standby.replicas=1); /metadata
// names the same standby, never the owner, from every instance.
//
// Then the owner of a key is SIGKILLed. Until its session expires the group still names
// it, and asking a survivor must give 503 with the reason, never a wrong value. Asked with
// stale=true, a survivor answers from the standby instead, saying so and how far behind it
// is; once the tasks have moved and restored, the survivors answer as before the kill.

#include <filesystem>
#include <map>
#include <memory>
#include <signal.h>
#include <thread>

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

namespace brook {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

constexpr int partitions = 7;
constexpr int instances = 3;
constexpr int users = 60;
constexpr int64_t events = 3'000;
constexpr int64_t window_ms = 60'000;

std::string user_name(int u) {
    return fmt::format("user-{:02d}", u);
}

TEST(interactive_query,
     any_instance_answers_for_any_key_and_a_dead_owner_gives_503_or_its_standbys_answer) {
    const std::string users_topic = testing::unique_name("iq-users");
    const std::string orders_topic = testing::unique_name("iq-orders");
    const std::string app_id = testing::unique_name("iq-app");
    const auto root = std::filesystem::temp_directory_path() / testing::unique_name("iq");
    {
        kafka::admin_client admin(testing::real_client_config());
        admin.create_topics({{users_topic, partitions, 1, {}}, {orders_topic, partitions, 1, {}}},
                            30s);
    }
    // Ten minutes of events ending now, so the last windows are still open in the store.
    const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
    const int64_t base_ts = now_ms - 10 * window_ms;
    std::map<std::pair<std::string, int64_t>, int64_t> expected; // (user, start) -> events
    {
        kafka::producer p(testing::real_client_config());
        for (int64_t i = 0; i < events; ++i) {
            const std::string user = user_name(static_cast<int>((i * 7) % users));
            const int64_t ts = base_ts + i * 10 * window_ms / events;
            p.produce(users_topic, default_partition(user, partitions), user,
                      fmt::format(R"({{"event_id":"u{}","user_id":"{}","event_type":"view",)"
                                  R"("ts":{}}})",
                                  i, user, ts),
                      ts);
            ++expected[{user, ts - ts % window_ms}];
        }
        p.flush(30s);
    }

    std::vector<uint16_t> ports;
    std::map<int, std::unique_ptr<testing::app_process>> apps;
    for (int n = 0; n < instances; ++n) {
        ports.push_back(testing::free_port());
        apps[n] = std::make_unique<testing::app_process>(
            std::vector<std::string>{testing::bin_path("brook-user-activity"),
                                     "--bootstrap-servers",
                                     testing::real_bootstrap(),
                                     "--application-id",
                                     app_id,
                                     "--processing-guarantee",
                                     "exactly_once_v2",
                                     "--state-dir",
                                     (root / fmt::format("state-{}", n)).string(),
                                     "--user-events-topic",
                                     users_topic,
                                     "--order-events-topic",
                                     orders_topic,
                                     "--output-topic",
                                     testing::unique_name("iq-out"),
                                     "--partitions",
                                     std::to_string(partitions),
                                     "--http-port",
                                     std::to_string(ports[n]),
                                     "--set",
                                     fmt::format("application.server=127.0.0.1:{}", ports[n]),
                                     "--set",
                                     "consumer.session.timeout.ms=10000",
                                     "--set",
                                     "num.standby.replicas=1"});
    }
    const auto deadline = std::chrono::steady_clock::now() + 180s;
    const auto end = testing::end_offsets(testing::real_client_config(), users_topic, partitions);
    while (testing::committed_offsets(testing::real_client_config(), app_id, users_topic,
                                      partitions) != end) {
        ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the group did not consume";
        std::this_thread::sleep_for(500ms);
    }
    // And everything the upstream tasks wrote to the repartition topic processed by the
    // tasks that own the store (the topic's end moves on with progress markers: at least
    // the ends seen now).
    const std::string repartition = app_id + "-by-user-repartition";
    const auto written =
        testing::end_offsets(testing::real_client_config(), repartition, partitions);
    for (;;) {
        const auto done = testing::committed_offsets(testing::real_client_config(), app_id,
                                                     repartition, partitions);
        bool all = done.size() == written.size();
        for (size_t p = 0; all && p < done.size(); ++p) {
            all = done[p] >= written[p];
        }
        if (all) {
            break;
        }
        ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the store's tasks lag behind";
        std::this_thread::sleep_for(500ms);
    }
    // Every instance ready: no task restoring, the group settled.
    for (int n = 0; n < instances; ++n) {
        while (testing::http_get("127.0.0.1", ports[n], "/ready").status != 200) {
            ASSERT_TRUE(apps[n]->alive());
            ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "instance " << n;
            std::this_thread::sleep_for(250ms);
        }
    }

    const std::string store = "user-activity-windows";
    const auto query = [&](int n, const std::string& user) {
        return testing::http_get("127.0.0.1", ports[n],
                                 fmt::format("/stores/{}/keys/{}", store, user));
    };
    // Every window in an answer has exactly the events the input gives it.
    const auto check_windows = [&](const std::string& user, const json& body) {
        ASSERT_TRUE(body.contains("windows")) << body.dump();
        for (const auto& w : body["windows"]) {
            const int64_t start = w.value("window_start", int64_t{-1});
            const auto it = expected.find({user, start});
            ASSERT_NE(it, expected.end()) << "a window the input cannot make: " << w.dump();
            EXPECT_EQ(w["value"].value("events", int64_t{-1}), it->second) << w.dump();
        }
    };

    std::map<std::string, std::string> answers; // user -> the body every instance gave
    std::map<std::string, std::string> owner;   // user -> application_server of its task
    std::map<std::string, std::string> standby; // user -> application_server of its standby
    int forwarded = 0;
    for (int u = 0; u < users; u += 3) {
        const std::string user = user_name(u);
        std::string first_metadata;
        for (int n = 0; n < instances; ++n) {
            const auto md = testing::http_get("127.0.0.1", ports[n],
                                              fmt::format("/metadata/{}/{}", store, user));
            ASSERT_EQ(md.status, 200) << md.body;
            const json m = json::parse(md.body);
            ASSERT_TRUE(m["active"].is_object()) << md.body;
            const std::string server = m["active"].value("application_server", "");
            if (n == 0) {
                owner[user] = server;
            }
            EXPECT_EQ(server, owner[user]) << "instances disagree on who owns " << user;
            ASSERT_EQ(m["standbys"].size(), 1U) << md.body;
            const std::string standby_server = m["standbys"][0].value("application_server", "");
            if (n == 0) {
                standby[user] = standby_server;
            }
            EXPECT_EQ(standby_server, standby[user]) << "instances disagree on " << user;
            EXPECT_NE(standby_server, server) << "the owner keeps its own standby: " << md.body;
            EXPECT_EQ(m["active"].value("local", false),
                      server == fmt::format("127.0.0.1:{}", ports[n]));
            forwarded += m["active"].value("local", false) ? 0 : 1;

            const auto r = query(n, user);
            ASSERT_EQ(r.status, 200) << "instance " << n << ": " << r.body;
            if (n == 0) {
                answers[user] = r.body;
                check_windows(user, json::parse(r.body));
            }
            EXPECT_EQ(r.body, answers[user])
                << "instance " << n << " answered " << user << " differently";
        }
    }
    EXPECT_GT(forwarded, 0) << "no query was passed on to another instance";

    // Each instance's standbys show in /metrics with their lag; over all instances each
    // stateful task has one (num.standby.replicas=1), the windowed store's 1_0..1_6 too.
    std::map<std::string, int> standby_tasks; // task -> instances keeping it
    double kept_total = 0;
    for (int n = 0; n < instances; ++n) {
        const auto page = testing::http_get("127.0.0.1", ports[n], "/metrics");
        ASSERT_EQ(page.status, 200);
        const std::optional<double> kept =
            testing::prometheus_value(page.body, "brook_standby_tasks");
        ASSERT_TRUE(kept.has_value()) << "instance " << n << " has no brook_standby_tasks";
        kept_total += *kept;
        const std::string prefix = "brook_standby_lag_records{task=\"";
        for (size_t at = page.body.find(prefix); at != std::string::npos;
             at = page.body.find(prefix, at + 1)) {
            const size_t from = at + prefix.size();
            ++standby_tasks[page.body.substr(from, page.body.find('"', from) - from)];
        }
    }
    EXPECT_EQ(kept_total, static_cast<double>(standby_tasks.size()))
        << "standbys kept without a lag shown";
    for (int p = 0; p < partitions; ++p) {
        EXPECT_EQ(standby_tasks[fmt::format("1_{}", p)], 1) << "standbys of task 1_" << p;
    }
    for (const auto& [task, count] : standby_tasks) {
        EXPECT_EQ(count, 1) << "task " << task << " has " << count << " standbys";
    }

    // Kill the instance that owns the first user's task; ask a survivor.
    const std::string victim_user = answers.begin()->first;
    int victim = -1;
    for (int n = 0; n < instances; ++n) {
        if (owner[victim_user] == fmt::format("127.0.0.1:{}", ports[n])) {
            victim = n;
        }
    }
    ASSERT_GE(victim, 0);
    EXPECT_EQ(apps[victim]->stop(SIGKILL), -SIGKILL);
    const int survivor = (victim + 1) % instances;
    const auto right_after = query(survivor, victim_user);
    if (right_after.status == 200) {
        EXPECT_EQ(right_after.body, answers[victim_user]) << "a wrong value after the kill";
    } else {
        EXPECT_EQ(right_after.status, 503) << right_after.body;
        EXPECT_TRUE(json::parse(right_after.body).contains("error")) << right_after.body;
        std::cout << "[ figures  ] right after the kill: 503 " << right_after.body << "\n";
    }
    // Allowing stale reads, both survivors answer from the standby before the session
    // expires: the same windows (no input came since), marked stale, with the lag.
    const auto windows_of = [](const std::string& body) { return json::parse(body)["windows"]; };
    const json expected_windows = windows_of(answers[victim_user]);
    for (int n = 0; n < instances; ++n) {
        if (n == victim) {
            continue;
        }
        const auto r =
            testing::http_get("127.0.0.1", ports[n],
                              fmt::format("/stores/{}/keys/{}?stale=true", store, victim_user));
        ASSERT_EQ(r.status, 200) << "instance " << n << " with stale=true: " << r.body;
        const json body = json::parse(r.body);
        if (body.value("stale", false)) {
            EXPECT_EQ(body.value("standby_lag", int64_t{-1}), 0) << r.body;
            std::cout << fmt::format("[ figures  ] instance {} answered from the standby at {} "
                                     "with lag {}\n",
                                     n, standby[victim_user], body.value("standby_lag", -1));
        }
        EXPECT_EQ(body["windows"], expected_windows) << "a wrong value from the standby";
    }
    // Once the dead member's session expires its tasks move and restore; then the
    // survivors answer as before, never with another value.
    const auto moved_by = std::chrono::steady_clock::now() + 90s;
    const auto killed_at = std::chrono::steady_clock::now();
    for (;;) {
        const auto r = query(survivor, victim_user);
        if (r.status == 200) {
            EXPECT_EQ(r.body, answers[victim_user]) << "a wrong value after the move";
            std::cout << fmt::format("[ figures  ] answered again {} ms after the kill\n",
                                     std::chrono::duration_cast<std::chrono::milliseconds>(
                                         std::chrono::steady_clock::now() - killed_at)
                                         .count());
            break;
        }
        ASSERT_EQ(r.status, 503) << r.body;
        ASSERT_LT(std::chrono::steady_clock::now(), moved_by) << "never answered again: " << r.body;
        std::this_thread::sleep_for(500ms);
    }
    for (auto& [n, app] : apps) {
        if (n != victim) {
            EXPECT_EQ(app->stop(SIGTERM), 0);
        }
    }
    std::filesystem::remove_all(root);
}

} // namespace
} // namespace brook
