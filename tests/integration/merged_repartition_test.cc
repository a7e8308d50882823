// topology.optimization=merge.repartition.topics on the real broker, 2 instances under
// exactly_once_v2: brook-test-key-count in its merged mode re-keys every record once and
// counts it in one of two groupings (keys ending in an even digit, the others), which share
// one repartition topic. One instance is SIGKILLed while input flows, later SIGKILLed again
// while it starts and rejoins, and a burst follows an idle time (the schedule of
// write_through_kills_and_a_burst); every key's counts must rise by one per record with
// the last one equal to what the test wrote (key_count_cluster.h), and the application
// must have made one repartition topic.

#include <chrono>
#include <signal.h>

#include <gtest/gtest.h>

#include "engine/kafka/admin_client.h"
#include "tests/support/broker.h"
#include "tests/support/key_count_cluster.h"

namespace brook {
namespace {

using namespace std::chrono_literals;

TEST(merged_repartition_on_broker, two_groupings_share_one_topic_and_count_exactly_through_kills) {
    testing::key_count_cluster c("merged", 4, 5'000,
                                 {"processing.guarantee=exactly_once_v2", "brook.test.merged=true",
                                  "topology.optimization=merge.repartition.topics"});
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

    // One repartition topic for the two groupings, and a changelog for each count.
    kafka::admin_client admin(testing::real_client_config());
    int repartition_topics = 0;
    int changelogs = 0;
    for (const std::string& t : admin.topic_names(10s)) {
        if (!t.starts_with(c.application_id() + "-")) {
            continue;
        }
        repartition_topics += t.ends_with("-repartition") ? 1 : 0;
        changelogs += t.ends_with("-changelog") ? 1 : 0;
    }
    EXPECT_EQ(repartition_topics, 1);
    EXPECT_EQ(changelogs, 2);
    EXPECT_EQ(c.stop(0, SIGTERM), 0);
    EXPECT_EQ(c.stop(1, SIGTERM), 0);
}

} // namespace
} // namespace brook
