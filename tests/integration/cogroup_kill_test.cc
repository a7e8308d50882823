// A cogroup on the real broker with 2 instances under exactly_once_v2, one SIGKILLed while
// input flows and started again at once, later SIGKILLed again while it starts and
// rejoins, and then a burst after the group sat idle: brook-test-key-count in its cogroup
// mode counts
// half the keys straight from the input and half through a repartition topic, both into
// one store, and every key's counts must rise by one per record with the last one equal
// to what the test wrote (key_count_cluster.h).

#include <chrono>
#include <signal.h>

#include <gtest/gtest.h>

#include "tests/support/key_count_cluster.h"

namespace brook {
namespace {

using namespace std::chrono_literals;

TEST(cogroup_on_broker, two_instances_count_exactly_through_kills_and_a_burst_after_idle) {
    testing::key_count_cluster c(
        "cogroup", 4, 5'000, {"processing.guarantee=exactly_once_v2", "brook.test.cogroup=true"});
    c.start(0);
    c.start(1);
    ASSERT_TRUE(testing::write_through_kills_and_a_burst(c));
    const auto r = c.check_output();
    EXPECT_EQ(r.records, r.expected_records) << "the output was not read to its end";
    EXPECT_EQ(r.keys_checked, c.keys());
    EXPECT_EQ(r.wrong_counts, 0) << "keys whose final count is not what was written";
    EXPECT_EQ(r.not_rising, 0) << "counts written twice or going back";
    for (const auto& e : r.examples) {
        ADD_FAILURE() << e;
    }
    EXPECT_EQ(c.stop(0, SIGTERM), 0);
    EXPECT_EQ(c.stop(1, SIGTERM), 0);
}

} // namespace
} // namespace brook
