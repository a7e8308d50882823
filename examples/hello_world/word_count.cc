// word-count: counts the words of the lines in topic "lines" into topic "word-counts".
//
//   word-count [BOOTSTRAP]     (default: "embedded", librdkafka's in-process mock cluster)
//
// Runs until Ctrl-C or SIGTERM, then commits and exits 0.

#include <chrono>
#include <exception>
#include <iostream>
#include <string>

#include "word_count_topology.h"

int main(int argc, char** argv) {
    using namespace std::chrono_literals;
    const std::string bootstrap = argc > 1 ? argv[1] : "embedded";
    try {
        const brook::topology topology = word_count_topology("lines", "word-counts");
        brook::kafka_streams app(topology,
                                 brook::streams_config({{"application.id", "word-count"},
                                                        {"bootstrap.servers", bootstrap}}));
        brook::shutdown_signal stop;
        app.start();
        while (stop.wait(100ms) == 0) {
            if (app.state() == brook::streams_state::error) {
                std::cerr << "word-count: " << app.error_reason() << '\n';
                return 1;
            }
        }
        return app.close() ? 0 : 1;
    } catch (const std::exception& e) {
        std::cerr << "word-count: " << e.what() << '\n';
        return 1;
    }
}
