// While a transaction commits, the collector holds what tasks send and produces it later,
// in order and unchanged (keys, null values, headers, timestamps, partitions); or drops it
// when that transaction is aborted instead. Runs on the embedded mock cluster, which is
// enough here: nothing transactional is tested.

#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include "engine/errors.h"
#include "engine/kafka/embedded_cluster.h"
#include "engine/kafka/partition_reader.h"
#include "engine/runtime/kafka_clients.h"
#include "engine/runtime/kafka_record_collector.h"

namespace brook {
namespace {

using namespace std::chrono_literals;

TEST(record_collector_hold, held_records_are_produced_in_order_and_unchanged_on_release) {
    kafka::embedded_cluster cluster;
    cluster.create_topic("out", 2);
    const kafka::client_config base{{"bootstrap.servers", cluster.bootstrap_servers()}};
    {
        kafka_client_factory clients;
        uint64_t failed = 0;
        auto producer = clients.producer(base, [&](const delivery_report& r) {
            failed += r.error != RD_KAFKA_RESP_ERR_NO_ERROR ? 1 : 0;
        });
        kafka_record_collector collector(*producer);
        headers with_headers;
        with_headers.add("trace", "t-1");
        with_headers.add("empty", std::nullopt);
        collector.send("out", std::string_view("k0"), std::string_view("before"), 1000, {}, 1);
        collector.hold();
        collector.send("out", std::string_view("k1"), std::string_view("v1"), 1001, with_headers,
                       1);
        collector.send("out", std::nullopt, std::nullopt, 1002, {}, 1);
        collector.send("out", std::string_view(""), std::string_view("v3"), 1003, {}, 1);
        collector.send("out", std::string_view("other"), std::string_view("p0"), 1004, {}, 0);
        EXPECT_TRUE(collector.holding());
        EXPECT_EQ(collector.held_records(), 4U);
        EXPECT_GE(collector.held_bytes(), std::string("k1v1v3otherp0").size());
        EXPECT_EQ(collector.records_sent(), 1U) << "held records are not produced yet";
        collector.release_held();
        EXPECT_FALSE(collector.holding());
        EXPECT_EQ(collector.held_records(), 0U);
        EXPECT_EQ(collector.held_bytes(), 0U);
        EXPECT_EQ(collector.records_sent(), 5U);
        producer->flush(10s);
        EXPECT_EQ(failed, 0U);
    }
    const auto p1 = kafka::read_partition(base, "out", 1, "read_uncommitted");
    ASSERT_EQ(p1.size(), 4U);
    EXPECT_EQ(p1[0].value, "before");
    EXPECT_EQ(p1[1].key, "k1");
    EXPECT_EQ(p1[1].value, "v1");
    EXPECT_EQ(p1[1].timestamp, 1001);
    ASSERT_EQ(p1[1].headers.size(), 2U);
    EXPECT_EQ(p1[1].headers[0],
              (std::pair<std::string, std::optional<std::string>>{"trace", "t-1"}));
    EXPECT_EQ(p1[1].headers[1].first, "empty");
    EXPECT_EQ(p1[1].headers[1].second, std::nullopt);
    EXPECT_EQ(p1[2].key, std::nullopt);
    EXPECT_EQ(p1[2].value, std::nullopt);
    EXPECT_EQ(p1[2].timestamp, 1002);
    EXPECT_EQ(p1[3].key, "");
    EXPECT_EQ(p1[3].value, "v3");
    const auto p0 = kafka::read_partition(base, "out", 0, "read_uncommitted");
    ASSERT_EQ(p0.size(), 1U);
    EXPECT_EQ(p0[0].key, "other");
    EXPECT_EQ(p0[0].value, "p0");
}

TEST(record_collector_hold, a_record_of_time_0_or_less_is_refused_except_on_a_changelog) {
    // librdkafka writes timestamp 0 as "now": a repartition record of event time 0 would
    // come out at the current time and make its reader's later records late.
    kafka::embedded_cluster cluster;
    cluster.create_topic("out", 1);
    cluster.create_topic("app-store-changelog", 1);
    const kafka::client_config base{{"bootstrap.servers", cluster.bootstrap_servers()}};
    kafka_client_factory clients;
    auto producer = clients.producer(base, [](const delivery_report&) {});
    kafka_record_collector collector(*producer);
    collector.track_acked_offsets("app-store-changelog");
    for (const int64_t ts : {int64_t{0}, int64_t{-1}}) {
        try {
            collector.send("out", std::string_view("k"), std::string_view("v"), ts, {}, 0);
            ADD_FAILURE() << "timestamp " << ts << " was sent";
        } catch (const production_error& e) {
            EXPECT_NE(std::string(e.what()).find("librdkafka writes 0 as the current time"),
                      std::string::npos)
                << e.what();
        }
    }
    EXPECT_NO_THROW(collector.send("app-store-changelog", std::string_view("k"),
                                   std::string_view("v"), 0, {}, 0));
    EXPECT_NO_THROW(collector.send("out", std::string_view("k"), std::string_view("v"), 1, {}, 0));
    producer->flush(10s);
}

TEST(record_collector_hold, dropped_records_are_never_produced) {
    kafka::embedded_cluster cluster;
    cluster.create_topic("out", 1);
    const kafka::client_config base{{"bootstrap.servers", cluster.bootstrap_servers()}};
    {
        kafka_client_factory clients;
        auto producer = clients.producer(base, {});
        kafka_record_collector collector(*producer);
        collector.hold();
        collector.send("out", std::string_view("k"), std::string_view("aborted"), 1, {}, 0);
        collector.drop_held();
        EXPECT_FALSE(collector.holding());
        collector.send("out", std::string_view("k"), std::string_view("kept"), 2, {}, 0);
        collector.release_held(); // nothing held: produces nothing more
        producer->flush(10s);
        EXPECT_EQ(collector.records_sent(), 1U);
    }
    const auto records = kafka::read_partition(base, "out", 0, "read_uncommitted");
    ASSERT_EQ(records.size(), 1U);
    EXPECT_EQ(records[0].value, "kept");
}

} // namespace
} // namespace brook
