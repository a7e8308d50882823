// When librdkafka cannot name the rebalance protocol (rd_kafka_rebalance_protocol()
// returns null on error), the consumer falls back to what partition.assignment.strategy
// configures: cooperative only when it names the cooperative-sticky assignor.

#include <gtest/gtest.h>

#include "engine/kafka/consumer.h"

namespace brook::kafka {
namespace {

TEST(assignor_protocol, the_cooperative_sticky_assignor_is_recognised_in_any_list_position) {
    EXPECT_TRUE(names_cooperative_assignor("cooperative-sticky"));
    EXPECT_TRUE(names_cooperative_assignor(" cooperative-sticky "));
    EXPECT_TRUE(names_cooperative_assignor("range, cooperative-sticky"));
}

TEST(assignor_protocol, eager_assignors_and_an_empty_setting_are_not_cooperative) {
    EXPECT_FALSE(names_cooperative_assignor(""));
    EXPECT_FALSE(names_cooperative_assignor("range,roundrobin"));
    EXPECT_FALSE(names_cooperative_assignor("cooperative-stickyx"));
    EXPECT_FALSE(names_cooperative_assignor("sticky"));
}

} // namespace
} // namespace brook::kafka
