// brook-test-versioned-join: the application the versioned-join test kills. It reads
// PRICES as a table versioned for an hour and left-joins the stream ORDERS with it, with
// a grace period of 2 s, looking each order's product up as of the order's timestamp. It
// writes "<order value>|<price or null>" to OUTPUT under the order's key. Runs until
// SIGTERM/SIGINT (then commits and exits 0) or until killed.
//
//   brook-test-versioned-join BOOTSTRAP APPLICATION_ID PRICES ORDERS OUTPUT STATE_DIR
//                             [KEY=VALUE ...]
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
        std::cerr << "usage: brook-test-versioned-join BOOTSTRAP APPLICATION_ID PRICES ORDERS "
                     "OUTPUT STATE_DIR [KEY=VALUE ...]\n";
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
            std::cerr << "brook-test-versioned-join: '" << pair << "' is not KEY=VALUE\n";
            return 2;
        }
        settings[pair.substr(0, eq)] = pair.substr(eq + 1);
    }
    try {
        stream_builder builder;
        auto prices =
            builder.table(argv[3], consumed<std::string, std::string>{},
                          materialized<std::string, std::string>::as("prices-store").versioned(1h));
        joined<std::string, std::string> options;
        options.name = "enrich";
        options.grace_period = 2s;
        builder.stream<std::string, std::string>({argv[4]})
            .left_join(
                prices,
                [](const std::string& order, const std::optional<std::string>& price) {
                    return order + "|" + price.value_or("null");
                },
                options)
            .to(argv[5]);
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
                std::cerr << "brook-test-versioned-join: " << app.error_reason() << '\n';
                return 1;
            }
        }
        return app.close() ? 0 : 1;
    } catch (const std::exception& e) {
        std::cerr << "brook-test-versioned-join: " << e.what() << '\n';
        return 1;
    }
}
