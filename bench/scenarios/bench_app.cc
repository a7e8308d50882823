// brook-bench-app: Brook's side of `brook-bench`, one scenario per process so that its
// memory is measured on its own. Same command line and stdout protocol as the Kafka
// Streams side (bench/kafka-streams/README.md), so the harness drives both alike:
//
//   brook-bench-app --scenario passthrough|metrics|windowed-count|count|stream-table-join|
//                   stream-stream-join|nexmark-q0|nexmark-q1|nexmark-q2|nexmark-q3|
//                   nexmark-q4|nexmark-q5|nexmark-q6|nexmark-q7|nexmark-q8|nexmark-q11
//       --bootstrap-servers HOST:PORT --application-id ID --input TOPIC --output TOPIC
//       [--dlq TOPIC] --guarantee at_least_once|exactly_once_v2 --commit-interval-ms N
//       --state-dir DIR [--window-ms 60000] [--grace-ms 10000] [--threads 1]
//       [--standbys 0] [--session-timeout-ms 45000]
//
// A Nexmark scenario's --input is PERSONS,AUCTIONS,BIDS: three topics, of which the query
// reads those it needs.
//
// stdout: `STATE <state>` on each change, `RESTORED <store> <records> <millis>` when a
// store partition finished restoring, `ERROR <message>`, and `EXIT` last. SIGTERM or
// SIGINT closes with a final commit. Settings matched with the Kafka Streams side: one
// stream thread unless --threads says more, linger.ms=5, batch.size=131072, a 10 MiB
// record cache, RocksDB stores.

#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <mutex>
#include <string>

#include <fmt/format.h>

#include "apps/metrics/metrics_topology.h"
#include "apps/nexmark/queries.h"
#include "base/log.h"
#include "engine/errors.h"
#include "engine/runtime/kafka_streams.h"
#include "engine/runtime/shutdown_signal.h"
#include "operators/stream_builder.h"

namespace {

using namespace brook;
using namespace std::chrono_literals;

std::mutex out_mutex;
void say(const std::string& line) {
    std::lock_guard lock(out_mutex);
    std::fputs((line + "\n").c_str(), stdout);
    std::fflush(stdout);
}

// Reports each store partition's restore once it ends, as the Kafka Streams side does.
class restore_reporter final : public state_restore_listener {
public:
    void on_restore_start(const std::string& topic, int32_t partition, const std::string&, int64_t,
                          int64_t) override {
        std::lock_guard lock(_mutex);
        _started[{topic, partition}] = std::chrono::steady_clock::now();
    }
    void on_batch_restored(const std::string&, int32_t, const std::string&, int64_t,
                           int64_t) override {}
    void on_restore_end(const std::string& topic, int32_t partition, const std::string& store,
                        int64_t total_restored) override {
        std::lock_guard lock(_mutex);
        const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::steady_clock::now() - _started[{topic, partition}])
                                .count();
        say(fmt::format("RESTORED {} {} {}", store, total_restored, millis));
    }

private:
    std::mutex _mutex;
    std::map<std::pair<std::string, int32_t>, std::chrono::steady_clock::time_point> _started;
};

std::string upper(std::string s) {
    for (char& c : s) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    return s;
}

topology build(const std::map<std::string, std::string>& a) {
    stream_builder b;
    const std::string& scenario = a.at("scenario");
    if (scenario == "passthrough") {
        b.stream<bytes, bytes>({a.at("input")}).to(a.at("output"));
    } else if (scenario == "metrics") {
        apps::metrics_options options;
        options.window = std::chrono::milliseconds(std::stoll(a.at("window-ms")));
        options.grace = std::chrono::milliseconds(std::stoll(a.at("grace-ms")));
        apps::build_metrics_pipeline(b, {a.at("input"), a.at("output"), a.at("dlq")}, options);
    } else if (scenario == "windowed-count") {
        b.stream<std::string, bytes>({a.at("input")})
            .group_by_key()
            .windowed_by(time_windows::of_size_and_grace(
                1min, std::chrono::milliseconds(std::stoll(a.at("grace-ms")))))
            .count(materialized<std::string, int64_t>::as("windowed-counts"))
            .to_stream()
            .map([](const windowed<std::string>& w, const int64_t& n) {
                return key_value<std::string, std::string>{w.key, std::to_string(n)};
            })
            .to(a.at("output"));
    } else if (scenario == "count") {
        b.stream<std::string, bytes>({a.at("input")})
            .group_by_key()
            .count(materialized<std::string, int64_t>::as("counts"))
            .to_stream()
            .map_values([](const int64_t& n) { return std::to_string(n); })
            .to(a.at("output"));
    } else if (scenario == "stream-table-join") {
        auto table = b.table<std::string, bytes>(a.at("input") + "-table");
        b.stream<std::string, bytes>({a.at("input")})
            .join(table, [](const bytes& v,
                            const bytes& t) { return std::to_string(v.size() + t.size()); })
            .to(a.at("output"));
    } else if (scenario == "stream-stream-join") {
        auto right = b.stream<std::string, bytes>({a.at("input") + "-right"});
        b.stream<std::string, bytes>({a.at("input")})
            .join(
                right,
                [](const bytes& l, const bytes& r) { return std::to_string(l.size() + r.size()); },
                join_windows::of_time_difference_without_grace(1s))
            .to(a.at("output"));
    } else if (const auto query = scenario.starts_with("nexmark-")
                                      ? apps::nexmark::parse_query(scenario.substr(8))
                                      : std::nullopt) {
        const auto topics = apps::nexmark::parse_input_topics(a.at("input"));
        if (!topics) {
            throw config_error("--input of a Nexmark scenario must be PERSONS,AUCTIONS,BIDS: "
                               "three topic names, comma-separated");
        }
        apps::nexmark::build_query(b, *query, *topics, a.at("output"),
                                   std::chrono::milliseconds(std::stoll(a.at("grace-ms"))));
    } else {
        throw config_error("--scenario must be passthrough, metrics, windowed-count, count, "
                           "stream-table-join, stream-stream-join or nexmark-q0, -q1, -q2, "
                           "-q3, -q4, -q5, -q6, -q7, -q8, -q11");
    }
    return b.build();
}

} // namespace

