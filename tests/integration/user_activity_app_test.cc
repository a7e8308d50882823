// brook-user-activity as shipped, against the real broker, on a backlog: every order event
// is written before any user event, both for the same minutes. A task reading both inputs
// must merge them in time order (waiting for the input it has not fetched yet; the order
// goes by the records' Kafka timestamps, which the producer sets to the event time), or the
// user events would all arrive "late" behind the orders and be dropped (10 minutes of event
// time against 10 s of grace). Duplicated event
// ids are dropped once each, and the per-window totals add up to the input exactly.

#include <map>
#include <set>
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
#include "tests/support/topic_tail.h"

namespace brook {
namespace {

using namespace std::chrono_literals;

// One partition: then the repartition by user keeps the upstream task's order, and the
// windows' 10 s grace tests the merge of the two inputs alone. (With several partitions,
// the tasks feeding a repartition topic run ahead of one another on a backlog, in Brook as
// in Kafka Streams, and the grace must cover that.)
constexpr int partitions = 1;
constexpr int users = 50;
constexpr int64_t events = 6000; // of each kind
constexpr int64_t duplicates = 300;
constexpr int64_t window_ms = 60'000;
const int64_t base_ts = testing::recent_event_time(window_ms); // a whole minute

std::string user_of(int64_t i) {
    return fmt::format("user-{:02d}", i % users);
}
// 100 ms apart per kind: 10 minutes of event time, so ten windows per user.
int64_t ts_of(int64_t i) {
    return base_ts + i * 100;
}

struct totals {
    int64_t events = 0;
    int64_t orders = 0;
    int64_t cents = 0;
    bool operator==(const totals&) const = default;
};

TEST(user_activity_app, a_backlog_of_two_inputs_is_merged_in_time_order_and_counted_once) {
    const std::string users_topic = testing::unique_name("ua-users");
    const std::string orders_topic = testing::unique_name("ua-orders");
    const std::string out_topic = testing::unique_name("ua-out");
    const std::string app_id = testing::unique_name("ua-app");
    const auto state_dir = std::filesystem::temp_directory_path() / testing::unique_name("ua-st");
    {
        kafka::admin_client admin(testing::real_client_config());
        admin.create_topics({{users_topic, partitions, 1, {}}, {orders_topic, partitions, 1, {}}},
                            30s);
    }
    std::map<std::pair<std::string, int64_t>, totals> expected; // (user, window start)
    {
        kafka::producer p(testing::real_client_config());
        // Orders first, all of them; a producer retry's duplicate now and then.
        for (int64_t i = 0; i < events; ++i) {
            const std::string value =
                fmt::format(R"({{"event_id":"o{}","user_id":"{}","order_id":"ord-{}",)"
                            R"("amount_cents":{},"ts":{}}})",
                            i, user_of(i), i, 100 + i % 900, ts_of(i));
            p.produce(orders_topic, RD_KAFKA_PARTITION_UA, user_of(i), value, ts_of(i));
            if (i % (events / duplicates) == 0) {
                p.produce(orders_topic, RD_KAFKA_PARTITION_UA, user_of(i), value, ts_of(i));
            }
            auto& t = expected[{user_of(i), ts_of(i) - ts_of(i) % window_ms}];
            ++t.orders;
            t.cents += 100 + i % 900;
        }
        p.flush(30s);
        for (int64_t i = 0; i < events; ++i) {
            const std::string value =
                fmt::format(R"({{"event_id":"u{}","user_id":"{}","event_type":"{}","ts":{}}})", i,
                            user_of(i), i % 2 == 0 ? "view" : "click", ts_of(i));
            p.produce(users_topic, RD_KAFKA_PARTITION_UA, user_of(i), value, ts_of(i));
            if (i % (events / duplicates) == 1) {
                p.produce(users_topic, RD_KAFKA_PARTITION_UA, user_of(i), value, ts_of(i));
            }
            ++expected[{user_of(i), ts_of(i) - ts_of(i) % window_ms}].events;
        }
        p.flush(30s);
    }

    testing::app_process app(
        {testing::bin_path("brook-user-activity"), "--bootstrap-servers", testing::real_bootstrap(),
         "--application-id", app_id, "--state-dir", state_dir.string(), "--user-events-topic",
         users_topic, "--order-events-topic", orders_topic, "--output-topic", out_topic,
         "--partitions", std::to_string(partitions), "--set", "commit.interval.ms=1000"});
    // Once the app has consumed all of it, one event per partition of its repartition
    // topic far ahead closes every window.
    const auto deadline = std::chrono::steady_clock::now() + 180s;
    const auto end = testing::end_offsets(testing::real_client_config(), users_topic, partitions);
    while (testing::committed_offsets(testing::real_client_config(), app_id, users_topic,
                                      partitions) != end) {
        ASSERT_TRUE(app.alive()) << "the app stopped";
        ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the app did not consume";
        std::this_thread::sleep_for(500ms);
    }
    {
        kafka::producer p(testing::real_client_config());
        std::set<int32_t> covered;
        for (int j = 0; covered.size() < partitions; ++j) {
            const std::string user = fmt::format("closer-{}", j);
            if (covered.insert(default_partition(user, partitions)).second) {
                p.produce(users_topic, RD_KAFKA_PARTITION_UA, user,
                          fmt::format(R"({{"event_id":"c{}","user_id":"{}","event_type":"x",)"
                                      R"("ts":{}}})",
                                      j, user, ts_of(events) + 10 * window_ms));
            }
        }
        p.flush(30s);
    }

    std::map<std::pair<std::string, int64_t>, totals> seen;
    int64_t repeated = 0;
    testing::topic_tail out(testing::real_client_config(), out_topic, partitions);
    const auto on_output = [&](const rd_kafka_message_t& m) {
        const auto j = nlohmann::json::parse(
            std::string_view(static_cast<const char*>(m.payload), m.len), nullptr, false);
        ASSERT_TRUE(j.is_object()) << "output is not a JSON object";
        const std::pair<std::string, int64_t> id{j.value("user_id", ""),
                                                 j.value("window_start", int64_t{-1})};
        if (seen.contains(id)) {
            ++repeated;
        }
        seen[id] = {j.value("events", int64_t{0}), j.value("orders", int64_t{0}),
                    j.value("order_total_cents", int64_t{0})};
    };
    out.poll_until([&] { return seen.size() >= expected.size(); }, 120s, on_output);
    out.poll(2s, on_output);
    EXPECT_EQ(app.stop(SIGTERM), 0);
    std::filesystem::remove_all(state_dir);

    EXPECT_EQ(repeated, 0) << "a window was emitted twice";
    int64_t wrong = 0;
    totals sum;
    for (const auto& [id, t] : expected) {
        auto it = seen.find(id);
        if (it == seen.end() || !(it->second == t)) {
            ++wrong;
        }
    }
    for (const auto& [id, t] : seen) {
        sum.events += t.events;
        sum.orders += t.orders;
    }
    EXPECT_EQ(wrong, 0) << "windows missing or with wrong totals, of " << expected.size();
    EXPECT_EQ(sum.events, events) << "user events lost (late behind the orders?) or doubled";
    EXPECT_EQ(sum.orders, events) << "order events lost or doubled";
    EXPECT_EQ(seen.size(), expected.size());
}

} // namespace
} // namespace brook
