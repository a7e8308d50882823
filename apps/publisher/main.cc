// brook-publisher: publishes events through Brook's resilient publisher, so that what it
// promises can be watched and tested against a real broker: events are accepted while
// Kafka is down, wait in the outbox, arrive in order per key once Kafka is back, and
// survive a SIGKILL of this process.
//
// Event i (0-based) has key "key-<i mod keys>" and the JSON value {"key":"key-<k>","seq":i},
// so a reader of the topic can check that every event arrived and that each key's events
// arrived in increasing seq order.
//
// Exit codes: 0 every event accepted in this run (and, with --resume, every event found
// in the outbox) was delivered or dead-lettered and the outbox is empty; 1 events were
// rejected, are still pending after --drain-timeout, or could not be read back from the
// outbox (damaged files: nothing is delivered and the error names the directory and how
// many events are lost; entries that do not decode: set aside), or the publisher could not
// start;
// 2 bad flags; 130 stopped by SIGINT or SIGTERM (publishing stops; the outbox keeps what
// was accepted, for --resume).

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "apps/common/app_cli.h"
#include "apps/publisher/publisher_metrics.h"
#include "engine/errors.h"
#include "engine/kafka/admin_client.h"
#include "engine/kafka/embedded_cluster.h"
#include "engine/runtime/shutdown_signal.h"
#include "ops/http_server.h"
#include "ops/prometheus_text.h"
#include "publisher/resilient_publisher.h"

