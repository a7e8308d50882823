// Chaos for the joins: brook-orders with 2 instances under exactly_once_v2, SIGKILLed
// three times mid-backlog, alternating instances, each restarted at once; every enriched
// order, dead letter, paid and unpaid result and alert must still appear exactly once
// (orders_scenario.h).

#include <gtest/gtest.h>

#include "tests/support/orders_scenario.h"

namespace brook {
namespace {

TEST(orders_chaos, joins_stay_exact_when_instances_are_killed_mid_backlog) {
    testing::run_orders_scenario({.signal = SIGKILL, .stops = 3});
}

} // namespace
} // namespace brook
