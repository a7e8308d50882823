// brook-test-key-count: the application the failover tests kill. It counts records per key
// in a persistent key-value store ("counts", logged to its changelog) and writes every
// updated count to OUTPUT as "<key>" -> "<count>". Runs until SIGTERM/SIGINT (then commits
// and exits 0) or until killed.
//
//   brook-test-key-count BOOTSTRAP APPLICATION_ID INPUT OUTPUT STATE_DIR [KEY=VALUE ...]
//
// KEY=VALUE pairs are added to the streams config (processing.guarantee,
// num.standby.replicas, application.server, ...), except brook.test.cogroup=true, which
// counts through a cogroup instead: keys ending in an even digit straight from INPUT, the
// others re-keyed (so repartitioned) first, both adding 1 to one "counts" store, and
// brook.test.merged=true, which re-keys every record once and counts keys ending in an
// even digit in "counts", the others in "counts-odd": two groupings after one key change,
// which share one repartition topic under topology.optimization=merge.repartition.topics.
//
// For the test to read: stderr gets "STATE <new state> <wall ms>" at every state change;
// STATE_DIR/restores.log gets "<wall ms> <changelog topic> <partition> <records restored>"
// each time an active task's store finishes restoring.

#include <chrono>
#include <iostream>
#include <map>
#include <mutex>
#include <string>

#include <fmt/format.h>

#include "engine/runtime/kafka_streams.h"
#include "engine/runtime/shutdown_signal.h"
#include "operators/stream_builder.h"
#include "tests/apps/restore_log.h"

namespace {

int64_t wall_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

} // namespace

int main(int argc, char** argv) {
    using namespace brook;
    using namespace std::chrono_literals;
    if (argc < 6) {
        std::cerr << "usage: brook-test-key-count BOOTSTRAP APPLICATION_ID INPUT OUTPUT "
                     "STATE_DIR [KEY=VALUE ...]\n";
        return 2;
    }
    std::map<std::string, std::string> settings{{"application.id", argv[2]},
                                                {"bootstrap.servers", argv[1]},
                                                {"state.dir", argv[5]},
                                                {"consumer.session.timeout.ms", "6000"},
                                                {"consumer.heartbeat.interval.ms", "500"}};
    for (int i = 6; i < argc; ++i) {
        const std::string pair = argv[i];
        const size_t eq = pair.find('=');
        if (eq == std::string::npos || eq == 0) {
            std::cerr << "brook-test-key-count: '" << pair << "' is not KEY=VALUE\n";
            return 2;
        }
        settings[pair.substr(0, eq)] = pair.substr(eq + 1);
    }
    const bool cogroup = settings["brook.test.cogroup"] == "true";
    const bool merged = settings["brook.test.merged"] == "true";
    settings.erase("brook.test.cogroup");
    settings.erase("brook.test.merged");
    try {
        stream_builder builder;
        auto input = builder.stream<std::string, std::string>({argv[3]});
        auto even = [](const std::string& key, const std::string&) {
            return !key.empty() && (key.back() - '0') % 2 == 0;
        };
        auto counts = [&] {
            if (merged) {
                auto rekeyed = input.select_key(
                    [](const std::string& key, const std::string&) { return key; });
                auto odd = rekeyed.filter_not(even).group_by_key().count(
                    materialized<std::string, int64_t>::as("counts-odd"));
                odd.to_stream()
                    .map_values([](const int64_t& n) { return std::to_string(n); })
                    .to(argv[4]);
                return rekeyed.filter(even).group_by_key().count(
                    materialized<std::string, int64_t>::as("counts"));
            }
            if (!cogroup) {
                return input.group_by_key().count(materialized<std::string, int64_t>::as("counts"));
            }
            auto plus_one = [](const std::string&, const std::string&, int64_t n) { return n + 1; };
            auto rekeyed =
                input.filter_not(even)
                    .select_key([](const std::string& key, const std::string&) { return key; })
                    .group_by_key();
            return input.filter(even)
                .group_by_key()
                .cogroup<int64_t>(plus_one)
                .cogroup(rekeyed, plus_one)
                .aggregate([] { return int64_t{0}; },
                           materialized<std::string, int64_t>::as("counts"));
        }();
        counts.to_stream()
            .map_values([](const int64_t& n) { return std::to_string(n); })
            .to(argv[4]);
        streams_config config(settings);
        const topology topo = builder.build(config);
        shutdown_signal signal;
        test_apps::restore_log restores(std::string(argv[5]) + "/restores.log", true);
        std::mutex out;
        kafka_streams app(topo, config);
        app.set_global_state_restore_listener(&restores);
        app.set_state_listener([&](streams_state now, streams_state) {
            std::lock_guard lock(out);
            std::cerr << "STATE " << to_string(now) << ' ' << wall_ms() << std::endl;
        });
        app.start();
        while (signal.wait(50ms) == 0) {
            if (app.state() == streams_state::error) {
                std::cerr << "brook-test-key-count: " << app.error_reason() << '\n';
                return 1;
            }
        }
        return app.close() ? 0 : 1;
    } catch (const std::exception& e) {
        std::cerr << "brook-test-key-count: " << e.what() << '\n';
        return 1;
    }
}
