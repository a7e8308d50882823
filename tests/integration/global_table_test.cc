// A global table on the real broker with 2 instances of one application: the table's
// topic (1 partition) and the stream (4 partitions) are not co-partitioned, yet every
// record of either instance finds its row, because each instance loads the whole table
// before processing and then follows its updates.

#include <map>
#include <random>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "engine/config/streams_config.h"
#include "engine/kafka/admin_client.h"
#include "engine/kafka/producer.h"
#include "engine/runtime/kafka_streams.h"
#include "engine/serde/partitioner.h"
#include "operators/stream_builder.h"
#include "tests/support/broker.h"
#include "tests/support/topic_tail.h"

namespace brook {
namespace {

using namespace std::chrono_literals;

constexpr int partitions = 4;
constexpr int rows = 100;

TEST(global_table, two_instances_join_every_record_and_follow_table_updates) {
    const std::string table_topic = testing::unique_name("gt-rows");
    const std::string asks = testing::unique_name("gt-asks");
    const std::string out = testing::unique_name("gt-out");
    const std::string app_id = testing::unique_name("gt-app");
    {
        kafka::admin_client admin(testing::real_client_config());
        admin.create_topics(
            {{table_topic, 1, 1, {}}, {asks, partitions, 1, {}}, {out, partitions, 1, {}}}, 30s);
    }
    kafka::producer producer(testing::real_client_config());
    const auto write_rows = [&](const std::string& version) {
        for (int r = 0; r < rows; ++r) {
            producer.produce(table_topic, 0, fmt::format("k{}", r),
                             fmt::format("{}-k{}", version, r), 1000);
        }
        producer.flush(30s);
    };
    write_rows("v1");

    // Asks: any key (so every partition), the value names the row to look up.
    stream_builder b;
    auto table = b.global_table<std::string, std::string>(table_topic);
    b.stream<std::string, std::string>({asks})
        .join(
            table, [](const std::string&, const std::string& row) { return row; },
            [](const std::string& row, const std::string& found) { return row + "=" + found; })
        .to(out);
    const topology topo = b.build();
    std::vector<std::unique_ptr<kafka_streams>> apps;
    for (int n = 0; n < 2; ++n) {
        apps.push_back(std::make_unique<kafka_streams>(
            topo, streams_config({{"application.id", app_id},
                                  {"bootstrap.servers", testing::real_bootstrap()},
                                  {"state.dir", (std::filesystem::temp_directory_path() /
                                                 fmt::format("{}-{}", app_id, n))
                                                    .string()},
                                  {"commit.interval.ms", "200"}})));
        apps.back()->start(); // returns once the global table is loaded
    }

    // Both instances hold tasks before the asks come, so both answer some.
    const auto settle_deadline = std::chrono::steady_clock::now() + 60s;
    while (!(apps[0]->task_count() > 0 && apps[1]->task_count() > 0 &&
             apps[0]->task_count() + apps[1]->task_count() == partitions)) {
        ASSERT_LT(std::chrono::steady_clock::now(), settle_deadline)
            << "the two instances did not share the tasks";
        std::this_thread::sleep_for(100ms);
    }

    std::map<std::string, std::string> results; // ask id -> value
    testing::topic_tail tail(testing::real_client_config(), out, partitions);
    const auto on_result = [&](const rd_kafka_message_t& m) {
        results[std::string(static_cast<const char*>(m.key), m.key_len)] =
            std::string(static_cast<const char*>(m.payload), m.len);
    };
    std::mt19937 random(7);
    std::map<std::string, std::string> expected;
    const auto ask = [&](const std::string& id, const std::string& row, const std::string& want) {
        producer.produce(asks, default_partition(id, partitions), id, row, 2000);
        expected[id] = row + "=" + want;
    };
    for (int i = 0; i < 2000; ++i) {
        const std::string row = fmt::format("k{}", random() % rows);
        ask(fmt::format("a{}", i), row, "v1-" + row);
    }
    producer.flush(30s);
    tail.poll_until([&] { return results.size() >= expected.size(); }, 120s, on_result);
    // Which instance fell behind, when one does (seen once in 2026-12: 958 of 2000 answered
    // while both instances held two tasks each; not reproduced since).
    const auto instances = [&] {
        std::string text;
        for (size_t n = 0; n < apps.size(); ++n) {
            text += fmt::format("; instance {}: {}, {} tasks, {} records processed, {} produced", n,
                                to_string(apps[n]->state()), apps[n]->task_count(),
                                apps[n]->records_processed(), apps[n]->records_produced());
        }
        return text;
    };
    ASSERT_EQ(results.size(), expected.size()) << "not every ask was answered" << instances();
    EXPECT_TRUE(results == expected) << "an ask found the wrong row";

    // The table changes: every instance's copy follows. Probes on every partition ask for
    // the last row written until each instance answers with the new version.
    write_rows("v2");
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    for (int round = 0;; ++round) {
        std::set<std::string> probes;
        for (int p = 0; p < partitions; ++p) {
            std::string id;
            for (int k = 0; id.empty() || default_partition(id, partitions) != p; ++k) {
                id = fmt::format("probe-{}-{}", round, k);
            }
            probes.insert(id);
            producer.produce(asks, p, id, fmt::format("k{}", rows - 1), 3000);
        }
        producer.flush(30s);
        tail.poll_until(
            [&] {
                for (const auto& id : probes) {
                    if (!results.contains(id)) {
                        return false;
                    }
                }
                return true;
            },
            30s, on_result);
        bool all_new = true;
        for (const auto& id : probes) {
            all_new = all_new && results[id] == fmt::format("k{}=v2-k{}", rows - 1, rows - 1);
        }
        if (all_new) {
            break;
        }
        ASSERT_LT(std::chrono::steady_clock::now(), deadline)
            << "the instances did not follow the table's update";
        std::this_thread::sleep_for(200ms);
    }
    results.clear();
    expected.clear();
    for (int i = 0; i < 500; ++i) {
        const std::string row = fmt::format("k{}", random() % rows);
        ask(fmt::format("b{}", i), row, "v2-" + row);
    }
    producer.flush(30s);
    tail.poll_until(
        [&] {
            int n = 0;
            for (const auto& [id, v] : results) {
                n += id.starts_with("b") ? 1 : 0;
            }
            return n >= 500;
        },
        120s, on_result);
    for (const auto& [id, want] : expected) {
        EXPECT_EQ(results[id], want) << id;
    }
    for (auto& app : apps) {
        EXPECT_GT(app->records_processed(), 0U) << "an instance answered nothing";
        app->close();
    }
}

} // namespace
} // namespace brook