namespace {

using namespace brook;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

constexpr std::string_view program = "brook-publisher";

apps::app_cli make_cli() {
    return apps::app_cli(
        std::string(program),
        "Publishes --records events through the resilient publisher: accepted into a local\n"
        "outbox at once, delivered in order per key whenever Kafka is reachable, retried\n"
        "with backoff, dead-lettered to <topic>.dlq after the last attempt. Prints the\n"
        "counters every --stats-interval; exits 0 once everything is delivered, 1 if events\n"
        "were rejected or are left after --drain-timeout, 2 on bad flags, 130 on SIGINT or\n"
        "SIGTERM (the outbox keeps the rest; run again with --resume).",
        {
            {.name = "bootstrap-servers",
             .help = "the Kafka cluster to publish to (required). The apps' 'embedded' demo "
                     "cluster cannot be used: it lives and dies inside this process, so the "
                     "events an outbox keeps across a crash would be delivered to a new, empty "
                     "cluster; start a broker with scripts/kafka start and pass 127.0.0.1:9092",
             .value_name = "HOST:PORT"},
            {.name = "topic",
             .help = "the topic to publish to (default: brook-publisher-events)",
             .value_name = "NAME"},
            {.name = "records", .help = "events to publish (default: 100000)", .value_name = "N"},
            {.name = "keys",
             .help = "distinct keys, key-0 .. key-<K-1> in turn (default: 8)",
             .value_name = "K"},
            {.name = "rate",
             .help = "events per second, 0 for as fast as possible (default: 0)",
             .value_name = "R"},
            {.name = "outbox-dir",
             .help = "the outbox directory; undelivered events wait there across restarts "
                     "(default: ./brook-publisher-outbox)",
             .value_name = "DIR"},
            {.name = "resume",
             .help = "publish nothing new: deliver what the outbox holds, then exit",
             .is_switch = true},
            {.name = "http-port",
             .help = "serve /metrics (Prometheus) and /health on 127.0.0.1:P",
             .value_name = "P"},
            {.name = "stats-interval",
             .help = "how often to print the counters (default: 1s)",
             .value_name = "DURATION"},
            {.name = "stats-file",
             .help = "also write the counters as JSON to PATH (atomically) at each interval and "
                     "at exit",
             .value_name = "PATH"},
            {.name = "partitions",
             .help = "partitions of the topic and its .dlq topic when this creates them "
                     "(default: 3)",
             .value_name = "P"},
            {.name = "no-create-topics",
             .help = "do not create the topic and its .dlq topic when missing",
             .is_switch = true},
            {.name = "delivery-timeout",
             .help = "an event unacknowledged this long counts as a failure for the breaker "
                     "(default: 10s)",
             .value_name = "DURATION"},
            {.name = "breaker-window",
             .help = "the breaker's sliding window of recent calls (default: 20)",
             .value_name = "N"},
            {.name = "breaker-min-calls",
             .help = "calls in the window before it may open (default: 10)",
             .value_name = "N"},
            {.name = "breaker-failure-rate",
             .help = "failure rate that opens it, 0 to 1 (default: 0.5)",
             .value_name = "F"},
            {.name = "breaker-wait",
             .help = "how long it stays open before probing (default: 5s)",
             .value_name = "DURATION"},
            {.name = "breaker-probes",
             .help = "probe calls while half-open (default: 3)",
             .value_name = "N"},
            {.name = "backoff",
             .help = "waits before retrying a failed event, the last repeating (default: "
                     "1s,2s,5s,10s,30s)",
             .value_name = "LIST"},
            {.name = "max-attempts",
             .help = "failed attempts before the dead-letter topic (default: 5)",
             .value_name = "N"},
            {.name = "max-in-flight",
             .help = "events handed to the producer at most (default: 10000)",
             .value_name = "N"},
            {.name = "sync-every-write",
             .help = "fsync the outbox on every event (power-cut safe, slower)",
             .is_switch = true},
            {.name = "sync-interval",
             .help = "fsync the outbox this often otherwise (default: 1s)",
             .value_name = "DURATION"},
            {.name = "drain-timeout",
             .help = "after publishing, wait at most this long for delivery; 0 waits until the "
                     "outbox is empty (default: 0)",
             .value_name = "DURATION"},
            {.name = "set",
             .help = "a librdkafka producer property",
             .repeatable = true,
             .value_name = "KEY=VALUE",
             .check = apps::key_value_check("set", "KEY=VALUE")},
        },
        {
            .common = apps::common_flags::none,
            .synopsis = "--bootstrap-servers HOST:PORT [flags]",
            .name_width = 28,
            .wrap_width = 100,
            .epilogue = "\nexample:\n"
                        "  scripts/kafka start\n"
                        "  build/bin/brook-publisher --bootstrap-servers 127.0.0.1:9092 --records "
                        "100000 \\\n"
                        "      --rate 2000 --http-port 8080\n",
        });
}

struct publisher_flags {
    std::string bootstrap;
    std::string topic = "brook-publisher-events";
    uint64_t records = 100000;
    uint64_t keys = 8;
    double rate = 0;
    std::filesystem::path outbox_dir = "brook-publisher-outbox";
    bool resume = false;
    std::optional<uint16_t> http_port;
    std::chrono::milliseconds stats_interval{1000};
    std::optional<std::filesystem::path> stats_file;
    int partitions = 3;
    bool create_topics = true;
    std::chrono::milliseconds drain_timeout{0};
    publisher::publisher_options options;
};

// A duration flag's value: "250ms", "10s", "5m", "1h" (see apps::parse_duration), or "0".
// Throws config_error.
std::chrono::milliseconds parse_duration_flag(const std::string& flag, const std::string& text) {
    if (text == "0") {
        return std::chrono::milliseconds(0);
    }
    if (const auto d = apps::parse_duration(text)) {
        return *d;
    }
    throw config_error(fmt::format(
        "--{} must be a duration such as 500ms, 10s, 5m or 1h (or 0), got '{}'", flag, text));
}

void check_topic_name(const std::string& flag, const std::string& name) {
    const bool legal_chars = std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '.' || c == '_' || c == '-';
    });
    if (name.empty() || name.size() > 245 || name == "." || name == ".." || !legal_chars) {
        throw config_error(fmt::format("--{} '{}' is not a legal Kafka topic name: use 1 to 245 "
                                       "of a-z A-Z 0-9 . _ - (room is left for '.dlq'), not '.' "
                                       "or '..'",
                                       flag, name));
    }
}

