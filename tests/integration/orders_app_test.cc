// brook-orders with 2 instances against the real broker under exactly_once_v2, one of
// them leaving cleanly and rejoining mid-backlog: every output exact (orders_scenario.h).

#include <gtest/gtest.h>

#include "tests/support/orders_scenario.h"

namespace brook {
namespace {

TEST(orders_app, two_instances_join_exactly_once_with_a_rebalance_mid_backlog) {
    testing::run_orders_scenario({.signal = SIGTERM, .stops = 1});
}

} // namespace
} // namespace brook
