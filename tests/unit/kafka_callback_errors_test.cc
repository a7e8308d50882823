// Exceptions thrown by user callbacks never unwind through librdkafka's C frames: they
// come back out of the call that ran the callback.

#include <gtest/gtest.h>

#include "engine/kafka/consumer.h"
#include "engine/kafka/embedded_cluster.h"
#include "engine/kafka/producer.h"

namespace brook::kafka {
namespace {

using namespace std::chrono_literals;

TEST(kafka_callback_errors, a_throwing_delivery_callback_is_rethrown_from_flush) {
    embedded_cluster cluster;
    cluster.create_topic("t", 1);
    producer p(client_config{{"bootstrap.servers", cluster.bootstrap_servers()}},
               [](const rd_kafka_message_t&) { throw std::runtime_error("callback failed"); });
    p.produce("t", 0, "k", "v");
    EXPECT_THROW(
        {
            try {
                p.flush(10s);
            } catch (const std::runtime_error& e) {
                EXPECT_STREQ(e.what(), "callback failed");
                throw;
            }
        },
        std::runtime_error);
    EXPECT_NO_THROW(p.flush(10s)) << "an error is rethrown once";
}

class throwing_listener final : public rebalance_listener {
public:
    void on_assigned(const rd_kafka_topic_partition_list_t&) override {
        throw std::runtime_error("cannot take these partitions");
    }
    void on_revoked(const rd_kafka_topic_partition_list_t&) override {}
};

TEST(kafka_callback_errors, a_throwing_rebalance_listener_is_rethrown_from_poll) {
    embedded_cluster cluster;
    cluster.create_topic("t", 2);
    throwing_listener listener;
    consumer c(client_config{{"bootstrap.servers", cluster.bootstrap_servers()},
                             {"group.id", "callback-test"},
                             {"partition.assignment.strategy", "cooperative-sticky"}},
               &listener);
    c.subscribe({"t"});
    bool thrown = false;
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (!thrown && std::chrono::steady_clock::now() < deadline) {
        try {
            std::vector<message_ptr> batch;
            c.poll_batch(batch, 10, 100ms);
        } catch (const std::runtime_error& e) {
            EXPECT_STREQ(e.what(), "cannot take these partitions");
            thrown = true;
        }
    }
    EXPECT_TRUE(thrown) << "the listener's exception never came out of poll_batch";
}

} // namespace
} // namespace brook::kafka