// The flags of a parsed command line, checked together. Throws config_error.
publisher_flags read_flags(const apps::app_cli& cli) {
    publisher_flags out;
    if (!cli.is_set("bootstrap-servers") || cli.get("bootstrap-servers").empty()) {
        throw config_error("--bootstrap-servers is required: start a broker with scripts/kafka "
                           "start and pass --bootstrap-servers 127.0.0.1:9092");
    }
    out.bootstrap = cli.get("bootstrap-servers");
    if (out.bootstrap == kafka::embedded_bootstrap) {
        throw config_error("--bootstrap-servers embedded cannot work here: the embedded demo "
                           "cluster lives inside this process and dies with it, so events kept "
                           "in the outbox across a crash would be delivered to a new, empty "
                           "cluster. Start a real broker with scripts/kafka start and pass "
                           "--bootstrap-servers 127.0.0.1:9092");
    }
    out.resume = cli.is_set("resume");
    if (out.resume) {
        for (const char* flag : {"records", "keys", "rate"}) {
            if (cli.is_set(flag)) {
                throw config_error(fmt::format("--{} does not apply to --resume, which publishes "
                                               "nothing new",
                                               flag));
            }
        }
    }
    if (cli.is_set("topic")) {
        out.topic = cli.get("topic");
    }
    check_topic_name("topic", out.topic);
    if (cli.is_set("records")) {
        out.records = cli.get_whole_number<uint64_t>("records", 1, 1'000'000'000'000);
    }
    if (cli.is_set("keys")) {
        out.keys = cli.get_whole_number<uint64_t>("keys", 1, 1'000'000'000);
    }
    if (cli.is_set("rate")) {
        out.rate = cli.get_number("rate", 0, 1e9);
    }
    if (cli.is_set("outbox-dir")) {
        if (cli.get("outbox-dir").empty()) {
            throw config_error("--outbox-dir must not be empty");
        }
        out.outbox_dir = cli.get("outbox-dir");
    }
    if (cli.is_set("http-port")) {
        out.http_port = cli.get_whole_number<uint16_t>("http-port", 0, 65535);
    }
    if (cli.is_set("stats-interval")) {
        out.stats_interval = parse_duration_flag("stats-interval", cli.get("stats-interval"));
        if (out.stats_interval < 100ms) {
            throw config_error("--stats-interval must be at least 100ms");
        }
    }
    if (cli.is_set("stats-file")) {
        out.stats_file = cli.get("stats-file");
    }
    if (cli.is_set("partitions")) {
        out.partitions = cli.get_whole_number<int>("partitions", 1, 10000);
    }
    out.create_topics = !cli.is_set("no-create-topics");
    if (cli.is_set("drain-timeout")) {
        out.drain_timeout = parse_duration_flag("drain-timeout", cli.get("drain-timeout"));
    }

    publisher::publisher_options& o = out.options;
    o.kafka.set("bootstrap.servers", out.bootstrap);
    for (const std::string& property : cli.get_all("set")) {
        const auto eq = property.find('='); // there is one: see key_value_check
        o.kafka.set(property.substr(0, eq), property.substr(eq + 1));
    }
    o.outbox_dir = out.outbox_dir;
    if (cli.is_set("delivery-timeout")) {
        o.delivery_timeout = parse_duration_flag("delivery-timeout", cli.get("delivery-timeout"));
        if (o.delivery_timeout.count() == 0) {
            throw config_error("--delivery-timeout must be positive");
        }
    }
    if (cli.is_set("breaker-window")) {
        o.breaker.window_size = cli.get_whole_number<size_t>("breaker-window", 1, 1'000'000);
    }
    if (cli.is_set("breaker-min-calls")) {
        o.breaker.minimum_calls = cli.get_whole_number<size_t>("breaker-min-calls", 1, 1'000'000);
    }
    if (o.breaker.minimum_calls > o.breaker.window_size) {
        throw config_error(fmt::format("--breaker-min-calls ({}) must not exceed "
                                       "--breaker-window ({})",
                                       o.breaker.minimum_calls, o.breaker.window_size));
    }
    if (cli.is_set("breaker-failure-rate")) {
        o.breaker.failure_rate_threshold = cli.get_number("breaker-failure-rate", 0.001, 1);
    }
    if (cli.is_set("breaker-wait")) {
        o.breaker.wait_in_open = parse_duration_flag("breaker-wait", cli.get("breaker-wait"));
    }
    if (cli.is_set("breaker-probes")) {
        o.breaker.permitted_calls_in_half_open =
            cli.get_whole_number<size_t>("breaker-probes", 1, 1000);
    }
    if (cli.is_set("backoff")) {
        o.backoff.clear();
        std::string_view rest = cli.get("backoff");
        while (!rest.empty()) {
            const size_t comma = rest.find(',');
            o.backoff.push_back(parse_duration_flag("backoff", std::string(rest.substr(0, comma))));
            rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
        }
        if (o.backoff.empty()) {
            throw config_error("--backoff needs at least one duration, e.g. 1s,2s,5s");
        }
    }
    if (cli.is_set("max-attempts")) {
        o.max_attempts = cli.get_whole_number<uint32_t>("max-attempts", 1, 1'000'000);
    }
    if (cli.is_set("max-in-flight")) {
        o.max_in_flight = cli.get_whole_number<size_t>("max-in-flight", 1, 10'000'000);
    }
    o.sync_every_write = cli.is_set("sync-every-write");
    if (cli.is_set("sync-interval")) {
        o.sync_interval = parse_duration_flag("sync-interval", cli.get("sync-interval"));
    }
    return out;
}

// Creates the topic and its dead-letter topic when missing. Failing is not fatal: Kafka
// may be down, which is the situation this program is for.
void create_topics(const publisher_flags& flags) {
    try {
        kafka::client_config config;
        config.set("bootstrap.servers", flags.bootstrap);
        kafka::admin_client admin(config);
        admin.create_topics(
            {{flags.topic, flags.partitions}, {flags.topic + ".dlq", flags.partitions}}, 10s);
    } catch (const std::exception& e) {
        std::cerr << fmt::format("{}: could not create {} and {}.dlq ({}); publishing anyway, "
                                 "events wait in the outbox until the topics can be written\n",
                                 program, flags.topic, flags.topic, e.what());
    }
}

void write_stats_file(const std::filesystem::path& path, const nlohmann::json& stats) {
    const std::filesystem::path tmp = path.string() + ".tmp";
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << stats.dump() << '\n';
        if (!out) {
            std::cerr << fmt::format("{}: cannot write {}\n", program, tmp.string());
            return;
        }
    }
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) {
        std::cerr << fmt::format("{}: cannot replace {}: {}\n", program, path.string(),
                                 ec.message());
    }
}

