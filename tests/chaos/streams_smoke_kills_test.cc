// Chaos for the smoke topologies: Kafka Streams' own smoke-test drivers against 2 Brook
// instances under exactly_once_v2 (brook-smoke, and brook-relational-smoke with its
// foreign-key join), instance 1 SIGKILLed twice while the driver writes its input and
// restarted at once on the same state directory; the drivers' checks must still pass
// (smoke_scenario.h).

#include <gtest/gtest.h>

#include "tests/support/chaos_seed.h"
#include "tests/support/smoke_scenario.h"

namespace brook {
namespace {

TEST(streams_smoke_chaos, kafka_streams_smoke_driver_passes_when_an_instance_is_killed_twice) {
    testing::run_smoke_scenario({.kills = 2, .seed = testing::chaos_seed()});
}

TEST(streams_smoke_chaos, relational_smoke_driver_passes_when_an_instance_is_killed_twice) {
    testing::run_smoke_scenario({.relational = true, .kills = 2, .seed = testing::chaos_seed()});
}

} // namespace
} // namespace brook