constexpr const char* usage =
    "usage: brook-bench-app --scenario passthrough|metrics|windowed-count|count|\n"
    "                       stream-table-join|stream-stream-join|\n"
    "                       nexmark-q0|nexmark-q1|nexmark-q2|nexmark-q5|nexmark-q7|nexmark-q11\n"
    "         --bootstrap-servers HOST:PORT --application-id ID --input TOPIC\n"
    "         --output TOPIC [--dlq TOPIC] --state-dir DIR\n"
    "         [--guarantee at_least_once|exactly_once_v2] [--commit-interval-ms 100]\n"
    "         [--window-ms 60000] [--grace-ms 10000] [--threads 1]\n"
    "         [--standbys 0] [--session-timeout-ms 45000]\n"
    "         [--log-level error|warn|info|debug]\n"
    "Brook's side of brook-bench, one scenario per process; see docs/benchmarks.md.\n";

int main(int argc, char** argv) {
    if (argc == 2 && (std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h")) {
        std::cout << usage;
        return 0;
    }
    shutdown_signal signals;
    std::map<std::string, std::string> a = {{"window-ms", "60000"},
                                            {"grace-ms", "10000"},
                                            {"guarantee", "at_least_once"},
                                            {"threads", "1"},
                                            {"standbys", "0"},
                                            {"session-timeout-ms", "45000"},
                                            {"commit-interval-ms", "100"}};
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string flag = argv[i];
        if (!flag.starts_with("--")) {
            say(fmt::format("ERROR unexpected argument '{}'", flag));
            say("EXIT");
            return 2;
        }
        a[flag.substr(2)] = argv[i + 1];
    }
    if (argc % 2 == 0) {
        say("ERROR every flag takes a value");
        say("EXIT");
        return 2;
    }
    for (const char* required :
         {"scenario", "bootstrap-servers", "application-id", "input", "output", "state-dir"}) {
        if (!a.contains(required)) {
            say(fmt::format("ERROR --{} is required", required));
            say("EXIT");
            return 2;
        }
    }
    if (a.contains("log-level")) {
        const std::optional<log_level> level = parse_log_level(a["log-level"]);
        if (!level) {
            say(fmt::format("ERROR --log-level must be error, warn, info or debug, got '{}'",
                            a["log-level"]));
            say("EXIT");
            return 2;
        }
        set_log_level(*level);
    }
    if (!a.contains("dlq")) {
        a["dlq"] = a["input"] + ".dlq";
    }
    int code = 0;
    try {
        const topology topo = build(a);
        restore_reporter restores;
        kafka_streams app(
            topo, streams_config({{"application.id", a["application-id"]},
                                  {"bootstrap.servers", a["bootstrap-servers"]},
                                  {"state.dir", a["state-dir"]},
                                  {"processing.guarantee", a["guarantee"]},
                                  {"commit.interval.ms", a["commit-interval-ms"]},
                                  // Checked by streams_config, as a user's:
                                  {"num.stream.threads", a["threads"]},
                                  {"num.standby.replicas", a["standbys"]},
                                  {"consumer.session.timeout.ms", a["session-timeout-ms"]},
                                  {"statestore.cache.max.bytes", "10485760"},
                                  // As the Kafka Streams side: a value that does
                                  // not deserialize (only a Nexmark bid can fail)
                                  // is logged and skipped.
                                  {"default.deserialization.exception.handler", "log_and_continue"},
                                  {"producer.linger.ms", "5"},
                                  {"producer.batch.size", "131072"}}));
        app.set_global_state_restore_listener(&restores);
        app.set_state_listener(
            [](streams_state now, streams_state) { say("STATE " + upper(to_string(now))); });
        app.start();
        while (app.state() != streams_state::error && signals.wait(200ms) == 0) {
        }
        if (app.state() == streams_state::error) {
            say("ERROR " + app.error_reason());
            code = 1;
        }
        app.close(30s);
    } catch (const std::exception& e) {
        say(std::string("ERROR ") + e.what());
        code = 1;
    }
    say("EXIT");
    return code;
}
