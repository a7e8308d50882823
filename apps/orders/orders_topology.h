#pragma once

// The orders pipeline (brook-orders), the example of Brook's joins:
//
//   orders (key: order id)  --select_key(customer)--> join customers (table) --> orders-enriched
//                           \--left_join payments within the payment window --> order-payments
//                                                                 unpaid ones --> order-alerts
//
// - Enrichment, a stream-table join: each order looks up its customer (name, tier) in the
//   `customers` table as it stands when the order is processed. The orders are re-keyed by
//   customer id first, so they are repartitioned to meet the table's partitions. An order
//   whose customer is unknown is not dropped: it goes to "<orders topic>.dlq" with the
//   reason.
// - Payment matching, a stream-stream left join on the order id: an order and a payment
//   match when their event times are at most `payment_window` apart. Each match gives one
//   "paid" result; an order that no payment matches gives one "unpaid" result, and an
//   alert, once its window and grace have passed (by event time), never earlier.
//
// Inputs are JSON; a record that is not valid JSON of its shape (a missing or empty id, a
// negative amount) goes to the application's dead-letter topic with the reason (the app
// sets default.deserialization.exception.handler=dead_letter).

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json_fwd.hpp>

namespace brook {
class stream_builder;
}

namespace brook::apps {

inline constexpr const char* orders_customers_store = "customers";

struct order {
    std::string order_id;
    std::string customer_id;
    int64_t amount_cents = 0;
};

struct customer {
    std::string name;
    std::string tier;
};

struct payment {
    std::string order_id;
    int64_t amount_cents = 0;
};

// An order with its customer: what orders-enriched holds, keyed by customer id.
struct enriched_order {
    order o;
    customer c;
};

// What order-payments holds, keyed by order id: one "paid" result per matching payment,
// or one "unpaid" result for an order no payment matched.
struct payment_status {
    order o;
    std::optional<payment> paid;
};

// Each from_json throws nlohmann::json::exception (which the JSON serde reports as a
// serde_error naming the field) for a missing field, a wrong type, an empty id or a
// negative amount.
void to_json(nlohmann::json& j, const order& o);
void from_json(const nlohmann::json& j, order& o);
void to_json(nlohmann::json& j, const customer& c);
void from_json(const nlohmann::json& j, customer& c);
void to_json(nlohmann::json& j, const payment& p);
void from_json(const nlohmann::json& j, payment& p);
void to_json(nlohmann::json& j, const enriched_order& e);
void from_json(const nlohmann::json& j, enriched_order& e);
void to_json(nlohmann::json& j, const payment_status& s);
void from_json(const nlohmann::json& j, payment_status& s);

struct orders_options {
    std::string orders_topic = "orders";
    std::string customers_topic = "customers";
    std::string payments_topic = "payments";
    std::string enriched_topic = "orders-enriched";
    std::string payments_out_topic = "order-payments";
    std::string alerts_topic = "order-alerts";
    std::chrono::milliseconds payment_window{std::chrono::minutes(10)};
    std::chrono::milliseconds grace{std::chrono::minutes(1)};
};

// Adds the pipeline to `builder`. Throws topology_error for topic names the graph refuses.
void build_orders_topology(stream_builder& builder, const orders_options& options);

// "<topic>.dlq": where orders with an unknown customer go.
std::string orders_dead_letter_topic(const std::string& orders_topic);

} // namespace brook::apps
