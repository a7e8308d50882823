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
// rejected or are still pending after --drain-timeout, or the publisher could not start;
// 2 bad flags; 130 stopped by SIGINT or SIGTERM (publishing stops; the outbox keeps what
// was accepted, for --resume).

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "apps/common/http_server.h"
#include "apps/common/prometheus_text.h"
#include "apps/publisher/publisher_metrics.h"
#include "engine/errors.h"
#include "engine/kafka/admin_client.h"
#include "engine/kafka/embedded_cluster.h"
#include "engine/publisher/resilient_publisher.h"
#include "engine/runtime/shutdown_signal.h"

namespace {

using namespace brook;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

constexpr std::string_view program = "brook-publisher";

struct flag_spec {
    std::string name;       // without "--"
    std::string value_name; // empty for a switch
    std::string help;
};

const std::vector<flag_spec>& flag_specs() {
    static const std::vector<flag_spec> specs = {
        {"bootstrap-servers", "HOST:PORT",
         "the Kafka cluster to publish to (required). The apps' 'embedded' demo cluster "
         "cannot be used: it lives and dies inside this process, so the events an outbox "
         "keeps across a crash would be delivered to a new, empty cluster; start a broker "
         "with scripts/kafka start and pass 127.0.0.1:9092"},
        {"topic", "NAME", "the topic to publish to (default: brook-publisher-events)"},
        {"records", "N", "events to publish (default: 100000)"},
        {"keys", "K", "distinct keys, key-0 .. key-<K-1> in turn (default: 8)"},
        {"rate", "R", "events per second, 0 for as fast as possible (default: 0)"},
        {"outbox-dir", "DIR",
         "the outbox directory; undelivered events wait there across restarts "
         "(default: ./brook-publisher-outbox)"},
        {"resume", "", "publish nothing new: deliver what the outbox holds, then exit"},
        {"http-port", "P", "serve /metrics (Prometheus) and /health on 127.0.0.1:P"},
        {"stats-interval", "DURATION", "how often to print the counters (default: 1s)"},
        {"stats-file", "PATH",
         "also write the counters as JSON to PATH (atomically) at each interval and at exit"},
        {"partitions", "P",
         "partitions of the topic and its .dlq topic when this creates them (default: 3)"},
        {"no-create-topics", "", "do not create the topic and its .dlq topic when missing"},
        {"delivery-timeout", "DURATION",
         "an event unacknowledged this long counts as a failure for the breaker (default: 10s)"},
        {"breaker-window", "N", "the breaker's sliding window of recent calls (default: 20)"},
        {"breaker-min-calls", "N", "calls in the window before it may open (default: 10)"},
        {"breaker-failure-rate", "F", "failure rate that opens it, 0 to 1 (default: 0.5)"},
        {"breaker-wait", "DURATION", "how long it stays open before probing (default: 5s)"},
        {"breaker-probes", "N", "probe calls while half-open (default: 3)"},
        {"backoff", "LIST",
         "waits before retrying a failed event, the last repeating (default: 1s,2s,5s,10s,30s)"},
        {"max-attempts", "N", "failed attempts before the dead-letter topic (default: 5)"},
        {"max-in-flight", "N", "events handed to the producer at most (default: 10000)"},
        {"sync-every-write", "", "fsync the outbox on every event (power-cut safe, slower)"},
        {"sync-interval", "DURATION", "fsync the outbox this often otherwise (default: 1s)"},
        {"drain-timeout", "DURATION",
         "after publishing, wait at most this long for delivery; 0 waits until the outbox is "
         "empty (default: 0)"},
        {"set", "KEY=VALUE", "a librdkafka producer property; repeatable"},
        {"help", "", "this text"},
    };
    return specs;
}

std::string usage() {
    std::string out = fmt::format(
        "usage: {} --bootstrap-servers HOST:PORT [flags]\n\n"
        "Publishes --records events through the resilient publisher: accepted into a local\n"
        "outbox at once, delivered in order per key whenever Kafka is reachable, retried\n"
        "with backoff, dead-lettered to <topic>.dlq after the last attempt. Prints the\n"
        "counters every --stats-interval; exits 0 once everything is delivered, 1 if events\n"
        "were rejected or are left after --drain-timeout, 2 on bad flags, 130 on SIGINT or\n"
        "SIGTERM (the outbox keeps the rest; run again with --resume).\n\n"
        "flags:\n",
        program);
    constexpr size_t indent = 33;
    constexpr size_t width = 100 - indent;
    for (const flag_spec& f : flag_specs()) {
        const std::string left = f.value_name.empty() ? f.name : f.name + " " + f.value_name;
        out += fmt::format("  --{:<28} ", left);
        size_t column = 0;
        std::string_view rest = f.help;
        while (!rest.empty()) {
            const size_t space = rest.find(' ');
            const std::string_view word = rest.substr(0, space);
            rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
            if (column > 0 && column + 1 + word.size() > width) {
                out += "\n" + std::string(indent, ' ');
                column = 0;
            } else if (column > 0) {
                out += ' ';
                ++column;
            }
            out += word;
            column += word.size();
        }
        out += '\n';
    }
    out += "\nexample:\n"
           "  scripts/kafka start\n"
           "  build/bin/brook-publisher --bootstrap-servers 127.0.0.1:9092 --records 100000 \\\n"
           "      --rate 2000 --http-port 8080\n";
    return out;
}

struct flag_error {
    std::string message;
};

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
    bool help = false;
};

