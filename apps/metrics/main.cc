// brook-metrics: the metrics pipeline as a program. See metrics_topology.h for what it
// does and README.md for how to run it.

#include <chrono>
#include <iostream>
#include <random>
#include <thread>

#include <fmt/format.h>

#include "apps/common/app_cli.h"
#include "apps/common/restore_progress.h"
#include "apps/metrics/metrics_topology.h"
#include "engine/errors.h"
#include "engine/kafka/embedded_cluster.h"
#include "engine/kafka/partition_reader.h"
#include "engine/kafka/producer.h"
#include "engine/runtime/kafka_streams.h"
#include "engine/runtime/shutdown_signal.h"

namespace {

using namespace brook;
using namespace std::chrono_literals;

// Writes `count` generated metric events, about 5% of them invalid in the ways the
// pipeline must catch. Returns how many were invalid.
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
    const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
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
                                name, host, reading, unit, now + i);
        }
        }
        producer.produce(topic, RD_KAFKA_PARTITION_UA, host, value);
    }
    producer.flush(30s);
    return invalid;
}

} // namespace

int main(int argc, char** argv) {
    shutdown_signal signals; // first, so every thread inherits the blocked signals
    apps::app_cli cli(
        "brook-metrics",
        "Reads JSON metrics from raw-metrics, validates and normalises them into "
        "processed-metrics; invalid records go to raw-metrics.dlq with the reason.",
        {
            {"input-topic", "input topic", "raw-metrics"},
            {"output-topic", "output topic", "processed-metrics"},
            {"dlq-topic", "dead-letter topic", "raw-metrics.dlq"},
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
    try {
        const streams_config config =
            cli.make_config({{"application.id", "brook-metrics"},
                             {"default.deserialization.exception.handler", "dead_letter"},
                             {"errors.dead.letter.queue.topic.name", cli.get("dlq-topic")}});
        apps::print_embedded_notice_if_needed(config);
        const apps::metrics_topics topics{cli.get("input-topic"), cli.get("output-topic"),
                                          cli.get("dlq-topic")};
        const int partitions = static_cast<int>(cli.get_int("partitions", 1, 10000));
        apps::ensure_topics(config, {topics.input, topics.output, topics.dead_letter}, partitions);

        stream_builder builder;
        apps::build_metrics_pipeline(builder, topics);
        const topology topo = builder.build();

        const bool demo = cli.is_set("demo");
        const int64_t demo_records = cli.get_int("demo-records", 1, 1000000);
        apps::restore_progress restore_progress;
        kafka_streams streams(topo, config);
        streams.set_global_state_restore_listener(&restore_progress);
        const std::string bootstrap = kafka::resolve_bootstrap(config.bootstrap_servers());
        int64_t invalid = 0;
        if (demo) {
            std::cout << fmt::format("demo: writing {} generated metric events to '{}'\n",
                                     demo_records, topics.input);
            invalid = produce_demo_events(kafka::client_config{{"bootstrap.servers", bootstrap}},
                                          topics.input, demo_records);
        }
        streams.set_state_listener([](streams_state now, streams_state before) {
            std::cerr << fmt::format("brook-metrics: {} -> {}\n", to_string(before),
                                     to_string(now));
        });
        const auto started = std::chrono::steady_clock::now();
        streams.start();
        int signal_number = 0;
        auto last_report = started;
        while (streams.state() != streams_state::error) {
            signal_number = signals.wait(200ms);
            if (signal_number != 0) {
                break;
            }
            if (demo && static_cast<int64_t>(streams.records_processed()) >= demo_records) {
                break;
            }
            if (demo && std::chrono::steady_clock::now() - started > 120s) {
                std::cerr << "brook-metrics: the demo did not finish within 120 s\n";
                break;
            }
            if (!demo && std::chrono::steady_clock::now() - last_report > 10s) {
                last_report = std::chrono::steady_clock::now();
                std::cerr << fmt::format("brook-metrics: {} records processed, {} produced\n",
                                         streams.records_processed(), streams.records_produced());
            }
        }
        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        const bool clean = streams.close(config.shutdown_timeout());
        if (streams.state() == streams_state::error) {
            std::cerr << "brook-metrics: stopped with an error: " << streams.error_reason() << "\n";
            return 1;
        }
        if (signal_number != 0) {
            std::cerr << fmt::format("brook-metrics: signal {} received, committed and stopped\n",
                                     signal_number);
        }
        if (demo) {
            const uint64_t processed = streams.records_processed();
            std::cout << fmt::format(
                "demo: {} records in, {} out ({} valid to '{}', {} invalid to '{}'), "
                "{:.0f} records/s including start-up\n",
                processed, streams.records_produced(), demo_records - invalid, topics.output,
                invalid, topics.dead_letter, static_cast<double>(processed) / seconds);
            std::cout << "demo: a few records from '" << topics.output << "':\n";
            for (int p = 0; p < partitions; ++p) {
                const auto sample =
                    kafka::read_partition(kafka::client_config{{"bootstrap.servers", bootstrap}},
                                          topics.output, p, "read_uncommitted", 30s);
                for (size_t i = 0; i < sample.size() && i < 2; ++i) {
                    std::cout << fmt::format("  partition {} offset {}: {} => {}\n", p,
                                             sample[i].offset, sample[i].key.value_or("<null>"),
                                             sample[i].value.value_or("<null>"));
                }
            }
            if (static_cast<int64_t>(processed) < demo_records) {
                std::cerr << "brook-metrics: the demo processed fewer records than it wrote\n";
                return 1;
            }
        }
        return clean ? 0 : 3;
    } catch (const config_error& e) {
        std::cerr << "brook-metrics: configuration error: " << e.what() << "\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "brook-metrics: " << e.what() << "\n";
        return 1;
    }
}
