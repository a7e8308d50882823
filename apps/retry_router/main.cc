// brook-retry-router: retries failed events on a schedule and dead-letters what cannot be
// handled (see retry_router.h), with the demo handler (demo_handler.h); and, as
// `brook-retry-router replay`, copies dead letters back to the input (retry_replay.h).

#include <atomic>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "apps/common/app_cli.h"
#include "apps/common/app_runner.h"
#include "apps/retry_router/demo_handler.h"
#include "apps/retry_router/retry_replay.h"
#include "apps/retry_router/retry_router.h"
#include "engine/errors.h"
#include "engine/runtime/shutdown_signal.h"
#include "ops/ops_endpoint.h"

namespace {

using namespace brook;

constexpr const char* program = "brook-retry-router";

const char* const replay_usage =
    R"(usage: brook-retry-router replay --dlq-topic TOPIC --to-topic TOPIC --bootstrap-servers HOSTS
                          [--event-type TYPE] [--timeout 2m] [--set key=value ...]

Copies the records a dead-letter topic holds now back to a topic (the router's input), so
that the router tries them again: all of them, or with --event-type those whose event-type
header is TYPE. Keys and values are copied as they are; the router's headers are kept as
replayed-<name>; other headers as they are. Prints how many records were copied.

flags:
  --dlq-topic TOPIC          the dead-letter topic to copy from (the router's <input>.dlq)
  --to-topic TOPIC           the topic to copy to (the router's input)
  --bootstrap-servers HOSTS  Kafka bootstrap servers
  --event-type TYPE          copy only records with this event-type header
  --timeout DURATION         how long reading and delivering may take (default: 2m)
  --set key=value            a librdkafka client setting; repeatable
  --help                     this text
)";

// `brook-retry-router replay ...`: returns the exit code.
int run_replay(int argc, char** argv) {
    apps::replay_options options;
    std::string bootstrap;
    std::string timeout = "2m";
    std::vector<std::string> sets;
    try {
        for (int i = 2; i < argc; ++i) {
            const std::string arg = argv[i];
            if (arg == "--help" || arg == "-h") {
                std::cout << replay_usage;
                return 0;
            }
            std::string name = arg;
            std::optional<std::string> value;
            if (const auto eq = arg.find('='); arg.starts_with("--") && eq != std::string::npos) {
                name = arg.substr(0, eq);
                value = arg.substr(eq + 1);
            }
            if (!value) {
                if (i + 1 >= argc) {
                    throw config_error(fmt::format("flag '{}' needs a value", name));
                }
                value = argv[++i];
            }
            if (name == "--dlq-topic") {
                options.dlq_topic = *value;
            } else if (name == "--to-topic") {
                options.to_topic = *value;
            } else if (name == "--bootstrap-servers") {
                bootstrap = *value;
            } else if (name == "--event-type") {
                if (value->empty()) {
                    throw config_error("--event-type is empty: give the event type to copy");
                }
                options.event_type = *value;
            } else if (name == "--timeout") {
                timeout = *value;
            } else if (name == "--set") {
                if (value->find('=') == std::string::npos || value->front() == '=') {
                    throw config_error(fmt::format("--set needs key=value, got '{}'", *value));
                }
                sets.push_back(*value);
            } else {
                throw config_error(fmt::format("unknown argument '{}' (see replay --help)", arg));
            }
        }
        if (bootstrap.empty() || bootstrap == "embedded") {
            throw config_error("--bootstrap-servers is required: the Kafka cluster the "
                               "router runs on (the embedded demo cluster lives only inside "
                               "the router's process)");
        }
        apps::check_topic_name(options.dlq_topic, "--dlq-topic");
        apps::check_topic_name(options.to_topic, "--to-topic");
        if (options.dlq_topic == options.to_topic) {
            throw config_error("--dlq-topic and --to-topic are the same topic: records would be "
                               "copied onto themselves");
        }
        const auto delays = apps::retry_schedule::parse_delays(timeout);
        if (delays.size() != 1 || delays[0].count() < 1000) {
            throw config_error(
                fmt::format("--timeout must be one duration of at least 1s, got '{}'", timeout));
        }
        options.timeout = delays[0];
        options.client.set("bootstrap.servers", bootstrap);
        for (const auto& s : sets) {
            const auto eq = s.find('=');
            options.client.set(s.substr(0, eq), s.substr(eq + 1));
        }
    } catch (const std::exception& e) {
        std::cerr << fmt::format("{} replay: {}\n\n{}", program, e.what(), replay_usage);
        return 2;
    }
    try {
        const apps::replay_result r = apps::replay_dead_letters(options);
        std::cout << fmt::format(
            "replayed {} of {} records from {} to {}{}\n", r.replayed, r.read, options.dlq_topic,
            options.to_topic,
            options.event_type ? fmt::format(" (event type {})", *options.event_type) : "");
        return 0;
    } catch (const std::exception& e) {
        std::cerr << fmt::format("{} replay: {}\n", program, e.what());
        return 1;
    }
}

} // namespace

int main(int argc, char** argv) {
    using namespace std::chrono_literals;

    if (argc > 1 && std::string_view(argv[1]) == "replay") {
        return run_replay(argc, argv);
    }
    shutdown_signal signals; // first, so every thread inherits the blocked signals
    apps::app_cli cli(
        program,
        "Reads JSON events from the input topic and hands each to the demo handler, which "
        "fails the first fail_attempts attempts of a record retriably and a poison record "
        "for good. Handled records go to the output topic; a retriable failure waits in the "
        "next retry tier <input>.retry.<n> for that tier's delay; after the last tier, or a "
        "non-retriable failure, or a value that is not a valid event, the record goes to "
        "<input>.dlq with its history in headers (attempt, error, first-failure-ts, "
        "last-failure-ts, original-topic, original-partition, original-offset). "
        "`brook-retry-router replay --help` copies dead letters back to the input.",
        {
            {"input-topic", "the topic of events to handle", "events"},
            {"output-topic", "where handled events go (default: <input>.processed)", ""},
            {"dlq-topic", "where dead letters go (default: <input>.dlq)", ""},
            {"retry-delays",
             "the default retry schedule: one delay per retry tier, comma-separated; its "
             "length is the number of tiers",
             "1m,5m,15m,60m"},
            {"retry-delays-for",
             "TYPE=DELAYS: the schedule of events whose event_type is TYPE, at most as long "
             "as the default (a shorter one dead-letters that type sooner)",
             "", false, true},
        });
    if (const std::optional<int> code = cli.parse_or_exit(argc, argv)) {
        return *code;
    }

    std::optional<apps::demo_retry_router> router;
    std::optional<streams_config> config;
    std::optional<topology> topo;
    try {
        std::map<std::string, apps::retry_schedule::delays, std::less<>> by_type;
        for (const auto& spec : cli.get_all("retry-delays-for")) {
            auto [type, delays] = apps::retry_schedule::parse_event_type_delays(spec);
            if (!by_type.emplace(type, std::move(delays)).second) {
                throw config_error(fmt::format(
                    "--retry-delays-for names event type '{}' twice: give each type once", type));
            }
        }
        apps::retry_router_options options{
            .input_topic = cli.get("input-topic"),
            .output_topic = cli.get("output-topic"),
            .dead_letter_topic = cli.get("dlq-topic"),
            .schedule = apps::retry_schedule(
                apps::retry_schedule::parse_delays(cli.get("retry-delays")), std::move(by_type)),
        };
        router.emplace(std::move(options));
        router->with_event_type(apps::demo_event_type);
        // The router checks due-ts itself (retry_due_time.h) and its sources read bytes, so
        // nothing should fail the engine's deserialization; should anything, the record is
        // dead-lettered with the reason rather than stopping the router.
        config.emplace(cli.make_config(
            {{"application.id", "brook-retry-router-" + cli.get("input-topic")},
             {"default.deserialization.exception.handler", "dead_letter"},
             {"errors.dead.letter.queue.topic.name", router->topics().dead_letter}}));
        stream_builder builder;
        router->build(builder, apps::demo_handler);
        topo.emplace(builder.build(*config));
    } catch (const std::exception& e) {
        std::cerr << program << ": configuration error: " << e.what() << "\n";
        return 2;
    }

    const apps::retry_topics& topics = router->topics();
    std::cerr << fmt::format("{}: {} -> {}; {} retry tiers ({}){}; dead letters to {}\n", program,
                             topics.input, topics.output, topics.tiers.size(),
                             apps::retry_schedule::to_string(router->schedule().default_delays()),
                             router->schedule().by_event_type().empty()
                                 ? ""
                                 : fmt::format(", {} event types with their own schedule",
                                               router->schedule().by_event_type().size()),
                             topics.dead_letter);
    // Set once the application runs, for the pending figures of /metrics.
    auto running = std::make_shared<std::atomic<const kafka_streams*>>(nullptr);
    return apps::run_app({
        .program = program,
        .cli = &cli,
        .signals = &signals,
        .config = std::move(*config),
        .topo = &*topo,
        .owned_topics = topics.all(),
        .register_stores =
            [counters = router->counters(), topics, running](brook::ops_endpoint& endpoint) {
                endpoint.add_metrics_source(
                    [counters, topics, running](brook::prometheus_writer& w) {
                        std::optional<streams_metrics> m;
                        if (const kafka_streams* streams = running->load()) {
                            m = streams->metrics();
                        }
                        apps::write_retry_router_metrics(w, *counters, topics, m ? &*m : nullptr);
                    });
            },
        .started = [running](kafka_streams& streams) { running->store(&streams); },
        .finished =
            [counters = router->counters(), running](kafka_streams&, int code) {
                running->store(nullptr);
                uint64_t retried = 0;
                for (const auto& n : counters->retried) {
                    retried += n.load();
                }
                std::cerr << fmt::format("{}: {} handled ({} after retries), {} retries, {} "
                                         "dead-lettered\n",
                                         program, counters->succeeded.load(),
                                         counters->recovered.load(), retried,
                                         counters->dead_lettered());
                return code;
            },
    });
}
