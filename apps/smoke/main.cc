// brook-smoke: the topology of Kafka Streams' SmokeTestClient as a program, so that
// Kafka's own StreamsSmokeTest driver can check Brook (scripts/kafka-smoke). See
// smoke_topology.h for what it computes.

#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "apps/common/app_cli.h"
#include "apps/common/app_runner.h"
#include "apps/smoke/smoke_topology.h"
#include "engine/runtime/shutdown_signal.h"
#include "operators/stream_builder.h"

int main(int argc, char** argv) {
    using namespace brook;

    shutdown_signal signals; // first, so every thread inherits the blocked signals
    apps::app_cli cli(
        "brook-smoke",
        "Runs the topology of Kafka Streams' SmokeTestClient over the topic data, writing "
        "echo, min, min-raw, min-suppressed, sws-raw, sws-suppressed, max, sum, cnt, dif, avg "
        "and tagg (fixed names, as Kafka's StreamsSmokeTest driver expects), under "
        "exactly_once_v2 unless told otherwise. With --partitions N it creates missing topics "
        "with N partitions.",
        {});
    if (auto error = cli.parse(argc, argv)) {
        std::cerr << "brook-smoke: " << *error << "\n\n" << cli.usage();
        return 2;
    }
    if (cli.help_requested()) {
        std::cout << cli.usage();
        return 0;
    }

    std::optional<streams_config> config;
    std::optional<topology> topo;
    std::vector<std::string> owned;
    try {
        config.emplace(cli.make_config(
            {{"application.id", "SmokeTest"}, {"processing.guarantee", "exactly_once_v2"}}));
        stream_builder builder;
        apps::build_smoke_topology(builder);
        topo.emplace(builder.build());
        int count = 0;
        const char* const* topics = apps::smoke_topics(&count);
        owned.assign(topics, topics + count);
    } catch (const std::exception& e) {
        std::cerr << "brook-smoke: configuration error: " << e.what() << "\n";
        return 2;
    }

    return apps::run_app({
        .program = "brook-smoke",
        .cli = &cli,
        .signals = &signals,
        .config = std::move(*config),
        .topo = &*topo,
        .owned_topics = owned,
        // The windowed aggregations of data write min, max, sum and cnt by the same key,
        // and the tables read back from them are joined: every topic in one partitioning.
        .copartitioned = {owned},
    });
}
