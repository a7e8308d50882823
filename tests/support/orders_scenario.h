#pragma once

// The orders scenario: brook-orders with 2 instances of one application against the real
// broker, under exactly_once_v2; both joins must be exact while tasks move mid-backlog.
//
// Customers are written first (an hour before any order); once both instances hold tasks,
// orders and payments follow, each input in event-time order. Some orders name an unknown
// customer; payments come before, inside or outside each order's 10-minute window, and
// some orders get two. `stops` times during the backlog an instance gets `signal` and is
// started again, so its tasks move away and back. The scenario computes from its own input:
//   - orders-enriched: every order of a known customer, once, with the customer's tier;
//   - orders.dlq: every order of an unknown customer, once;
//   - order-payments: per order, one "paid" per payment within the window, or one
//     "unpaid" when there is none; order-alerts: the unpaid ones.
// One order far ahead on every partition (a "closer") moves stream time past every window
// so the last unpaid orders are emitted. Nothing may be missing, repeated or extra.
// Failures are reported with gtest assertions.

#include <signal.h>

namespace brook::testing {

struct orders_scenario {
    int signal = SIGTERM; // SIGTERM: a clean leave; SIGKILL: a crash
    int stops = 1;
};

void run_orders_scenario(const orders_scenario& scenario);

} // namespace brook::testing
