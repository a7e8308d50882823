// Repartition topics against the real broker: created as Kafka Streams creates them (no
// retention, so records of any age wait until they are read), and purged by the stream
// threads once what they hold is committed, under both guarantees.

#include <charconv>
#include <map>

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
constexpr int partitions = 4;
constexpr int64_t records = 3000;
constexpr int buckets = 30;

// Counts records per bucket, the bucket being the value modulo `buckets`: group_by picks
// a new key, so every record passes through the "<app>-by-bucket-repartition" topic.
topology bucket_count_topology(const std::string& in, const std::string& out) {
    stream_builder b;
    b.stream<std::string, std::string>({in})
        .group_by(
            [](const std::string&, const std::string& v) {
                return "b" + std::to_string(std::stoll(v) % buckets);
            },
            grouped<std::string, std::string>::as("by-bucket"))
        .count(materialized<std::string, int64_t>::as("bucket-counts"))
        .to_stream()
        .map_values([](const int64_t& n) { return std::to_string(n); })
        .to(out);
    return b.build();
}

class repartition : public ::testing::TestWithParam<std::string> {};

// Writes records [from, to) with keys "k<i>", values "<i>" and timestamps `base_ts + i`.
void produce_range(const std::string& topic, int64_t from, int64_t to, int64_t base_ts) {
    kafka::producer p(testing::real_client_config());
    for (int64_t i = from; i < to; ++i) {
        p.produce(topic, RD_KAFKA_PARTITION_UA, "k" + std::to_string(i), std::to_string(i),
                  base_ts + i);
    }
    p.flush(60s);
    ASSERT_EQ(p.failed_deliveries(), 0U);
}

TEST_P(repartition, year_old_records_are_all_counted_and_purged_once_committed) {
    const std::string in = testing::unique_name("repart-in");
    const std::string out = testing::unique_name("repart-out");
    const std::string app_id = testing::unique_name("repart-app");
    const std::string topic = app_id + "-by-bucket-repartition";
    {
        kafka::admin_client admin(testing::real_client_config());
        admin.create_topics({{in, partitions, 1, {}}, {out, partitions, 1, {}}}, 30s);
    }
    // A backfill: every record is a year old, far past the broker's 7-day default
    // retention, which would delete them from a repartition topic that kept it.
    const int64_t year_ago = std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count() -
                             365LL * 24 * 3600 * 1000;
    produce_range(in, 0, records, year_ago);

    const topology topo = bucket_count_topology(in, out); // borrowed by the app
    kafka_streams app(topo, streams_config({{"application.id", app_id},
                                            {"bootstrap.servers", testing::real_bootstrap()},
                                            {"processing.guarantee", GetParam()},
                                            {"commit.interval.ms", "200"},
                                            {"repartition.purge.interval.ms", "500"},
                                            {"statestore.cache.max.bytes", "0"}}));
    app.start();

    // With the cache off every update is sent, so the latest count per bucket is the
    // highest one seen; all of them add up to the input once everything is processed.
    std::map<std::string, int64_t> latest;
    auto total = [&] {
        int64_t sum = 0;
        for (const auto& [bucket, n] : latest) {
            sum += n;
        }
        return sum;
    };
    testing::topic_tail tail(testing::real_client_config(), out, partitions);
    auto wait_for_counts = [&](int64_t expected) {
        const bool complete =
            tail.poll_until([&] { return total() >= expected; }, 90s,
                            [&](const rd_kafka_message_t& m) {
                                const std::string key(static_cast<const char*>(m.key), m.key_len);
                                int64_t n = 0;
                                std::from_chars(static_cast<const char*>(m.payload),
                                                static_cast<const char*>(m.payload) + m.len, n);
                                latest[key] = std::max(latest[key], n);
                            });
        ASSERT_TRUE(complete) << "counted " << total() << " of " << expected;
        EXPECT_EQ(total(), expected);
        EXPECT_EQ(latest.size(), static_cast<size_t>(buckets));
    };
    // Every record below the group's committed offset of a repartition partition gets
    // deleted; all records went through the topic, so the committed offsets are past them
    // (a transaction's marker may follow the last record).
    auto expect_purged_up_to_committed = [&](int64_t expected) {
        std::vector<int64_t> committed;
        std::vector<int64_t> start;
        const auto deadline = std::chrono::steady_clock::now() + 30s;
        do {
            std::this_thread::sleep_for(200ms);
            committed = testing::committed_offsets(testing::real_client_config(), app_id, topic,
                                                   partitions);
            start = testing::start_offsets(testing::real_client_config(), topic, partitions);
        } while (start != committed && std::chrono::steady_clock::now() < deadline);
        const std::vector<int64_t> end =
            testing::end_offsets(testing::real_client_config(), topic, partitions);
        int64_t purged = 0;
        for (int p = 0; p < partitions; ++p) {
            EXPECT_EQ(start[p], committed[p]) << "partition " << p;
            EXPECT_LE(committed[p], end[p]) << "partition " << p;
            purged += start[p];
        }
        EXPECT_GE(purged, expected) << "the repartition topic still holds processed records";
    };

    wait_for_counts(records);
    kafka::admin_client admin(testing::real_client_config());
    const std::map<std::string, std::string> configs = admin.topic_configs(topic, 30s);
    EXPECT_EQ(configs.at("retention.ms"), "-1");
    EXPECT_EQ(configs.at("cleanup.policy"), "delete");
    expect_purged_up_to_committed(records);

    // And again for records that come later: purging goes on while the app runs.
    produce_range(in, records, 2 * records, year_ago);
    wait_for_counts(2 * records);
    expect_purged_up_to_committed(2 * records);
    app.close(30s);
}

INSTANTIATE_TEST_SUITE_P(guarantees, repartition,
                         ::testing::Values("at_least_once", "exactly_once_v2"),
                         [](const auto& info) { return info.param; });

} // namespace
} // namespace brook
