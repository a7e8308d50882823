// brook-test-windowed-count: the application the exactly-once crash tests kill and
// restart. It counts records per key in tumbling event-time windows and emits each
// window's count once, when the window closes (emit-final), as "<key>@<window start>" ->
// "<count>". Runs until SIGTERM/SIGINT (then commits and exits 0) or until killed.
//
//   brook-test-windowed-count BOOTSTRAP APPLICATION_ID INPUT OUTPUT STATE_DIR GUARANTEE
//                             [WINDOW_MS GRACE_MS]
//
// Prints "RUNNING" on stdout once the application is RUNNING, for the test to wait on,
// and appends "<records restored>" to STATE_DIR/restores.log each time a store partition
// finishes restoring, so the test can see how much a restart replayed.

#include <chrono>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>

#include <fmt/format.h>

#include "engine/runtime/kafka_streams.h"
#include "engine/runtime/shutdown_signal.h"
#include "operators/stream_builder.h"
#include "tests/apps/restore_log.h"

int main(int argc, char** argv) {
    using namespace brook;
    using namespace std::chrono_literals;
    if (argc != 7 && argc != 9) {
        std::cerr << "usage: brook-test-windowed-count BOOTSTRAP APPLICATION_ID INPUT OUTPUT "
                     "STATE_DIR GUARANTEE [WINDOW_MS GRACE_MS]\n";
        return 2;
    }
    const std::string input = argv[3];
    const std::string output = argv[4];
    const auto window = std::chrono::milliseconds(argc == 9 ? std::stoll(argv[7]) : 1000);
    const auto grace = std::chrono::milliseconds(argc == 9 ? std::stoll(argv[8]) : 0);
    try {
        stream_builder builder;
        builder.stream<std::string, std::string>({input})
            .group_by_key()
            .windowed_by(time_windows::of_size_and_grace(window, grace))
            .emit_strategy(emit_strategy::on_window_close())
            .count(materialized<std::string, int64_t>::as("window-counts"))
            .to_stream()
            .map([](const windowed<std::string>& w, const int64_t& n) {
                return key_value<std::string, std::string>{fmt::format("{}@{}", w.key, w.start),
                                                           std::to_string(n)};
            })
            .to(output);
        const topology topo = builder.build();
        streams_config config({{"application.id", argv[2]},
                               {"bootstrap.servers", argv[1]},
                               {"state.dir", argv[5]},
                               {"processing.guarantee", argv[6]},
                               {"commit.interval.ms", "100"},
                               {"consumer.session.timeout.ms", "6000"},
                               {"consumer.heartbeat.interval.ms", "500"}});
        shutdown_signal signal;
        test_apps::restore_log restores(std::string(argv[5]) + "/restores.log", false);
        kafka_streams app(topo, config);
        app.set_global_state_restore_listener(&restores);
        app.start();
        bool announced = false;
        while (signal.wait(50ms) == 0) {
            const streams_state s = app.state();
            if (s == streams_state::error) {
                std::cerr << "brook-test-windowed-count: " << app.error_reason() << '\n';
                return 1;
            }
            if (s == streams_state::running && !announced) {
                std::cout << "RUNNING" << std::endl;
                announced = true;
            }
        }
        return app.close() ? 0 : 1;
    } catch (const std::exception& e) {
        std::cerr << "brook-test-windowed-count: " << e.what() << '\n';
        return 1;
    }
}
