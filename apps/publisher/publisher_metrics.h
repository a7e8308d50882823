#pragma once

// The resilient publisher's counters as an operator sees them: Prometheus families for a
// /metrics route (add them to an ops_endpoint with add_metrics_source, or to any
// prometheus_writer) and a JSON object for logs and stats files.
//
//   ep.add_metrics_source([&](prometheus_writer& w) {
//       write_publisher_metrics(w, publisher.stats());
//   });
//
// Families (all prefixed brook_publisher_): events_{accepted,rejected,delivered,
// dead_lettered}_total, delivery_failures_total, delivery_timeouts_total,
// producer_restarts_total, order_violations_total, events_pending, events_in_flight,
// events_quarantined, breaker_state{state=closed|open|half_open} (1 for the current one),
// breaker_transitions_total{to=open|half_open|closed}, breaker_calls_not_permitted_total.
//
// Stateless functions; the engine's publisher knows nothing of Prometheus or HTTP, which
// is why this adapter lives with the apps.

#include <nlohmann/json.hpp>

#include "ops/prometheus_text.h"
#include "publisher/publisher_types.h"

namespace brook::apps {

// Writes the families above. Throws std::invalid_argument if `w` already has one of them.
void write_publisher_metrics(prometheus_writer& w, const publisher::publisher_stats& stats);

// {"accepted":..,"rejected":..,"pending":..,"in_flight":..,"delivered":..,
//  "dead_lettered":..,"failed_attempts":..,"delivery_timeouts":..,"producer_restarts":..,
//  "quarantined":..,"order_violations":..,"last_error":"..",
//  "breaker":{"state":"closed","opened":..,"half_opened":..,"closed":..,"not_permitted":..}}
nlohmann::json publisher_stats_json(const publisher::publisher_stats& stats);

} // namespace brook::apps
