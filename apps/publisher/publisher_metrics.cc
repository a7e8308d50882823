#include "apps/publisher/publisher_metrics.h"

namespace brook::apps {

void write_publisher_metrics(prometheus_writer& w, const publisher::publisher_stats& s) {
    using t = prometheus_type;
    w.single("brook_publisher_events_accepted_total", t::counter,
             "Events publish() accepted into the outbox.", s.accepted);
    w.single("brook_publisher_events_rejected_total", t::counter,
             "Events publish() rejected (bad topic, too large, closed, outbox failure).",
             s.rejected);
    w.single("brook_publisher_events_delivered_total", t::counter,
             "Events Kafka acknowledged on their topic.", s.delivered);
    w.single("brook_publisher_events_dead_lettered_total", t::counter,
             "Events written to their dead-letter topic after the last attempt.", s.dead_lettered);
    w.single("brook_publisher_delivery_failures_total", t::counter,
             "Delivery attempts that failed and were counted against an event.", s.failed_attempts);
    w.single("brook_publisher_delivery_timeouts_total", t::counter,
             "Events not acknowledged within the delivery timeout (counted by the breaker).",
             s.delivery_timeouts);
    w.single("brook_publisher_producer_restarts_total", t::counter,
             "Fatal producer errors recovered by creating a new producer.", s.producer_restarts);
    w.single("brook_publisher_order_violations_total", t::counter,
             "Later events of a key acknowledged before an earlier one (expected 0).",
             s.order_violations);
    w.single("brook_publisher_events_pending", t::gauge,
             "Events in the outbox not yet acknowledged, in flight included.", s.pending);
    w.single("brook_publisher_events_in_flight", t::gauge,
             "Events handed to the producer without a delivery report yet.", s.in_flight);
    w.single("brook_publisher_events_quarantined", t::gauge,
             "Outbox entries that could not be decoded and were set aside.", s.quarantined);

    w.family("brook_publisher_breaker_state", t::gauge,
             "The circuit breaker's state: 1 for the current one.");
    for (const auto state : {publisher::breaker_state::closed, publisher::breaker_state::open,
                             publisher::breaker_state::half_open}) {
        w.sample("brook_publisher_breaker_state", {{"state", publisher::to_string(state)}},
                 s.breaker.state == state ? 1 : 0);
    }
    w.family("brook_publisher_breaker_transitions_total", t::counter,
             "Circuit breaker transitions, by the state entered.");
    w.sample("brook_publisher_breaker_transitions_total", {{"to", "open"}}, s.breaker.opened);
    w.sample("brook_publisher_breaker_transitions_total", {{"to", "half_open"}},
             s.breaker.half_opened);
    w.sample("brook_publisher_breaker_transitions_total", {{"to", "closed"}}, s.breaker.closed);
    w.single("brook_publisher_breaker_calls_not_permitted_total", t::counter,
             "Sends the circuit breaker refused while open or out of probes.",
             s.breaker.not_permitted);
}

nlohmann::json publisher_stats_json(const publisher::publisher_stats& s) {
    return {
        {"accepted", s.accepted},
        {"rejected", s.rejected},
        {"pending", s.pending},
        {"in_flight", s.in_flight},
        {"delivered", s.delivered},
        {"dead_lettered", s.dead_lettered},
        {"failed_attempts", s.failed_attempts},
        {"delivery_timeouts", s.delivery_timeouts},
        {"producer_restarts", s.producer_restarts},
        {"quarantined", s.quarantined},
        {"order_violations", s.order_violations},
        {"last_error", s.last_error},
        {"breaker",
         {{"state", publisher::to_string(s.breaker.state)},
          {"opened", s.breaker.opened},
          {"half_opened", s.breaker.half_opened},
          {"closed", s.breaker.closed},
          {"not_permitted", s.breaker.not_permitted}}},
    };
}

} // namespace brook::apps
