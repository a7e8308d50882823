// The orders example (brook-orders) through the topology test driver: enrichment from the
// customers table, unknown customers dead-lettered with the reason, payments matched within
// the window, unpaid orders reported once after the window and grace, and unreadable
// records dead-lettered.

#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "apps/orders/orders_topology.h"
#include "engine/serde/json_serde.h"
#include "engine/testing/topology_test_driver.h"
#include "operators/stream_builder.h"

namespace brook {
namespace {

using namespace std::chrono_literals;

struct orders_driver {
    orders_driver()
        : driver(make(), {{"application.id", "orders"},
                          {"statestore.cache.max.bytes", "0"},
                          {"default.deserialization.exception.handler", "dead_letter"}}) {}
    static topology make() {
        stream_builder b;
        apps::orders_options o;
        o.payment_window = 10min;
        o.grace = 1min;
        apps::build_orders_topology(b, o);
        return b.build();
    }
    void order(const std::string& id, const std::string& customer, int64_t cents, int64_t ts) {
        orders.pipe_input(
            id,
            nlohmann::json{{"order_id", id}, {"customer_id", customer}, {"amount_cents", cents}}
                .dump(),
            ts);
    }
    void pay(const std::string& id, int64_t cents, int64_t ts) {
        payments.pipe_input(id, nlohmann::json{{"order_id", id}, {"amount_cents", cents}}.dump(),
                            ts);
    }
    std::vector<nlohmann::json> read(const std::string& topic) {
        std::vector<nlohmann::json> out;
        for (auto& v :
             driver.create_output_topic<std::string, std::string>(topic).read_values_to_list()) {
            out.push_back(nlohmann::json::parse(v));
        }
        return out;
    }

    topology_test_driver driver;
    test_input_topic<std::string, std::string> orders =
        driver.create_input_topic<std::string, std::string>("orders");
    test_input_topic<std::string, std::string> customers =
        driver.create_input_topic<std::string, std::string>("customers");
    test_input_topic<std::string, std::string> payments =
        driver.create_input_topic<std::string, std::string>("payments");
};

constexpr int64_t minute = 60'000;

TEST(orders_example, orders_are_enriched_and_unknown_customers_are_dead_lettered) {
    orders_driver d;
    d.customers.pipe_input("c1", R"({"name":"Ada","tier":"gold"})", 0);
    d.order("o1", "c1", 500, minute);
    d.order("o2", "c404", 700, minute);
    const auto enriched = d.read("orders-enriched");
    ASSERT_EQ(enriched.size(), 1u);
    EXPECT_EQ(enriched[0]["order_id"], "o1");
    EXPECT_EQ(enriched[0]["customer_name"], "Ada");
    EXPECT_EQ(enriched[0]["tier"], "gold");
    auto dlq = d.driver.create_output_topic<std::string, std::string>("orders.dlq");
    auto dead = dlq.read_record();
    EXPECT_EQ(dead.key, "c404");
    EXPECT_EQ(nlohmann::json::parse(dead.value)["order_id"], "o2");
    bool has_reason = false;
    for (const auto& h : dead.headers) {
        has_reason = has_reason ||
                     (h.second && h.second->find("unknown customer 'c404'") != std::string::npos);
    }
    EXPECT_TRUE(has_reason) << "the dead letter does not say why";
}

TEST(orders_example, payments_match_within_the_window_and_unpaid_orders_alert_once_it_closes) {
    orders_driver d;
    d.order("o1", "c1", 500, 0);
    d.order("o2", "c1", 900, 0);
    d.pay("o1", 500, 3 * minute);
    d.pay("o2", 900, 11 * minute); // 11 minutes after the order: outside the window
    auto statuses = d.read("order-payments");
    ASSERT_EQ(statuses.size(), 1u);
    EXPECT_EQ(statuses[0]["order_id"], "o1");
    EXPECT_EQ(statuses[0]["status"], "paid");
    EXPECT_EQ(statuses[0]["paid_cents"], 500);
    EXPECT_TRUE(d.read("order-alerts").empty()) << "alerted before the window and grace passed";

    d.order("o3", "c1", 100, 12 * minute); // stream time passes o2's window end + grace
    statuses = d.read("order-payments");
    ASSERT_EQ(statuses.size(), 1u);
    EXPECT_EQ(statuses[0]["order_id"], "o2");
    EXPECT_EQ(statuses[0]["status"], "unpaid");
    const auto alerts = d.read("order-alerts");
    ASSERT_EQ(alerts.size(), 1u);
    EXPECT_EQ(alerts[0]["order_id"], "o2");
}

TEST(orders_example, unreadable_records_go_to_the_dead_letter_topic_with_the_field_named) {
    orders_driver d;
    d.orders.pipe_input("o1", R"({"order_id":"o1","amount_cents":5})", 0);
    d.payments.pipe_input("o1", "not json", 0);
    d.orders.pipe_input("o2", R"({"order_id":"o2","customer_id":"c","amount_cents":-5})", 0);
    const std::vector<std::string> topics = d.driver.produced_topics();
    std::string dlq;
    for (const auto& t : topics) {
        if (t.find("dlq") != std::string::npos && t != "orders.dlq") {
            dlq = t;
        }
    }
    ASSERT_FALSE(dlq.empty()) << "nothing was dead-lettered";
    auto out = d.driver.create_output_topic<std::string, std::string>(dlq).read_records_to_list();
    ASSERT_EQ(out.size(), 3u);
    std::string reasons;
    for (const auto& r : out) {
        for (const auto& h : r.headers) {
            if (h.second) {
                reasons += *h.second + "\n";
            }
        }
    }
    EXPECT_NE(reasons.find("customer_id"), std::string::npos) << reasons;
    EXPECT_NE(reasons.find("negative"), std::string::npos) << reasons;
    EXPECT_NE(reasons.find("malformed JSON"), std::string::npos) << reasons;
}

TEST(orders_example, describe_shows_both_joins_and_their_stores) {
    const std::string d = orders_driver::make().describe();
    for (const char* part : {"enrich", "customers", "payments-this-windowed", "payments-this-join",
                             "payments-outer-other-join", "payments-this-join-store",
                             "payments-outer-shared-join-store", "enrich-left-repartition"}) {
        EXPECT_NE(d.find(part), std::string::npos) << part << " missing from\n" << d;
    }
}

} // namespace
} // namespace brook
