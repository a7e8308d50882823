// The embedded mock cluster is the demo default: records produced to it can be consumed
// back, "embedded" resolves to its address, and asking it whether a topic exists does not
// create the topic.

#include <gtest/gtest.h>

#include "engine/config/streams_config.h"
#include "engine/kafka/admin_client.h"
#include "engine/kafka/embedded_cluster.h"
#include "engine/kafka/partition_reader.h"
#include "engine/kafka/producer.h"
#include "engine/runtime/topic_provisioning.h"

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

TEST(embedded_cluster, asking_whether_a_topic_exists_does_not_create_it) {
    // Like a broker with auto.create.topics.enable=true (Kafka's default), the mock creates
    // a topic a metadata request names unless the client says not to. Brook's admin client
    // asks before it creates its internal topics; auto-created, a repartition topic had the
    // mock's 4 partitions, not its sub-topology's 3, and the layout no longer matched.
    embedded_cluster cluster;
    cluster.create_topic("there", 3);
    admin_client admin(client_config{{"bootstrap.servers", cluster.bootstrap_servers()}});
    EXPECT_EQ(admin.partition_count("missing", 5s), std::nullopt);
    EXPECT_EQ(admin.partition_count("missing", 5s), std::nullopt); // still missing
    EXPECT_EQ(admin.partition_count("there", 5s), 3);
}

TEST(embedded_cluster, provisioning_leaves_a_topic_that_exists_as_it_is) {
    // As on a real cluster: provision_topics creates what is missing only. On the demo
    // cluster a second call used to fail with TOPIC_ALREADY_EXISTS.
    const streams_config config(std::map<std::string, std::string>{
        {"application.id", "provision-twice"}, {"bootstrap.servers", "embedded"}});
    provision_topics(config, {{.name = "provisioned-twice", .partitions = 2}});
    EXPECT_NO_THROW(provision_topics(config, {{.name = "provisioned-twice", .partitions = 5},
                                              {.name = "provisioned-later", .partitions = 1}}));
    admin_client admin(client_config{{"bootstrap.servers", resolve_bootstrap("embedded")}});
    EXPECT_EQ(admin.partition_count("provisioned-twice", 5s), 2);
    EXPECT_EQ(admin.partition_count("provisioned-later", 5s), 1);
}

} // namespace
} // namespace brook::kafka
