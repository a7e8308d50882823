// orders: the orders-by-tier topology (orders_topology.h) as a program, with the operator
// endpoint of Brook::ops.
//
//   orders [BOOTSTRAP [HTTP_PORT]]   (default: "embedded" and 8080)
//
// Creates its topics when they are missing, serves /metrics, /health, /ready, /topology and
// /stores on 127.0.0.1:HTTP_PORT, and runs until Ctrl-C or SIGTERM; then it commits and
// exits 0.

#include <brook/ops.h>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "orders_topology.h"

int main(int argc, char** argv) {
    using namespace std::chrono_literals;
    const std::string bootstrap = argc > 1 ? argv[1] : "embedded";
    uint16_t http_port = 8080;
    if (argc > 2) {
        const char* end = argv[2] + std::strlen(argv[2]);
        if (std::from_chars(argv[2], end, http_port).ptr != end) {
            std::cerr << "orders: HTTP_PORT must be a port number, got '" << argv[2] << "'\n";
            return 2;
        }
    }
    try {
        const brook::streams_config config(
            {{"application.id", "orders-by-tier"},
             {"bootstrap.servers", bootstrap},
             {"processing.guarantee", "exactly_once_v2"},
             {"default.deserialization.exception.handler", "dead_letter"}});
        brook::shutdown_signal stop; // before any thread starts, so all of them inherit it
        std::vector<brook::new_topic> topics;
        for (const std::string& name :
             {std::string("customers"), std::string("orders"), std::string("orders-enriched"),
              std::string("customer-hourly-totals"), std::string("order-alerts"),
              config.dead_letter_topic()}) {
            topics.push_back({.name = name, .partitions = 3});
        }
        brook::provision_topics(config, topics);
        // The co-partition check kafka_streams also makes at start, here with a message
        // about these two topics before anything else runs.
        brook::check_copartitioned(config, {{"orders", "customers"}});

        brook::kafka_streams app(orders_topology(), config);
        app.start();
        brook::ops_endpoint endpoint(app, {.http = {.address = "127.0.0.1", .port = http_port}});
        endpoint.start();
        std::cerr << "orders: serving http://127.0.0.1:" << endpoint.port() << "/metrics\n";
        while (stop.wait(100ms) == 0) {
            if (app.state() == brook::streams_state::error) {
                std::cerr << "orders: " << app.error_reason() << '\n';
                return 1;
            }
        }
        endpoint.stop();
        return app.close() ? 0 : 1;
    } catch (const std::exception& e) {
        std::cerr << "orders: " << e.what() << '\n';
        return 1;
    }
}
