// brook-metrics: the metrics pipeline as a program. See metrics_topology.h for what it
// does and docs/apps.md for how to run it.

#include <chrono>
#include <ctime>
#include <iostream>
#include <map>
#include <random>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "apps/common/app_cli.h"
#include "apps/common/app_runner.h"
#include "apps/common/json_fields.h"
#include "apps/metrics/metrics_topology.h"
#include "engine/kafka/partition_reader.h"
#include "engine/kafka/producer.h"
#include "engine/serde/json_serde.h"
#include "ops/ops_endpoint.h"

namespace {

using namespace brook;
using namespace std::chrono_literals;

// Writes `count` generated metric events, about 10% of them invalid in ways the pipeline
// must catch, 10 ms of event time apart and starting 20 minutes ago, so that the demo's
// windows close as the later events arrive. Returns how many were invalid.
int64_t produce_demo_events(const kafka::client_config& base, const std::string& topic,
                            int64_t count) {
    kafka::producer producer(base);
    std::mt19937_64 rng(42);
    const std::vector<std::string> hosts = {"web-1", "web-2", "db-1", "cache-1"};
    const std::vector<std::pair<std::string, std::string>> kinds = {{" CPU.Usage ", "percent"},
                                                                    {"Request.Latency", "ms"},
                                                                    {"disk.free", "bytes"},
                                                                    {"mem.used", "%"}};
    int64_t invalid = 0;
    const int64_t start = std::chrono::duration_cast<std::chrono::milliseconds>(
                              (std::chrono::system_clock::now() - 20min).time_since_epoch())
                              .count();
    for (int64_t i = 0; i < count; ++i) {
        const std::string& host = hosts[rng() % hosts.size()];
        const auto& [name, unit] = kinds[rng() % kinds.size()];
        std::string value;
        switch (rng() % 20) {
        case 0:
            value = "not json at all";
            ++invalid;
            break;
        case 1:
            value = fmt::format(R"({{"host":"{}","value":1}})", host); // no name
            ++invalid;
            break;
        default: {
            // Percentages stay within 0..100 so the demo's ratios read like real ones.
            const bool percent = unit == "percent" || unit == "%";
            const double reading = static_cast<double>(rng() % (percent ? 1001 : 100000)) / 10.0;
            value = fmt::format(R"({{"name":"{}","host":"{}","value":{},"unit":"{}","ts":{}}})",
                                name, host, reading, unit, start + i * 10);
        }
        }
        producer.produce(topic, RD_KAFKA_PARTITION_UA, host, value);
    }
    producer.flush(30s);
    return invalid;
}

// A window start (epoch milliseconds) as UTC wall time, to the second.
std::string utc_time(int64_t epoch_ms) {
    const std::time_t seconds = static_cast<std::time_t>(epoch_ms / 1000);
    std::tm utc{};
    if (::gmtime_r(&seconds, &utc) == nullptr) {
        return std::to_string(epoch_ms);
    }
    return fmt::format("{:%Y-%m-%d %H:%M:%S}", utc);
}

void print_demo_results(const std::string& bootstrap, const std::string& topic, int partitions) {
    int64_t windows = 0;
    std::vector<nlohmann::json> sample;
    for (int p = 0; p < partitions; ++p) {
        for (const auto& r :
             kafka::read_partition(kafka::client_config{{"bootstrap.servers", bootstrap}}, topic, p,
                                   "read_uncommitted", 30s)) {
            ++windows;
            nlohmann::json j;
            std::string error;
            // The output topic is anyone's to write to: read it as hostile input too.
            if (r.value && sample.size() < 6 && apps::parse_json_object(*r.value, j, error)) {
                sample.push_back(std::move(j));
            }
        }
    }
    std::cout << fmt::format("demo: {} closed windows in '{}'; a few of them:\n", windows, topic);
    std::cout << fmt::format("  {:<8} {:<16} {:<6} {:<19} {:>6} {:>10} {:>10} {:>10}\n", "host",
                             "name", "unit", "window start (UTC)", "count", "min", "avg", "max");
    for (const auto& j : sample) {
        try {
            std::cout << fmt::format(
                "  {:<8} {:<16} {:<6} {:<19} {:>6} {:>10.3f} {:>10.3f} {:>10.3f}\n",
                j.value("host", ""), j.value("name", ""),
                j.contains("unit") && j.at("unit").is_string() ? j.at("unit").get<std::string>()
                                                               : "-",
                utc_time(j.value("window_start", int64_t{0})), j.value("count", int64_t{0}),
                j.value("min", 0.0), j.value("avg", 0.0), j.value("max", 0.0));
        } catch (const nlohmann::json::exception&) {
            // A field of another type than the app writes: not one of its results.
        }
    }
}

} // namespace