// The run's progress as printed and written: the publisher's counters plus this run's.
nlohmann::json run_stats(const publisher::resilient_publisher& p, uint64_t published,
                         const publisher_flags& flags, std::string_view phase) {
    nlohmann::json j = apps::publisher_stats_json(p.stats());
    j["published"] = published;
    j["records"] = flags.resume ? 0 : flags.records;
    j["phase"] = phase;
    return j;
}

void print_stats(const nlohmann::json& j) {
    std::cout << fmt::format(
                     "{}: {} published={} accepted={} pending={} in_flight={} delivered={} "
                     "dead_lettered={} failed_attempts={} timeouts={} breaker={} (opened={} "
                     "half_opened={} closed={})",
                     program, j["phase"].get<std::string>(), j["published"].get<uint64_t>(),
                     j["accepted"].get<uint64_t>(), j["pending"].get<uint64_t>(),
                     j["in_flight"].get<uint64_t>(), j["delivered"].get<uint64_t>(),
                     j["dead_lettered"].get<uint64_t>(), j["failed_attempts"].get<uint64_t>(),
                     j["delivery_timeouts"].get<uint64_t>(),
                     j["breaker"]["state"].get<std::string>(),
                     j["breaker"]["opened"].get<uint64_t>(),
                     j["breaker"]["half_opened"].get<uint64_t>(),
                     j["breaker"]["closed"].get<uint64_t>())
              << std::endl;
}

