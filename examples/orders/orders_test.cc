// The orders-by-tier topology through the topology test driver (no broker). The expected
// output is computed here from the test's own input: each order enriched with its
// customer's tier as the table stood when the order came, one total per customer and hour
// once the hour and its grace have passed, and an alert for each total over its limit. A
// record that is not JSON goes to the dead-letter topic, and nothing else is lost.

#include <brook/test_driver.h>
#include <cstdint>
#include <iostream>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "orders_topology.h"

namespace {

int failures = 0;

void check(bool ok, const std::string& what) {
    if (!ok) {
        std::cerr << "orders_test: " << what << '\n';
        ++failures;
    }
}

struct input_order {
    std::string id;
    order o;
    int64_t time_ms;
};

} // namespace

int main() {
    using namespace brook;
    constexpr int64_t hour = 3'600'000;
    constexpr int64_t grace = 300'000;
    topology_test_driver driver(orders_topology(),
                                {{"application.id", "orders-test"},
                                 {"statestore.cache.max.bytes", "0"},
                                 {"default.deserialization.exception.handler", "dead_letter"}});
    auto customers_in = driver.create_input_topic<std::string, customer>("customers");
    auto orders_in = driver.create_input_topic<std::string, order>("orders");
    auto raw_orders_in = driver.create_input_topic<std::string, std::string>("orders");

    const std::map<std::string, customer> customers{{"c1", {"Ada", "gold"}},
                                                    {"c2", {"Bo", "silver"}}};
    for (const auto& [id, c] : customers) {
        customers_in.pipe_input(id, c, 0);
    }
    const std::vector<input_order> orders{
        {"o1", {"c1", 600'000}, 1'000},      {"o2", {"c2", 150'000}, 2'000},
        {"o3", {"c2", 100'000}, 3'000},      {"o4", {"c3", 60'000}, 4'000}, // c3: not a customer
        {"o5", {"c1", 300'000}, 5'000},      {"o6", {"c2", 10'000}, hour + 1'000},
        {"o7", {"c1", 1}, 2 * hour + grace}, // closes the first two hours
    };
    for (const input_order& in : orders) {
        orders_in.pipe_input(in.id, in.o, in.time_ms);
    }
    raw_orders_in.pipe_input("o8", "{\"customer\": \"c1\", \"amount_cents\": ", 5'000);

    // What must come out, from the input above.
    std::vector<std::tuple<std::string, std::string, int64_t, std::string>> want_enriched;
    std::map<std::tuple<std::string, int64_t>, hourly_total> want_totals; // closed hours only
    const int64_t stream_time = orders.back().time_ms;
    for (const input_order& in : orders) {
        const auto c = customers.find(in.o.customer);
        const std::string tier = c == customers.end() ? "unknown" : c->second.tier;
        want_enriched.emplace_back(in.o.customer, in.id, in.o.amount_cents, tier);
        const int64_t start = in.time_ms / hour * hour;
        if (start + hour + grace <= stream_time) {
            hourly_total& t = want_totals[{in.o.customer, start}];
            t.tier = tier;
            t.orders += 1;
            t.total_cents += in.o.amount_cents;
            t.hour_start_ms = start;
        }
    }

    auto enriched = driver.create_output_topic<std::string, enriched_order>("orders-enriched")
                        .read_key_values_to_list();
    check(enriched.size() == want_enriched.size(), "enriched: wrong number of orders");
    for (size_t i = 0; i < enriched.size() && i < want_enriched.size(); ++i) {
        const auto& [customer_id, id, amount, tier] = want_enriched[i];
        check(enriched[i].key == customer_id && enriched[i].value.order_id == id &&
                  enriched[i].value.amount_cents == amount && enriched[i].value.tier == tier,
              "enriched: order " + id + " is wrong");
    }

    auto totals = driver.create_output_topic<std::string, hourly_total>("customer-hourly-totals")
                      .read_key_values_to_list();
    check(totals.size() == want_totals.size(), "totals: wrong number of closed hours");
    size_t alerts_wanted = 0;
    for (const auto& kv : totals) {
        const auto want = want_totals.find({kv.key, kv.value.hour_start_ms});
        check(want != want_totals.end() && want->second.orders == kv.value.orders &&
                  want->second.total_cents == kv.value.total_cents &&
                  want->second.tier == kv.value.tier,
              "totals: " + kv.key + " is wrong");
    }
    for (const auto& [key, t] : want_totals) {
        alerts_wanted += t.total_cents > hourly_limit_cents(t.tier) ? 1 : 0;
    }
    auto alerts = driver.create_output_topic<std::string, hourly_total>("order-alerts")
                      .read_key_values_to_list();
    check(alerts.size() == alerts_wanted, "alerts: wrong number");
    check(alerts_wanted == 2, "the input must exercise alerts (c2 and c3 over their limits)");
    for (const auto& kv : alerts) {
        check(kv.value.total_cents > hourly_limit_cents(kv.value.tier),
              "alerts: " + kv.key + " is under its limit");
    }

    auto dead = driver.create_output_topic<std::string, std::string>("orders-test-dlq")
                    .read_key_values_to_list();
    check(dead.size() == 1 && dead[0].key == "o8", "the malformed order is not dead-lettered");

    if (failures != 0) {
        return 1;
    }
    std::cout << "orders_test: ok (" << enriched.size() << " enriched, " << totals.size()
              << " hourly totals, " << alerts.size() << " alerts, 1 dead letter)\n";
    return 0;
}