int main(int argc, char** argv) {
    shutdown_signal signals; // first, so every thread inherits the blocked signals
    apps::app_cli cli(
        "brook-metrics",
        "Reads JSON metrics from raw-metrics, validates and normalises them, and aggregates "
        "them per host and name in tumbling event-time windows into processed-metrics; "
        "invalid records go to raw-metrics.dlq with the reason.",
        {
            {"input-topic", "input topic", "raw-metrics"},
            {"output-topic", "output topic", "processed-metrics"},
            {"dlq-topic", "dead-letter topic", "raw-metrics.dlq"},
            {"window", "window size", "60s"},
            {"grace", "how long after a window ends its records may still arrive", "10s"},
            {"emit", "final: one result per window when it closes; updates: on every change",
             "final"},
            {"demo", "generate events, process them, print a summary and exit", "", true},
            {"demo-records", "events the demo generates", "50000"},
        });
    if (auto error = cli.parse(argc, argv)) {
        std::cerr << "brook-metrics: " << *error << "\n\n" << cli.usage();
        return 2;
    }
    if (cli.help_requested()) {
        std::cout << cli.usage();
        return 0;
    }
    apps::app_run run;
    apps::metrics_topics topics;
    int64_t demo_records = 0;
    std::optional<topology> topo;
    try {
        topics = {cli.get("input-topic"), cli.get("output-topic"), cli.get("dlq-topic")};
        apps::metrics_options options;
        options.window = cli.get_duration("window", 1ms);
        options.grace = cli.get_duration("grace", 0ms);
        if (cli.get("emit") != "final" && cli.get("emit") != "updates") {
            throw config_error("--emit must be 'final' or 'updates', got '" + cli.get("emit") +
                               "'");
        }
        options.emit_final = cli.get("emit") == "final";
        demo_records = cli.get_int("demo-records", 1, 1'000'000);
        // No input record may stop the app (issue 17): one the producer cannot write (a
        // dead letter of a 1 MB value, a copy with a 1 MB header) is dead-lettered in its
        // turn, cut to fit; and an event time over an hour ahead of the clock (the broker's
        // log.message.timestamp.after.max.ms since Kafka 4.0) is dead-lettered before it
        // moves stream time and makes every later record late. --set overrides either.
        std::map<std::string, std::string> defaults{
            {"application.id", "brook-metrics"},
            {"default.deserialization.exception.handler", "dead_letter"},
            {"default.production.exception.handler", "dead_letter"},
            {"max.event.time.future.ms", "3600000"},
            {"errors.dead.letter.queue.topic.name", topics.dead_letter}};
        if (cli.is_set("demo")) {
            // A window closes when the aggregating tasks learn, through the progress
            // markers each commit sends, that their upstream moved past it: the demo's few
            // seconds need commits more often than every 30 s to show closed windows.
            defaults.emplace("commit.interval.ms", "200");
        }
        run.config = cli.make_config(std::move(defaults));
        stream_builder builder;
        apps::build_metrics_pipeline(builder, topics, options);
        topo.emplace(builder.build(*run.config));
        std::vector<std::string> internal = topo->source_topics(run.config->application_id());
        const auto changelogs = topo->changelog_topics(run.config->application_id());
        internal.insert(internal.end(), changelogs.begin(), changelogs.end());
        apps::check_topics_do_not_feed_back(
            {{topics.input, "--input-topic"}},
            {{topics.output, "--output-topic"}, {topics.dead_letter, "--dlq-topic"}}, internal);
    } catch (const std::exception& e) {
        std::cerr << "brook-metrics: configuration error: " << e.what() << "\n";
        return 2;
    }

    run.program = "brook-metrics";
    run.cli = &cli;
    run.signals = &signals;
    run.topo = &*topo;
    run.owned_topics = {topics.input, topics.output, topics.dead_letter};
    const auto window = cli.get_duration("window", 1ms);
    run.register_stores = [window](brook::ops_endpoint& endpoint) {
        endpoint.add_timestamped_window_store<apps::metric_key, apps::metric_stats,
                                              apps::metric_key_serde, apps::metric_stats_serde>(
            apps::metrics_store, window, apps::metric_key::parse, [](const apps::metric_stats& s) {
                return nlohmann::json{
                    {"count", s.count}, {"sum", s.sum}, {"min", s.min}, {"max", s.max}};
            });
    };
    if (cli.is_set("demo")) {
        auto invalid = std::make_shared<int64_t>(0);
        auto started = std::make_shared<std::chrono::steady_clock::time_point>();
        run.started = [&, invalid, started](kafka_streams& streams) {
            std::cout << fmt::format("demo: writing {} generated metric events to '{}'\n",
                                     demo_records, topics.input);
            *invalid = produce_demo_events(
                kafka::client_config{{"bootstrap.servers", streams.resolved_bootstrap()}},
                topics.input, demo_records);
            *started = std::chrono::steady_clock::now();
        };
        // Done when every input record was read and every valid one was aggregated: valid
        // records are processed twice, before and after the repartition by host and name.
        const auto goal = [&, invalid] { return demo_records + (demo_records - *invalid); };
        auto last_report = std::make_shared<std::chrono::steady_clock::time_point>();
        auto last_produced = std::make_shared<uint64_t>(0);
        auto last_output_change = std::make_shared<std::chrono::steady_clock::time_point>();
        auto caught_up = std::make_shared<std::chrono::steady_clock::time_point>();
        run.done = [&, started, goal, last_report, last_produced, last_output_change,
                    caught_up](const kafka_streams& streams) {
            const auto now = std::chrono::steady_clock::now();
            if (now - *started > 120s) {
                std::cerr << "brook-metrics: the demo did not finish within 120 s\n";
                return true;
            }
            const auto processed = static_cast<int64_t>(streams.records_processed());
            if (processed < goal() && now - *last_report >= 1s) {
                *last_report = now;
                std::cout << fmt::format("demo: {} of {} record steps processed ({}%)\n", processed,
                                         goal(), processed * 100 / goal())
                          << std::flush;
            }
            if (processed < goal()) {
                return false;
            }
            if (*caught_up == std::chrono::steady_clock::time_point{}) {
                *caught_up = now; // the rate below counts processing, not this wait
            }
            // Every record is processed; the windows it closes come out after the next
            // commits carry the upstream's progress. Done once the output has stayed still
            // for a second.
            const uint64_t produced = streams.records_produced();
            if (*last_output_change == std::chrono::steady_clock::time_point{} ||
                produced != *last_produced) {
                *last_produced = produced;
                *last_output_change = now;
                return false;
            }
            return now - *last_output_change >= 1s;
        };
        run.finished = [&, invalid, started, goal, caught_up](kafka_streams& streams, int code) {
            const uint64_t processed = streams.records_processed();
            const auto end = *caught_up != std::chrono::steady_clock::time_point{}
                                 ? *caught_up
                                 : std::chrono::steady_clock::now();
            const double seconds = std::chrono::duration<double>(end - *started).count();
            std::cout << fmt::format(
                "demo: {} records in ({} valid, {} invalid to '{}'), {:.0f} records/s "
                "through both stages\n",
                demo_records, demo_records - *invalid, *invalid, topics.dead_letter,
                static_cast<double>(processed) / seconds);
            print_demo_results(streams.resolved_bootstrap(), topics.output,
                               static_cast<int>(cli.get_int("partitions", 1, 10000)));
            if (static_cast<int64_t>(processed) < goal()) {
                std::cerr << "brook-metrics: the demo processed fewer records than it wrote\n";
                return code == 0 ? 1 : code;
            }
            return code;
        };
    }
    return apps::run_app(std::move(run));
}
