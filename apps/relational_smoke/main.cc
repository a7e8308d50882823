// brook-relational-smoke: the topology of Kafka Streams' RelationalSmokeTest as a program,
// so that Kafka's own driver can check Brook's foreign-key join (scripts/kafka-smoke
// relational-driver). See relational_topology.h for what it computes.

#include <iostream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "apps/common/app_cli.h"
#include "apps/common/app_runner.h"
#include "apps/relational_smoke/relational_topology.h"
#include "engine/runtime/shutdown_signal.h"
#include "operators/stream_builder.h"

int main(int argc, char** argv) {
    using namespace brook;

    shutdown_signal signals; // first, so every thread inherits the blocked signals
    apps::app_cli cli(
        "brook-relational-smoke",
        "Runs the topology of Kafka Streams' RelationalSmokeTest: articles (in-article) with "
        "their comment counts into out-augmented-article, and comments (in-comment) joined "
        "with their article on its id (a foreign-key join) into out-augmented-comment; fixed "
        "topic names, as Kafka's driver expects, under exactly_once_v2 unless told otherwise. "
        "With --partitions N it creates missing topics with N partitions.",
        {});
    if (auto error = cli.parse(argc, argv)) {
        std::cerr << "brook-relational-smoke: " << *error << "\n\n" << cli.usage();
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
        config.emplace(cli.make_config({{"application.id", "RelationalSmokeTest"},
                                        {"processing.guarantee", "exactly_once_v2"}}));
        stream_builder builder;
        apps::build_relational_topology(builder);
        topo.emplace(builder.build());
        owned.assign(std::begin(apps::relational_topics), std::end(apps::relational_topics));
    } catch (const std::exception& e) {
        std::cerr << "brook-relational-smoke: configuration error: " << e.what() << "\n";
        return 2;
    }

    return apps::run_app({
        .program = "brook-relational-smoke",
        .cli = &cli,
        .signals = &signals,
        .config = std::move(*config),
        .topo = &*topo,
        .owned_topics = owned,
        // The foreign-key join needs no co-partitioning: its internal topics take each
        // side's partition count.
        .copartitioned = {},
    });
}
