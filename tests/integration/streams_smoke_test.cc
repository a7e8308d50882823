// Kafka Streams' own smoke-test driver (StreamsSmokeTest from the kafka-streams test jar,
// scripts/kafka-smoke) against 2 brook-smoke instances under exactly_once_v2: its report
// must say SUCCESS with every record delivered exactly once (smoke_scenario.h). Needs a
// JDK 17+ and Maven, as `make test` does.

#include <gtest/gtest.h>

#include "tests/support/smoke_scenario.h"

namespace brook {
namespace {

TEST(streams_smoke, kafka_streams_smoke_driver_passes_against_two_instances_exactly_once) {
    testing::run_smoke_scenario({});
}

} // namespace
} // namespace brook
