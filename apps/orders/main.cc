// brook-orders: the orders pipeline as a program, Brook's example of joins. See
// orders_topology.h for what it does.

#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "apps/common/app_cli.h"
#include "apps/common/app_runner.h"
#include "apps/orders/orders_topology.h"
#include "engine/errors.h"
#include "engine/runtime/shutdown_signal.h"
#include "operators/stream_builder.h"

int main(int argc, char** argv) {
    using namespace brook;
    using namespace std::chrono_literals;

    shutdown_signal signals; // first, so every thread inherits the blocked signals
    apps::app_cli cli(
        "brook-orders",
        "Enriches JSON orders (key: order id) with their customer from the customers table "
        "(key: customer id) into orders-enriched, and matches each order with its payments "
        "(key: order id) within the payment window into order-payments: paid once per "
        "payment, or unpaid once the window and grace have passed, which also goes to "
        "order-alerts. Orders of unknown customers go to <orders topic>.dlq, unreadable "
        "records to the application's dead-letter topic, each with the reason.",
        {
            {"orders-topic", "input topic of orders", "orders"},
            {"customers-topic", "input topic of customers (a table)", "customers"},
            {"payments-topic", "input topic of payments", "payments"},
            {"enriched-topic", "orders with their customer", "orders-enriched"},
            {"payments-out-topic", "paid and unpaid results per order", "order-payments"},
            {"alerts-topic", "unpaid orders", "order-alerts"},
            {"payment-window", "how far apart an order and its payment may be", "10m"},
            {"grace", "how late a payment may arrive after its window", "1m"},
        });
    if (auto error = cli.parse(argc, argv)) {
        std::cerr << "brook-orders: " << *error << "\n\n" << cli.usage();
        return 2;
    }
    if (cli.help_requested()) {
        std::cout << cli.usage();
        return 0;
    }

    apps::orders_options options;
    std::optional<streams_config> config;
    std::optional<topology> topo;
    std::vector<std::string> owned;
    try {
        options.orders_topic = cli.get("orders-topic");
        options.customers_topic = cli.get("customers-topic");
        options.payments_topic = cli.get("payments-topic");
        options.enriched_topic = cli.get("enriched-topic");
        options.payments_out_topic = cli.get("payments-out-topic");
        options.alerts_topic = cli.get("alerts-topic");
        options.payment_window = cli.get_duration("payment-window", 0ms);
        options.grace = cli.get_duration("grace", 0ms);
        // A task waits up to 2 s for an input that has nothing yet while another has
        // records, so that orders meet the customers and payments written before them.
        config.emplace(
            cli.make_config({{"application.id", "brook-orders"},
                             {"max.task.idle.ms", "2000"},
                             {"default.deserialization.exception.handler", "dead_letter"},
                             {"default.production.exception.handler", "dead_letter"}}));
        const std::vector<apps::named_topic> inputs = {
            {options.orders_topic, "--orders-topic"},
            {options.customers_topic, "--customers-topic"},
            {options.payments_topic, "--payments-topic"}};
        std::vector<apps::named_topic> outputs = {
            {options.enriched_topic, "--enriched-topic"},
            {options.payments_out_topic, "--payments-out-topic"},
            {options.alerts_topic, "--alerts-topic"},
            {apps::orders_dead_letter_topic(options.orders_topic),
             "the dead-letter topic of --orders-topic"}};
        if (!config->dead_letter_topic().empty()) {
            outputs.push_back({config->dead_letter_topic(),
                               "the application's dead-letter topic "
                               "(errors.dead.letter.queue.topic.name)"});
        }
        apps::check_topics_do_not_feed_back(inputs, outputs);
        stream_builder builder;
        apps::build_orders_topology(builder, options);
        topo.emplace(builder.build(*config));
        std::vector<std::string> internal = topo->source_topics(config->application_id());
        const auto changelogs = topo->changelog_topics(config->application_id());
        internal.insert(internal.end(), changelogs.begin(), changelogs.end());
        apps::check_topics_do_not_feed_back({}, outputs, internal);
        for (const auto& t : inputs) {
            owned.push_back(t.topic);
        }
        for (const auto& t : outputs) {
            owned.push_back(t.topic);
        }
    } catch (const std::exception& e) {
        std::cerr << "brook-orders: configuration error: " << e.what() << "\n";
        return 2;
    }

    return apps::run_app({
        .program = "brook-orders",
        .cli = &cli,
        .signals = &signals,
        .config = std::move(*config),
        .topo = &*topo,
        .owned_topics = std::move(owned),
        // Payments meet their orders in one task. Customers may have another partition
        // count: the re-keyed orders' repartition topic is made with theirs.
        .copartitioned = {{options.orders_topic, options.payments_topic}},
    });
}
