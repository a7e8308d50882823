// A compacted topic keeps only the latest value per key once the log cleaner has run.
// The topic rolls segments every 100 ms and is always "dirty enough", and the broker's
// cleaner (scripts/kafka) looks for work every second, so this happens within seconds.

#include <map>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "engine/kafka/admin_client.h"
#include "engine/kafka/partition_reader.h"
#include "engine/kafka/producer.h"
#include "tests/support/broker.h"

namespace brook {
namespace {

using namespace std::chrono_literals;

TEST(compaction, compacted_topic_keeps_only_the_latest_value_per_key) {
    const std::string topic = testing::unique_name("compact");
    kafka::client_config base = testing::real_client_config();
    kafka::admin_client admin(base);
    admin.create_topics({{topic,
                          1,
                          1,
                          {{"cleanup.policy", "compact"},
                           {"segment.ms", "100"},
                           {"min.cleanable.dirty.ratio", "0.01"},
                           {"min.compaction.lag.ms", "0"},
                           {"delete.retention.ms", "100"}}}},
                        30s);

    kafka::client_config pc = base;
    pc.set("linger.ms", "0");
    kafka::producer producer(pc);
    constexpr int keys = 10;
    constexpr int versions = 3;
    for (int v = 1; v <= versions; ++v) {
        for (int k = 0; k < keys; ++k) {
            producer.produce(topic, 0, "key-" + std::to_string(k), "v" + std::to_string(v));
        }
        producer.flush(10s);
        std::this_thread::sleep_for(150ms);
    }
    // The cleaner never touches the active segment: one more record, written after
    // segment.ms, rolls the segment that holds every key's latest value.
    producer.produce(topic, 0, "roll", "roll");
    producer.flush(10s);
    ASSERT_EQ(producer.failed_deliveries(), 0U);

    // The cleaner may already be at work, so count offsets, which compaction never removes:
    // the log must have taken every one of the 31 records.
    const auto before = kafka::read_partition(base, topic, 0, "read_uncommitted");
    ASSERT_FALSE(before.empty());
    ASSERT_EQ(before.back().offset, keys * versions);

    // Poll until the cleaner has run; the bound is generous, the usual wait a few seconds.
    std::vector<kafka::read_record> after;
    const auto deadline = std::chrono::steady_clock::now() + 90s;
    do {
        std::this_thread::sleep_for(500ms);
        after = kafka::read_partition(base, topic, 0, "read_uncommitted");
    } while (after.size() > static_cast<size_t>(keys + 1) &&
             std::chrono::steady_clock::now() < deadline);

    std::map<std::string, std::vector<std::string>> by_key;
    for (const auto& r : after) {
        by_key[r.key.value_or("<null>")].push_back(r.value.value_or("<null>"));
    }
    ASSERT_EQ(after.size(), static_cast<size_t>(keys + 1))
        << "the log cleaner did not compact the topic within 90 s";
    for (int k = 0; k < keys; ++k) {
        EXPECT_EQ(by_key["key-" + std::to_string(k)], std::vector<std::string>{"v3"});
    }
    EXPECT_EQ(by_key["roll"], std::vector<std::string>{"roll"});
    admin.delete_topics({topic}, 30s);
}

} // namespace
} // namespace brook
