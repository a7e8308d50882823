#pragma once

// The main() of the join test apps: parses
//
//   PROGRAM BOOTSTRAP APPLICATION_ID TOPIC... STATE_DIR [KEY=VALUE ...]
//
// (`topics` TOPIC arguments, named by `usage`), builds the topology with
// build(builder, first_topic_argument), and runs it until SIGTERM/SIGINT (then commits and
// exits 0), until the app fails (exit 1) or until killed. A short session timeout lets
// the tests' kills move tasks quickly. stderr gets "STATE <new state>" at every state
// change and the runtime's "stream thread N: assigned tasks [...]" lines.

#include <chrono>
#include <exception>
#include <iostream>
#include <map>
#include <string>

#include "engine/runtime/kafka_streams.h"
#include "engine/runtime/shutdown_signal.h"
#include "operators/stream_builder.h"

namespace brook::testing {

template <class Build>
int run_test_app(int argc, char** argv, const std::string& program, const std::string& usage,
                 int topics, Build build) {
    using namespace std::chrono_literals;
    const int state_dir = 3 + topics;
    if (argc <= state_dir) {
        std::cerr << "usage: " << program << " BOOTSTRAP APPLICATION_ID " << usage
                  << " STATE_DIR [KEY=VALUE ...]\n";
        return 2;
    }
    std::map<std::string, std::string> settings{{"application.id", argv[2]},
                                                {"bootstrap.servers", argv[1]},
                                                {"state.dir", argv[state_dir]},
                                                {"consumer.session.timeout.ms", "6000"},
                                                {"consumer.heartbeat.interval.ms", "500"}};
    for (int i = state_dir + 1; i < argc; ++i) {
        const std::string pair = argv[i];
        const size_t eq = pair.find('=');
        if (eq == std::string::npos || eq == 0) {
            std::cerr << program << ": '" << pair << "' is not KEY=VALUE\n";
            return 2;
        }
        settings[pair.substr(0, eq)] = pair.substr(eq + 1);
    }
    try {
        stream_builder builder;
        build(builder, argv + 3);
        streams_config config(settings);
        const topology topo = builder.build(config);
        shutdown_signal signal;
        kafka_streams app(topo, config);
        app.set_state_listener([&](streams_state now, streams_state) {
            std::cerr << "STATE " << to_string(now) << std::endl;
        });
        app.start();
        while (signal.wait(50ms) == 0) {
            if (app.state() == streams_state::error) {
                std::cerr << program << ": " << app.error_reason() << '\n';
                return 1;
            }
        }
        return app.close() ? 0 : 1;
    } catch (const std::exception& e) {
        std::cerr << program << ": " << e.what() << '\n';
        return 1;
    }
}

} // namespace brook::testing
