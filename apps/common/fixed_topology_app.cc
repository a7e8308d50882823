#include "apps/common/fixed_topology_app.h"

#include <iostream>
#include <optional>

#include "apps/common/app_cli.h"
#include "apps/common/app_runner.h"
#include "engine/runtime/shutdown_signal.h"
#include "operators/stream_builder.h"

namespace brook::apps {

int run_fixed_topology_app(int argc, char** argv, const fixed_topology_app& app) {
    shutdown_signal signals; // first, so every thread inherits the blocked signals
    app_cli cli(app.program, app.description, {});
    if (auto error = cli.parse(argc, argv)) {
        std::cerr << app.program << ": " << *error << "\n\n" << cli.usage();
        return 2;
    }
    if (cli.help_requested()) {
        std::cout << cli.usage();
        return 0;
    }
    std::optional<streams_config> config;
    std::optional<topology> topo;
    try {
        config.emplace(cli.make_config(
            {{"application.id", app.application_id}, {"processing.guarantee", "exactly_once_v2"}}));
        stream_builder builder;
        app.build(builder);
        topo.emplace(builder.build(*config));
    } catch (const std::exception& e) {
        std::cerr << app.program << ": configuration error: " << e.what() << "\n";
        return 2;
    }
    return run_app({
        .program = app.program,
        .cli = &cli,
        .signals = &signals,
        .config = std::move(*config),
        .topo = &*topo,
        .owned_topics = app.topics,
        .copartitioned = app.copartitioned,
    });
}

} // namespace brook::apps
