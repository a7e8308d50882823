// brook-test-fk-join: the application the foreign-key join test kills. It left-joins the
// table LEFT (value "<foreign key>|<payload>", foreign key "-" for none) with the table
// RIGHT on that foreign key and writes each result row to OUTPUT as
// "<payload>+<right row or null>" (a tombstone when the left row goes away). Runs until
// SIGTERM/SIGINT (then commits and exits 0) or until killed.
//
//   brook-test-fk-join BOOTSTRAP APPLICATION_ID LEFT RIGHT OUTPUT STATE_DIR [KEY=VALUE ...]
//
// KEY=VALUE pairs are added to the streams config. stderr gets "STATE <new state>" at
// every state change and "stream thread N: assigned tasks [...]" lines from the runtime.

#include <chrono>
#include <iostream>
#include <map>
#include <optional>
#include <string>

#include "engine/runtime/kafka_streams.h"
#include "engine/runtime/shutdown_signal.h"
#include "operators/stream_builder.h"

int main(int argc, char** argv) {
    using namespace brook;
    using namespace std::chrono_literals;
    if (argc < 7) {
        std::cerr << "usage: brook-test-fk-join BOOTSTRAP APPLICATION_ID LEFT RIGHT OUTPUT "
                     "STATE_DIR [KEY=VALUE ...]\n";
        return 2;
    }
    std::map<std::string, std::string> settings{{"application.id", argv[2]},
                                                {"bootstrap.servers", argv[1]},
                                                {"state.dir", argv[6]},
                                                {"consumer.session.timeout.ms", "6000"},
                                                {"consumer.heartbeat.interval.ms", "500"}};
    for (int i = 7; i < argc; ++i) {
        const std::string pair = argv[i];
        const size_t eq = pair.find('=');
        if (eq == std::string::npos || eq == 0) {
            std::cerr << "brook-test-fk-join: '" << pair << "' is not KEY=VALUE\n";
            return 2;
        }
        settings[pair.substr(0, eq)] = pair.substr(eq + 1);
    }
    try {
        stream_builder builder;
        auto left = builder.table<std::string, std::string>(argv[3]);
        auto right = builder.table<std::string, std::string>(argv[4]);
        left.left_join(
                right,
                [](const std::string& row) -> std::optional<std::string> {
                    const std::string fk = row.substr(0, row.find('|'));
                    return fk == "-" ? std::nullopt : std::optional<std::string>(fk);
                },
                [](const std::string& row, const std::optional<std::string>& other) {
                    const auto bar = row.find('|');
                    return (bar == std::string::npos ? std::string() : row.substr(bar + 1)) + "+" +
                           other.value_or("null");
                },
                "fk")
            .to_stream()
            .to(argv[5], produced<std::string, std::optional<std::string>>{});
        const topology topo = builder.build();
        streams_config config(settings);
        shutdown_signal signal;
        kafka_streams app(topo, config);
        app.set_state_listener([&](streams_state now, streams_state) {
            std::cerr << "STATE " << to_string(now) << std::endl;
        });
        app.start();
        while (signal.wait(50ms) == 0) {
            if (app.state() == streams_state::error) {
                std::cerr << "brook-test-fk-join: " << app.error_reason() << '\n';
                return 1;
            }
        }
        return app.close() ? 0 : 1;
    } catch (const std::exception& e) {
        std::cerr << "brook-test-fk-join: " << e.what() << '\n';
        return 1;
    }
}