template <typename T>
T parse_integer(const std::string& flag, const std::string& text, T min, T max) {
    T out{};
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() || out < min ||
        out > max) {
        throw flag_error{fmt::format("--{} must be a whole number from {} to {}, got '{}'", flag,
                                     min, max, text)};
    }
    return out;
}

double parse_number(const std::string& flag, const std::string& text, double min, double max) {
    double out = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() ||
        !std::isfinite(out) || out < min || out > max) {
        throw flag_error{
            fmt::format("--{} must be a number from {} to {}, got '{}'", flag, min, max, text)};
    }
    return out;
}

// "250ms", "10s", "5m", "1h", or "0".
std::chrono::milliseconds parse_duration(const std::string& flag, const std::string& text) {
    const auto bad = [&] {
        return flag_error{fmt::format(
            "--{} must be a duration such as 500ms, 10s, 5m or 1h (or 0), got '{}'", flag, text)};
    };
    if (text == "0") {
        return std::chrono::milliseconds(0);
    }
    int64_t n = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc() || n < 0 || ptr == text.data()) {
        throw bad();
    }
    const std::string_view unit(ptr, static_cast<size_t>(text.data() + text.size() - ptr));
    static const std::map<std::string_view, int64_t> units = {
        {"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}};
    const auto it = units.find(unit);
    if (it == units.end() || n > INT64_MAX / it->second) {
        throw bad();
    }
    return std::chrono::milliseconds(n * it->second);
}

void check_topic_name(const std::string& flag, const std::string& name) {
    const bool legal_chars = std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '.' || c == '_' || c == '-';
    });
    if (name.empty() || name.size() > 245 || name == "." || name == ".." || !legal_chars) {
        throw flag_error{fmt::format("--{} '{}' is not a legal Kafka topic name: use 1 to 245 of "
                                     "a-z A-Z 0-9 . _ - (room is left for '.dlq'), not '.' or '..'",
                                     flag, name)};
    }
}

