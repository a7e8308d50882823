#include "apps/orders/orders_topology.h"

#include <nlohmann/json.hpp>

#include "engine/serde/json_serde.h"
#include "operators/stream.h"
#include "operators/stream_builder.h"

namespace brook::apps {

namespace {

// Throws the JSON library's own error type, so the serde reports it like a missing field.
[[noreturn]] void refuse(const nlohmann::json& j, const std::string& what) {
    throw nlohmann::json::other_error::create(501, what, &j);
}

std::string non_empty(const nlohmann::json& j, const char* field) {
    std::string v = j.at(field).get<std::string>();
    if (v.empty()) {
        refuse(j, std::string("field '") + field + "' is empty");
    }
    return v;
}

int64_t amount(const nlohmann::json& j) {
    const int64_t v = j.at("amount_cents").get<int64_t>();
    if (v < 0) {
        refuse(j, "field 'amount_cents' is negative");
    }
    return v;
}

using text_serde = string_serde;

} // namespace

void to_json(nlohmann::json& j, const order& o) {
    j = {
        {"order_id", o.order_id}, {"customer_id", o.customer_id}, {"amount_cents", o.amount_cents}};
}
void from_json(const nlohmann::json& j, order& o) {
    o.order_id = non_empty(j, "order_id");
    o.customer_id = non_empty(j, "customer_id");
    o.amount_cents = amount(j);
}
void to_json(nlohmann::json& j, const customer& c) {
    j = {{"name", c.name}, {"tier", c.tier}};
}
void from_json(const nlohmann::json& j, customer& c) {
    c.name = non_empty(j, "name");
    c.tier = non_empty(j, "tier");
}
void to_json(nlohmann::json& j, const payment& p) {
    j = {{"order_id", p.order_id}, {"amount_cents", p.amount_cents}};
}
void from_json(const nlohmann::json& j, payment& p) {
    p.order_id = non_empty(j, "order_id");
    p.amount_cents = amount(j);
}
void to_json(nlohmann::json& j, const enriched_order& e) {
    j = e.o;
    j["customer_name"] = e.c.name;
    j["tier"] = e.c.tier;
}
void from_json(const nlohmann::json& j, enriched_order& e) {
    from_json(j, e.o);
    e.c.name = j.at("customer_name").get<std::string>();
    e.c.tier = j.at("tier").get<std::string>();
}
void to_json(nlohmann::json& j, const payment_status& s) {
    j = s.o;
    j["status"] = s.paid ? "paid" : "unpaid";
    j["paid_cents"] = s.paid ? nlohmann::json(s.paid->amount_cents) : nlohmann::json(nullptr);
}
void from_json(const nlohmann::json& j, payment_status& s) {
    from_json(j, s.o);
    s.paid.reset();
    if (j.at("status").get<std::string>() == "paid") {
        s.paid = payment{s.o.order_id, j.at("paid_cents").get<int64_t>()};
    }
}

std::string orders_dead_letter_topic(const std::string& orders_topic) {
    return orders_topic + ".dlq";
}

void build_orders_topology(stream_builder& b, const orders_options& options) {
    auto orders = b.stream<std::string, order>(
        {options.orders_topic},
        consumed<std::string, order, text_serde, json_serde<order>>{.name = "orders-source"});
    auto payments = b.stream<std::string, payment>(
        {options.payments_topic},
        consumed<std::string, payment, text_serde, json_serde<payment>>{.name = "payments-source"});
    materialized<std::string, customer, text_serde, json_serde<customer>> table_store;
    table_store.store_name = orders_customers_store;
    auto customers = b.table<std::string, customer>(
        options.customers_topic,
        consumed<std::string, customer, text_serde, json_serde<customer>>{.name =
                                                                              "customers-source"},
        table_store);

    // Enrichment: re-keyed by customer, repartitioned, looked up in the table. An order whose
    // customer is not (yet) in the table goes to the orders' dead-letter topic.
    struct lookup {
        order o;
        std::optional<customer> c;
    };
    auto looked_up =
        orders
            .select_key([](const std::string&, const order& o) { return o.customer_id; },
                        "order-by-customer")
            .left_join(
                customers,
                [](const order& o, const std::optional<customer>& c) {
                    return lookup{o, c};
                },
                joined<std::string, order, text_serde, json_serde<order>>{.name = "enrich"})
            .split("enrich-")
            .branch([](const std::string&, const lookup& l) { return l.c.has_value(); }, "known")
            .default_branch("unknown-customer");
    looked_up.at("enrich-known")
        .map_values(
            [](const lookup& l) {
                return enriched_order{l.o, *l.c};
            },
            "enriched")
        .to(options.enriched_topic,
            produced<std::string, enriched_order, text_serde, json_serde<enriched_order>>{
                .name = "enriched-sink"});
    looked_up.at("enrich-unknown-customer")
        .with_dead_letter_headers(
            [](const std::string& customer_id, const lookup&) {
                return "unknown customer '" + customer_id + "'";
            },
            "unknown-customer-headers")
        .map_values([](const lookup& l) { return l.o; }, "unknown-customer-order")
        .to(orders_dead_letter_topic(options.orders_topic),
            produced<std::string, order, text_serde, json_serde<order>>{
                .name = "unknown-customer-sink"});

    // Payment matching on the order id: paid once per matching payment, unpaid once when
    // the window has closed with no payment.
    auto statuses = orders.left_join(
        payments,
        [](const order& o, const std::optional<payment>& p) {
            return payment_status{o, p};
        },
        join_windows::of_time_difference_and_grace(options.payment_window, options.grace),
        stream_joined<std::string, order, payment, text_serde, json_serde<order>,
                      json_serde<payment>>{.name = "payments"});
    statuses.to(options.payments_out_topic,
                produced<std::string, payment_status, text_serde, json_serde<payment_status>>{
                    .name = "payments-sink"});
    statuses.filter([](const std::string&, const payment_status& s) { return !s.paid; }, "unpaid")
        .to(options.alerts_topic,
            produced<std::string, payment_status, text_serde, json_serde<payment_status>>{
                .name = "alerts-sink"});
}

} // namespace brook::apps
