// Kafka Streams' own smoke-test drivers (from the kafka-streams test jar, run by
// scripts/kafka-smoke) against 2 Brook instances under exactly_once_v2: StreamsSmokeTest
// against brook-smoke must report SUCCESS with every record delivered exactly once, and
// RelationalSmokeTest against brook-relational-smoke (foreign-key joins) must pass
// (smoke_scenario.h). Needs a JDK 17+ and Maven, as `make test` does.

#include <gtest/gtest.h>

#include "tests/support/smoke_scenario.h"

namespace brook {
namespace {

TEST(streams_smoke, kafka_streams_smoke_driver_passes_against_two_instances_exactly_once) {
    testing::run_smoke_scenario({});
}

TEST(streams_smoke, relational_smoke_driver_passes_foreign_key_joins_with_two_instances) {
    testing::run_smoke_scenario({.relational = true});
}

} // namespace
} // namespace brook