// Throws flag_error.
publisher_flags parse_flags(int argc, char** argv) {
    publisher_flags out;
    std::map<std::string, std::string> given;
    std::vector<std::pair<std::string, std::string>> properties;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "-h" || arg == "--help") {
            out.help = true;
            return out;
        }
        if (!arg.starts_with("--")) {
            throw flag_error{fmt::format("unexpected argument '{}': flags start with --", arg)};
        }
        std::string name = arg.substr(2);
        std::optional<std::string> value;
        if (const auto eq = name.find('='); eq != std::string::npos) {
            value = name.substr(eq + 1);
            name.resize(eq);
        }
        const auto& specs = flag_specs();
        const auto spec = std::find_if(specs.begin(), specs.end(),
                                       [&](const flag_spec& f) { return f.name == name; });
        if (spec == specs.end()) {
            throw flag_error{fmt::format("unknown flag '--{}' (see --help)", name)};
        }
        if (spec->value_name.empty()) {
            if (value) {
                throw flag_error{fmt::format("flag '--{}' takes no value", name)};
            }
            value = "true";
        } else if (!value) {
            if (i + 1 >= argc) {
                throw flag_error{fmt::format("flag '--{}' needs a value: {}", name, spec->help)};
            }
            value = argv[++i];
        }
        if (name == "set") {
            const auto eq = value->find('=');
            if (eq == std::string::npos || eq == 0) {
                throw flag_error{fmt::format("--set needs KEY=VALUE, got '{}'", *value)};
            }
            properties.emplace_back(value->substr(0, eq), value->substr(eq + 1));
        }
        given[name] = *value;
    }

    if (!given.contains("bootstrap-servers") || given["bootstrap-servers"].empty()) {
        throw flag_error{"--bootstrap-servers is required: start a broker with scripts/kafka "
                         "start and pass --bootstrap-servers 127.0.0.1:9092"};
    }
    out.bootstrap = given["bootstrap-servers"];
    if (out.bootstrap == kafka::embedded_bootstrap) {
        throw flag_error{"--bootstrap-servers embedded cannot work here: the embedded demo "
                         "cluster lives inside this process and dies with it, so events kept "
                         "in the outbox across a crash would be delivered to a new, empty "
                         "cluster. Start a real broker with scripts/kafka start and pass "
                         "--bootstrap-servers 127.0.0.1:9092"};
    }
    out.resume = given.contains("resume");
    if (out.resume) {
        for (const char* flag : {"records", "keys", "rate"}) {
            if (given.contains(flag)) {
                throw flag_error{fmt::format("--{} does not apply to --resume, which publishes "
                                             "nothing new",
                                             flag)};
            }
        }
    }
    if (given.contains("topic")) {
        out.topic = given["topic"];
    }
    check_topic_name("topic", out.topic);
    if (given.contains("records")) {
        out.records = parse_integer<uint64_t>("records", given["records"], 1, 1'000'000'000'000);
    }
    if (given.contains("keys")) {
        out.keys = parse_integer<uint64_t>("keys", given["keys"], 1, 1'000'000'000);
    }
    if (given.contains("rate")) {
        out.rate = parse_number("rate", given["rate"], 0, 1e9);
    }
    if (given.contains("outbox-dir")) {
        if (given["outbox-dir"].empty()) {
            throw flag_error{"--outbox-dir must not be empty"};
        }
        out.outbox_dir = given["outbox-dir"];
    }
    if (given.contains("http-port")) {
        out.http_port = parse_integer<uint16_t>("http-port", given["http-port"], 0, 65535);
    }
    if (given.contains("stats-interval")) {
        out.stats_interval = parse_duration("stats-interval", given["stats-interval"]);
        if (out.stats_interval < 100ms) {
            throw flag_error{"--stats-interval must be at least 100ms"};
        }
    }
    if (given.contains("stats-file")) {
        out.stats_file = given["stats-file"];
    }
    if (given.contains("partitions")) {
        out.partitions = parse_integer<int>("partitions", given["partitions"], 1, 10000);
    }
    out.create_topics = !given.contains("no-create-topics");
    if (given.contains("drain-timeout")) {
        out.drain_timeout = parse_duration("drain-timeout", given["drain-timeout"]);
    }

    publisher::publisher_options& o = out.options;
    o.kafka.set("bootstrap.servers", out.bootstrap);
    for (const auto& [key, value] : properties) {
        o.kafka.set(key, value);
    }
    o.outbox_dir = out.outbox_dir;
    if (given.contains("delivery-timeout")) {
        o.delivery_timeout = parse_duration("delivery-timeout", given["delivery-timeout"]);
        if (o.delivery_timeout.count() == 0) {
            throw flag_error{"--delivery-timeout must be positive"};
        }
    }
    if (given.contains("breaker-window")) {
        o.breaker.window_size =
            parse_integer<size_t>("breaker-window", given["breaker-window"], 1, 1'000'000);
    }
    if (given.contains("breaker-min-calls")) {
        o.breaker.minimum_calls =
            parse_integer<size_t>("breaker-min-calls", given["breaker-min-calls"], 1, 1'000'000);
    }
    if (o.breaker.minimum_calls > o.breaker.window_size) {
        throw flag_error{fmt::format("--breaker-min-calls ({}) must not exceed --breaker-window "
                                     "({})",
                                     o.breaker.minimum_calls, o.breaker.window_size)};
    }
    if (given.contains("breaker-failure-rate")) {
        o.breaker.failure_rate_threshold =
            parse_number("breaker-failure-rate", given["breaker-failure-rate"], 0.001, 1);
    }
    if (given.contains("breaker-wait")) {
        o.breaker.wait_in_open = parse_duration("breaker-wait", given["breaker-wait"]);
    }
    if (given.contains("breaker-probes")) {
        o.breaker.permitted_calls_in_half_open =
            parse_integer<size_t>("breaker-probes", given["breaker-probes"], 1, 1000);
    }
    if (given.contains("backoff")) {
        o.backoff.clear();
        std::string_view rest = given["backoff"];
        while (!rest.empty()) {
            const size_t comma = rest.find(',');
            o.backoff.push_back(parse_duration("backoff", std::string(rest.substr(0, comma))));
            rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
        }
        if (o.backoff.empty()) {
            throw flag_error{"--backoff needs at least one duration, e.g. 1s,2s,5s"};
        }
    }
    if (given.contains("max-attempts")) {
        o.max_attempts =
            parse_integer<uint32_t>("max-attempts", given["max-attempts"], 1, 1'000'000);
    }
    if (given.contains("max-in-flight")) {
        o.max_in_flight =
            parse_integer<size_t>("max-in-flight", given["max-in-flight"], 1, 10'000'000);
    }
    o.sync_every_write = given.contains("sync-every-write");
    if (given.contains("sync-interval")) {
        o.sync_interval = parse_duration("sync-interval", given["sync-interval"]);
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
    } catch (const std::exception& e) {
        std::cerr << fmt::format("{}: cannot start the publisher: {}\n", program, e.what());
        return 1;
    }

    std::unique_ptr<apps::http_server> http;
    if (flags.http_port) {
        apps::http_server_options options;
        options.port = *flags.http_port;
        http = std::make_unique<apps::http_server>(
            options, [&publisher](const apps::http_request& request) {
                if (request.path == "/metrics") {
                    apps::prometheus_writer w;
                    apps::write_publisher_metrics(w, publisher->stats());
                    apps::http_response r;
                    r.content_type = std::string(apps::prometheus_content_type);
                    r.body = w.take();
                    return r;
                }
                if (request.path == "/health") {
                    return apps::http_response::text(200, "ok\n");
                }
                return apps::http_response::text(404, "not found: try /metrics or /health\n");
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
        const auto start = clock_type::now();
        std::string value;
        while (published < flags.records && !interrupted) {
            // Publish every event due by now (all of them without a rate), then wait for the
            // next one, or a signal.
            uint64_t due = flags.records;
            if (flags.rate > 0) {
                const double elapsed =
                    std::chrono::duration<double>(clock_type::now() - start).count();
                due = std::min<uint64_t>(flags.records,
                                         static_cast<uint64_t>(elapsed * flags.rate) + 1);
            }
            for (uint64_t n = 0; published < due && n < 1000; ++n, ++published) {
                const std::string key = fmt::format("key-{}", published % flags.keys);
                value = fmt::format(R"({{"key":"{}","seq":{}}})", key, published);
                const publisher::publish_receipt r = publisher->publish(flags.topic, key, value);
                if (!r.accepted && rejected++ < 10) {
                    std::cerr << fmt::format("{}: event {} rejected: {}\n", program, published,
                                             r.message);
                }
            }
            std::chrono::milliseconds wait(0);
            if (flags.rate > 0 && published < flags.records && published >= due) {
                const auto next =
                    start +
                    std::chrono::duration_cast<clock_type::duration>(
                        std::chrono::duration<double>(static_cast<double>(published) / flags.rate));
                wait = std::max(
                    1ms, std::chrono::ceil<std::chrono::milliseconds>(next - clock_type::now()));
            }
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
    if (rejected > 0 || final.pending > 0) {
        return 1;
    }
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    // First, before any thread starts: SIGINT and SIGTERM become something to wait for.
    shutdown_signal signals;
    publisher_flags flags;
    try {
        flags = parse_flags(argc, argv);
    } catch (const flag_error& e) {
        std::cerr << fmt::format("{}: {}\n\n{}", program, e.message, usage());
        return 2;
    }
    if (flags.help) {
        std::cout << usage();
        return 0;
    }
    try {
        return run(flags, signals);
    } catch (const std::exception& e) {
        std::cerr << fmt::format("{}: {}\n", program, e.what());
        return 1;
    }
}