int run(const publisher_flags& flags, shutdown_signal& signals) {
    if (flags.create_topics) {
        create_topics(flags);
    }
    std::unique_ptr<publisher::resilient_publisher> publisher;
    try {
        publisher = std::make_unique<publisher::resilient_publisher>(flags.options);
    } catch (const publisher::outbox_damaged& e) {
        // The message names the directory and how many events cannot be read.
        std::cerr << fmt::format("{}: error: {}\n", program, e.what());
        return 1;
    } catch (const std::exception& e) {
        std::cerr << fmt::format("{}: cannot start the publisher: {}\n", program, e.what());
        return 1;
    }

    std::unique_ptr<brook::http_server> http;
    if (flags.http_port) {
        brook::http_server_options options;
        options.port = *flags.http_port;
        http = std::make_unique<brook::http_server>(
            options, [&publisher](const brook::http_request& request) {
                if (request.path == "/metrics") {
                    brook::prometheus_writer w;
                    apps::write_publisher_metrics(w, publisher->stats());
                    brook::http_response r;
                    r.content_type = std::string(brook::prometheus_content_type);
                    r.body = w.take();
                    return r;
                }
                if (request.path == "/health") {
                    return brook::http_response::text(200, "ok\n");
                }
                return brook::http_response::text(404, "not found: try /metrics or /health\n");
            });
        try {
            http->start();
            std::cout << fmt::format("{}: serving /metrics on http://127.0.0.1:{}/metrics", program,
                                     http->port())
                      << std::endl;
        } catch (const std::exception& e) {
            std::cerr << fmt::format("{}: {}\n", program, e.what());
            return 1;
        }
    }

    // Entries that do not decode are set aside by the relay, never delivered: each one is
    // an accepted event lost, and must fail the run (earlier runs' were reported by them).
    const uint64_t quarantined_at_start = publisher->stats().quarantined;
    if (quarantined_at_start > 0) {
        std::cerr << fmt::format("{}: warning: the outbox {} holds {} events set aside earlier "
                                 "because they could not be decoded; they will not be delivered\n",
                                 program, flags.outbox_dir.string(), quarantined_at_start);
    }
    uint64_t published = 0;
    uint64_t rejected = 0;
    bool interrupted = false;
    auto next_report = clock_type::now() + flags.stats_interval;
    const auto report = [&](std::string_view phase) {
        const nlohmann::json j = run_stats(*publisher, published, flags, phase);
        print_stats(j);
        if (flags.stats_file) {
            write_stats_file(*flags.stats_file, j);
        }
    };
    const auto report_if_due = [&](std::string_view phase) {
        if (clock_type::now() >= next_report) {
            report(phase);
            next_report = clock_type::now() + flags.stats_interval;
        }
    };

    if (!flags.resume) {
        const apps::rate_pacer pace(flags.rate);
        std::string value;
        while (published < flags.records && !interrupted) {
            // Publish every event due by now (all of them without a rate), then wait for the
            // next one, or a signal.
            const uint64_t due = pace.due(flags.records);
            for (uint64_t n = 0; published < due && n < 1000; ++n, ++published) {
                const std::string key = fmt::format("key-{}", published % flags.keys);
                value = fmt::format(R"({{"key":"{}","seq":{}}})", key, published);
                const publisher::publish_receipt r = publisher->publish(flags.topic, key, value);
                if (!r.accepted && rejected++ < 10) {
                    std::cerr << fmt::format("{}: event {} rejected: {}\n", program, published,
                                             r.message);
                }
            }
            const std::chrono::milliseconds wait =
                published < flags.records && published >= due ? pace.wait_for(published) : 0ms;
            if (signals.wait(wait) != 0) {
                interrupted = true;
            }
            report_if_due("publishing");
        }
        if (!interrupted) {
            report("published");
        }
    }

    const auto drain_deadline = clock_type::now() + flags.drain_timeout;
    while (!interrupted && publisher->stats().pending > 0) {
        if (flags.drain_timeout.count() > 0 && clock_type::now() >= drain_deadline) {
            std::cerr << fmt::format("{}: --drain-timeout passed with events still in the "
                                     "outbox; run again with --resume to deliver them\n",
                                     program);
            break;
        }
        if (signals.wait(100ms) != 0) {
            interrupted = true;
        }
        report_if_due("draining");
    }

    publisher->close();
    if (http) {
        http->stop();
    }
    const publisher::publisher_stats final = publisher->stats();
    report(interrupted ? "interrupted" : "done");
    if (interrupted) {
        std::cerr << fmt::format("{}: stopped by a signal; {} events stay in {}, run again with "
                                 "--resume to deliver them\n",
                                 program, final.pending, flags.outbox_dir.string());
        return 130;
    }
    if (final.quarantined > quarantined_at_start) {
        std::cerr << fmt::format("{}: error: {} events in the outbox {} could not be decoded and "
                                 "were not delivered; they are kept in the outbox (quarantined) "
                                 "for inspection; publish them again from their source\n",
                                 program, final.quarantined - quarantined_at_start,
                                 flags.outbox_dir.string());
        return 1;
    }
    if (rejected > 0 || final.pending > 0) {
        return 1;
    }
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    // First, before any thread starts: SIGINT and SIGTERM become something to wait for.
    shutdown_signal signals;
    apps::app_cli cli = make_cli();
    publisher_flags flags;
    if (const std::optional<int> code =
            cli.parse_or_exit(argc, argv, [&] { flags = read_flags(cli); })) {
        return *code;
    }
    try {
        return run(flags, signals);
    } catch (const std::exception& e) {
        std::cerr << fmt::format("{}: {}\n", program, e.what());
        return 1;
    }
}
