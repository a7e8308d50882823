#pragma once

// Orders by customer tier: a stream-table join, hourly windows and alerts.
//
//   customers (key: customer id, {"name", "tier"})          -> a table
//   orders    (key: order id, {"customer", "amount_cents"})
//     re-keyed by customer, left-joined with the table      -> "orders-enriched"
//     summed per customer and hour, once the hour closes    -> "customer-hourly-totals"
//     hours over the tier's limit                           -> "order-alerts"
//
// An order whose customer is not in the table yet keeps going with tier "unknown", which
// has the lowest limit. Values are JSON through <brook/json.h>: a record that is not JSON of
// its shape fails deserialization and goes where default.deserialization.exception.handler
// says (dead_letter in orders.cc).

#include <brook/brook.h>
#include <brook/json.h>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

struct customer {
    std::string name;
    std::string tier; // "gold", "silver" or anything else
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(customer, name, tier)

struct order {
    std::string customer;
    int64_t amount_cents = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(order, customer, amount_cents)

struct enriched_order {
    std::string order_id;
    int64_t amount_cents = 0;
    std::string tier;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(enriched_order, order_id, amount_cents, tier)

struct hourly_total {
    std::string tier;
    int64_t orders = 0;
    int64_t total_cents = 0;
    int64_t hour_start_ms = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(hourly_total, tier, orders, total_cents, hour_start_ms)

// The most a customer of `tier` may order in one hour before an alert.
inline int64_t hourly_limit_cents(const std::string& tier) {
    if (tier == "gold") {
        return 1'000'000;
    }
    if (tier == "silver") {
        return 200'000;
    }
    return 50'000;
}

inline brook::topology orders_topology() {
    using namespace brook;
    using namespace std::chrono_literals;
    stream_builder builder;
    auto customers = builder.table<std::string, customer>("customers");
    auto enriched =
        builder
            .stream<std::string, order>({"orders"})
            // The order id travels in the value: the key becomes the customer id.
            .map([](const std::string& order_id, const order& o) {
                return key_value<std::string, enriched_order>{o.customer,
                                                              {order_id, o.amount_cents, ""}};
            })
            .left_join(customers, [](const enriched_order& e, const std::optional<customer>& c) {
                enriched_order out = e;
                out.tier = c ? c->tier : "unknown";
                return out;
            });
    enriched.to("orders-enriched");

    auto totals = enriched.group_by_key()
                      .windowed_by(time_windows::of_size_and_grace(1h, 5min))
                      .emit_strategy(emit_strategy::on_window_close())
                      .aggregate([] { return hourly_total{}; },
                                 [](const std::string&, const enriched_order& e, hourly_total t) {
                                     t.tier = e.tier; // the latest order's tier
                                     t.orders += 1;
                                     t.total_cents += e.amount_cents;
                                     return t;
                                 })
                      .to_stream()
                      .map([](const windowed<std::string>& w, hourly_total t) {
                          t.hour_start_ms = w.start;
                          return key_value<std::string, hourly_total>{w.key, t};
                      });
    totals.to("customer-hourly-totals");
    totals
        .filter([](const std::string&, const hourly_total& t) {
            return t.total_cents > hourly_limit_cents(t.tier);
        })
        .to("order-alerts");
    return builder.build();
}
