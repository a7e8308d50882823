// word-count: counts the words of the lines in topic "lines" into topic "word-counts".
//
//   word-count [BOOTSTRAP]     (default: "embedded", librdkafka's in-process mock cluster)
//
// Creates both topics when they are missing, then runs until Ctrl-C or SIGTERM, commits
// and exits 0.

#include <chrono>
#include <exception>
#include <iostream>
#include <string>

#include "word_count_topology.h"

int main(int argc, char** argv) {
    using namespace std::chrono_literals;
    const std::string bootstrap = argc > 1 ? argv[1] : "embedded";
    try {
        const brook::streams_config config(
            {{"application.id", "word-count"}, {"bootstrap.servers", bootstrap}});
        brook::shutdown_signal stop; // before any thread starts, so all of them inherit it
        brook::provision_topics(
            config, {{.name = "lines", .partitions = 3}, {.name = "word-counts", .partitions = 3}});
        brook::kafka_streams app(word_count_topology("lines", "word-counts"), config);
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
