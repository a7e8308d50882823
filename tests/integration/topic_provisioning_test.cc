// provision_topics and check_copartitioned (engine/runtime/topic_provisioning.h) on the
// real broker: what is missing is created as asked, what exists is left alone, and inputs
// that cannot meet in one task are refused with both names before anything runs.

#include <gtest/gtest.h>

#include "engine/config/streams_config.h"
#include "engine/errors.h"
#include "engine/kafka/admin_client.h"
#include "engine/runtime/topic_provisioning.h"
#include "tests/support/broker.h"

namespace brook {
namespace {

using namespace std::chrono_literals;

streams_config config_for_broker() {
    return streams_config({{"application.id", testing::unique_name("tp-app")},
                           {"bootstrap.servers", testing::real_bootstrap()},
                           {"replication.factor", "1"}});
}

TEST(topic_provisioning, creates_what_is_missing_and_leaves_what_exists) {
    const streams_config config = config_for_broker();
    const std::string existing = testing::unique_name("tp-existing");
    const std::string fresh = testing::unique_name("tp-fresh");
    const std::string compacted = testing::unique_name("tp-compacted");
    kafka::admin_client admin(testing::real_client_config());
    admin.create_topics({{existing, 2, 1, {}}}, 30s);

    provision_topics(
        config, {{.name = existing, .partitions = 5},
                 {.name = fresh, .partitions = 3},
                 {.name = compacted, .partitions = 1, .config = {{"cleanup.policy", "compact"}}}});
    EXPECT_EQ(admin.partition_count(existing, 30s), 2); // not changed to 5
    EXPECT_EQ(admin.partition_count(fresh, 30s), 3);
    EXPECT_EQ(admin.partition_count(compacted, 30s), 1);
    EXPECT_EQ(admin.topic_configs(compacted, 30s).at("cleanup.policy"), "compact");

    // Again: nothing to do, nothing thrown (two instances starting together do this).
    EXPECT_NO_THROW(provision_topics(config, {{.name = fresh, .partitions = 3}}));
}

TEST(topic_provisioning, a_topic_without_partitions_or_name_is_a_configuration_error) {
    const streams_config config = config_for_broker();
    EXPECT_THROW(
        provision_topics(config, {{.name = testing::unique_name("tp-zero"), .partitions = 0}}),
        config_error);
    EXPECT_THROW(provision_topics(config, {{.name = "", .partitions = 1}}), config_error);
}

TEST(topic_provisioning, inputs_with_different_partition_counts_are_refused_by_name) {
    const streams_config config = config_for_broker();
    const std::string a = testing::unique_name("tp-a");
    const std::string b = testing::unique_name("tp-b");
    const std::string c = testing::unique_name("tp-c");
    provision_topics(
        config,
        {{.name = a, .partitions = 4}, {.name = b, .partitions = 4}, {.name = c, .partitions = 3}});
    EXPECT_NO_THROW(check_copartitioned(config, {{a, b}, {c}}));
    try {
        check_copartitioned(config, {{a, b}, {b, c}});
        FAIL() << "check_copartitioned accepted 4 and 3 partitions";
    } catch (const config_error& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find("'" + b + "' (4 partitions)"), std::string::npos) << what;
        EXPECT_NE(what.find("'" + c + "' (3 partitions)"), std::string::npos) << what;
    }
    const std::string missing = testing::unique_name("tp-missing");
    try {
        check_copartitioned(config, {{a, missing}});
        FAIL() << "check_copartitioned accepted a topic that does not exist";
    } catch (const config_error& e) {
        EXPECT_NE(std::string(e.what()).find(missing), std::string::npos) << e.what();
    }
}

} // namespace
} // namespace brook
