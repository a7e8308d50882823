// The embedded mock cluster is the demo default: records produced to it can be consumed
// back, and "embedded" resolves to its address.

#include <gtest/gtest.h>

#include "engine/kafka/embedded_cluster.h"
#include "engine/kafka/partition_reader.h"
#include "engine/kafka/producer.h"

namespace brook::kafka {
namespace {

using namespace std::chrono_literals;

TEST(embedded_cluster, records_produced_can_be_read_back_in_order) {
    embedded_cluster cluster;
    cluster.create_topic("demo", 2);
    const client_config base{{"bootstrap.servers", cluster.bootstrap_servers()}};
    {
        producer p(base);
        for (int i = 0; i < 100; ++i) {
            p.produce("demo", 1, "k", "v" + std::to_string(i));
        }
        p.flush(10s);
        EXPECT_EQ(p.failed_deliveries(), 0U);
    }
    const auto records = kafka::read_partition(base, "demo", 1, "read_uncommitted");
    ASSERT_EQ(records.size(), 100U);
    for (int i = 0; i < 100; ++i) {
        EXPECT_EQ(records[static_cast<size_t>(i)].value, "v" + std::to_string(i));
        EXPECT_EQ(records[static_cast<size_t>(i)].offset, i);
    }
}

TEST(embedded_cluster, the_word_embedded_resolves_to_the_shared_cluster) {
    const std::string resolved = resolve_bootstrap("embedded");
    EXPECT_EQ(resolved, embedded_cluster::shared()->bootstrap_servers());
    EXPECT_NE(resolved, "embedded");
    EXPECT_EQ(resolve_bootstrap("127.0.0.1:9092"), "127.0.0.1:9092");
}

} // namespace
} // namespace brook::kafka
