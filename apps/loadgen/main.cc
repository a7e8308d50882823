// brook-loadgen: writes an example app's input to a Kafka cluster, a given number of
// records at a given rate, generated from a fixed seed (see generators.h for the exact
// rules), with a progress bar on a terminal and a one-line summary at the end.
//
// It waits for the broker's acknowledgement of every record and exits non-zero if any
// failed, so a test or benchmark that ran it knows exactly what the topic holds.
//
// Exit codes: 0 all records acknowledged; 1 a Kafka failure (some records not
// acknowledged); 2 bad flags; 130 interrupted (the records sent were still flushed).

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <iterator>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <unistd.h>
#include <vector>

#include <fmt/format.h>

#include "apps/common/app_cli.h"
#include "apps/loadgen/generators.h"
#include "engine/errors.h"
#include "engine/kafka/admin_client.h"
#include "engine/kafka/embedded_cluster.h"
#include "engine/kafka/kafka_error.h"
#include "engine/kafka/producer.h"
#include "engine/runtime/shutdown_signal.h"

namespace {

using namespace brook;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

constexpr std::string_view program = "brook-loadgen";

// ---- flags ---------------------------------------------------------------------------

// The flags that only one --app takes; the others apply to both.
constexpr std::array<const char*, 3> metrics_only_flags = {"topic", "hosts", "names"};
constexpr std::array<const char*, 4> activity_only_flags = {"user-topic", "order-topic", "users",
                                                            "order-ratio"};

apps::app_cli make_cli() {
    return apps::app_cli(
        std::string(program),
        "Writes the input of a Brook example app to Kafka: --records records at --rate per\n"
        "second, generated from --seed, so the same flags always write the same records.\n"
        "Missing topics are created. Waits for every record's acknowledgement; exits 0 when\n"
        "all were written, 1 on a Kafka failure, 2 on bad flags, 130 when interrupted.",
        {
            {.name = "app",
             .help = "whose input to write: metrics or user-activity (required)",
             .value_name = "NAME"},
            {.name = "bootstrap-servers",
             .help = "the Kafka cluster to write to (required). The apps' default 'embedded' "
                     "cluster lives inside one app process and cannot be reached from here: "
                     "start a broker with scripts/kafka start and pass 127.0.0.1:9092",
             .value_name = "HOST:PORT"},
            {.name = "records",
             .help = "records to write, malformed and duplicates included (default: 100000)",
             .value_name = "N"},
            {.name = "rate",
             .help = "records per second, 0 for as fast as possible (default: 0)",
             .value_name = "R"},
            {.name = "seed",
             .help = "seed of the generator; the same flags write the same records (default: 1)",
             .value_name = "S"},
            {.name = "malformed-ratio",
             .help = "share of records the app must reject, 0 to 1: exactly floor(n * F) of the "
                     "first n records of each topic, cycling through every kind of malformation "
                     "(default: 0)",
             .value_name = "F"},
            {.name = "duplicate-ratio",
             .help = "share of well-formed records that are exact copies of a recent one, as "
                     "producer retries would write, 0 to below 1 (default: 0)",
             .value_name = "F"},
            {.name = "start-ts",
             .help = "event time of the first record, epoch ms (default: now; the broker's "
                     "time-based retention may soon delete records much older than that)",
             .value_name = "MS"},
            {.name = "ts-step",
             .help = "event time added per record, so record i has start-ts + i * ts-step "
                     "(default: 1)",
             .value_name = "MS"},
            {.name = "topic",
             .help = "metrics: the input topic (default: raw-metrics)",
             .value_name = "NAME"},
            {.name = "hosts",
             .help = "metrics: distinct hosts, the record keys (default: 8)",
             .value_name = "N"},
            {.name = "names",
             .help = "metrics: distinct metric names (default: 6)",
             .value_name = "N"},
            {.name = "user-topic",
             .help = "user-activity: the user events topic (default: user-events)",
             .value_name = "NAME"},
            {.name = "order-topic",
             .help = "user-activity: the order events topic (default: order-events)",
             .value_name = "NAME"},
            {.name = "users",
             .help = "user-activity: distinct users, the record keys (default: 1000)",
             .value_name = "N"},
            {.name = "order-ratio",
             .help = "user-activity: share of records that are orders (default: 0.2)",
             .value_name = "F"},
            {.name = "partitions",
             .help = "partitions of the topics created when missing; existing topics are left "
                     "as they are (default: 3)",
             .value_name = "P"},
            {.name = "set",
             .help = "a librdkafka producer property, overriding the tuned defaults (linger.ms=5, "
                     "batch.size=1000000, enable.idempotence=true, partitioner=murmur2_random)",
             .repeatable = true,
             .value_name = "KEY=VALUE",
             .check = apps::key_value_check("set", "KEY=VALUE")},
            {.name = "no-progress",
             .help = "no progress bar or progress lines, only the summary",
             .is_switch = true},
            {.name = "dry-run",
             .help = "print the records to stdout instead of writing them, one a line: topic, "
                     "key, timestamp and value, tab-separated; needs no broker (--rate still "
                     "applies)",
             .is_switch = true},
        },
        {
            .common = apps::common_flags::none,
            .synopsis = "--app metrics|user-activity --bootstrap-servers HOST:PORT [flags]",
            .name_width = 28,
            .wrap_width = 100,
            .epilogue =
                "\nexample:\n"
                "  scripts/kafka start\n"
                "  build/bin/brook-loadgen --app metrics --bootstrap-servers 127.0.0.1:9092 \\\n"
                "      --records 1000000 --malformed-ratio 0.01 --seed 7\n",
        });
}

// The validated command line. Every field is checked by read_flags().
struct loadgen_flags {
    std::string app;
    std::string bootstrap;
    uint64_t records = 100000;
    double rate = 0;
    apps::generator_options generator;
    bool start_ts_given = false;
    std::array<std::string, 3> topics; // by loadgen_input
    int partitions = 3;
    bool partitions_given = false;
    std::vector<std::pair<std::string, std::string>> producer_properties;
    bool progress = true;
    bool dry_run = false;
};

// Kafka's own rule for topic names, checked here so a typo fails before any request.
void check_topic_name(const std::string& flag, const std::string& name) {
    const bool legal_chars = std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '.' || c == '_' || c == '-';
    });
    if (name.empty() || name.size() > 249 || name == "." || name == ".." || !legal_chars) {
        throw config_error(fmt::format("--{} '{}' is not a legal Kafka topic name: use 1 to 249 of "
                                       "a-z A-Z 0-9 . _ -, and not '.' or '..'",
                                       flag, name));
    }
}

int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// The flags of a parsed command line, checked together. Throws config_error.
loadgen_flags read_flags(const apps::app_cli& cli) {
    loadgen_flags out;
    for (const std::string& property : cli.get_all("set")) {
        const auto eq = property.find('='); // there is one: see key_value_check
        out.producer_properties.emplace_back(property.substr(0, eq), property.substr(eq + 1));
    }

    if (!cli.is_set("app")) {
        throw config_error("--app is required: metrics or user-activity");
    }
    out.app = cli.get("app");
    const bool metrics = out.app == "metrics";
    if (!metrics && out.app != "user-activity") {
        throw config_error(
            fmt::format("--app must be metrics or user-activity, got '{}'", out.app));
    }
    const std::span<const char* const> other_apps_flags =
        metrics ? std::span<const char* const>(activity_only_flags) : metrics_only_flags;
    for (const char* flag : other_apps_flags) {
        if (cli.is_set(flag)) {
            throw config_error(fmt::format("--{} does not apply to --app {}", flag, out.app));
        }
    }

    out.dry_run = cli.is_set("dry-run");
    if (out.dry_run) {
        for (const char* flag : {"bootstrap-servers", "partitions", "set"}) {
            if (cli.is_set(flag)) {
                throw config_error(fmt::format("--{} does not apply to --dry-run", flag));
            }
        }
    } else if (!cli.is_set("bootstrap-servers")) {
        throw config_error("--bootstrap-servers is required: start a broker with scripts/kafka "
                           "start and pass --bootstrap-servers 127.0.0.1:9092 (or use --dry-run "
                           "to print the records)");
    }
    out.bootstrap = out.dry_run ? "-" : cli.get("bootstrap-servers");
    if (out.bootstrap == kafka::embedded_bootstrap) {
        throw config_error(
            "--bootstrap-servers embedded cannot work here: the embedded demo cluster lives "
            "inside one app process, so records written by brook-loadgen would never reach "
            "the app. Start a real broker with scripts/kafka start and pass "
            "--bootstrap-servers 127.0.0.1:9092 to both brook-loadgen and the app");
    }
    if (out.bootstrap.empty()) {
        throw config_error("--bootstrap-servers must not be empty");
    }

    constexpr uint64_t max_records = 1'000'000'000'000ULL;
    if (cli.is_set("records")) {
        out.records = cli.get_whole_number<uint64_t>("records", 1, max_records);
    }
    if (cli.is_set("rate")) {
        out.rate = cli.get_number("rate", 0, 1e9);
    }
    apps::generator_options& g = out.generator;
    if (cli.is_set("seed")) {
        g.seed = cli.get_whole_number<uint64_t>("seed", 0, UINT64_MAX);
    }
    if (cli.is_set("malformed-ratio")) {
        g.malformed_ratio = cli.get_number("malformed-ratio", 0, 1);
    }
    if (cli.is_set("duplicate-ratio")) {
        g.duplicate_ratio = cli.get_number("duplicate-ratio", 0, 0.999999);
    }
    out.start_ts_given = cli.is_set("start-ts");
    g.start_ts =
        out.start_ts_given ? cli.get_whole_number<int64_t>("start-ts", 1, INT64_MAX) : now_ms();
    if (cli.is_set("ts-step")) {
        g.ts_step = cli.get_whole_number<int64_t>("ts-step", 0, 86'400'000);
    }
    // The last record's event time must fit in an int64 of milliseconds.
    int64_t span = 0;
    int64_t last_ts = 0;
    if (__builtin_mul_overflow(static_cast<int64_t>(out.records - 1), g.ts_step, &span) ||
        __builtin_add_overflow(g.start_ts, span, &last_ts)) {
        throw config_error("--start-ts + (--records - 1) * --ts-step overflows epoch "
                           "milliseconds: use a smaller --ts-step or --start-ts");
    }
    if (cli.is_set("hosts")) {
        g.hosts = cli.get_whole_number<int>("hosts", 1, 1'000'000);
    }
    if (cli.is_set("names")) {
        g.names = cli.get_whole_number<int>("names", 1, 1'000'000);
    }
    if (cli.is_set("users")) {
        g.users = cli.get_whole_number<int>("users", 1, 100'000'000);
    }
    if (cli.is_set("order-ratio")) {
        g.order_ratio = cli.get_number("order-ratio", 0, 1);
    }
    // Ratios below one in a million would silently become 0: say so instead.
    for (const char* flag : {"malformed-ratio", "duplicate-ratio", "order-ratio"}) {
        if (cli.is_set(flag)) {
            (void)apps::ratio_to_ppm(cli.get_number(flag, 0, 1), 1.0, std::string("--") + flag);
        }
    }

    using apps::loadgen_input;
    for (loadgen_input in :
         {loadgen_input::raw_metrics, loadgen_input::user_events, loadgen_input::order_events}) {
        out.topics[static_cast<size_t>(in)] = std::string(apps::default_topic(in));
    }
    const std::array<std::pair<const char*, loadgen_input>, 3> topic_flags{{
        {"topic", loadgen_input::raw_metrics},
        {"user-topic", loadgen_input::user_events},
        {"order-topic", loadgen_input::order_events},
    }};
    for (const auto& [flag, input] : topic_flags) {
        if (cli.is_set(flag)) {
            out.topics[static_cast<size_t>(input)] = cli.get(flag);
        }
        check_topic_name(flag, out.topics[static_cast<size_t>(input)]);
    }
    if (!metrics && out.topics[1] == out.topics[2]) {
        throw config_error(fmt::format(
            "--user-topic and --order-topic are both '{}': the app reads them separately",
            out.topics[1]));
    }
    out.partitions_given = cli.is_set("partitions");
    if (out.partitions_given) {
        out.partitions = cli.get_whole_number<int>("partitions", 1, 10000);
    }
    out.progress = !cli.is_set("no-progress");
    return out;
}

// ---- progress ------------------------------------------------------------------------

// Shows how far a run is: on a terminal one redrawn line with a bar (at most 10 times a
// second), elsewhere (logs, CI) a plain line every 5 seconds. Lifecycle: one per run;
// finish() ends a bar's line. Threading: the producing thread only.
class progress_display {
public:
    // `acked`: whether to show acknowledgements (not in a dry run).
    progress_display(uint64_t total, bool enabled, bool acked)
        : _total(total), _enabled(enabled), _acked(acked), _tty(isatty(fileno(stderr)) != 0),
          _started(clock_type::now()), _last(_started) {}

    void update(uint64_t sent, uint64_t acked, bool force = false) {
        if (!_enabled) {
            return;
        }
        const auto now = clock_type::now();
        if (!force && now - _last < (_tty ? 100ms : 5s)) {
            return;
        }
        _last = now;
        const double seconds = std::chrono::duration<double>(now - _started).count();
        const double rate = seconds > 0 ? static_cast<double>(sent) / seconds : 0.0;
        const double fraction = static_cast<double>(sent) / static_cast<double>(_total);
        if (_tty) {
            constexpr int width = 30;
            const int filled = std::clamp(static_cast<int>(fraction * width), 0, width);
            const std::string eta =
                rate > 0 && sent < _total
                    ? fmt::format(" ETA {:.1f} s", static_cast<double>(_total - sent) / rate)
                    : "";
            std::fputs(fmt::format("\r[{}{}] {:3.0f}% {}/{} sent{}, {:.0f} records/s{}\033[K",
                                   std::string(static_cast<size_t>(filled), '#'),
                                   std::string(static_cast<size_t>(width - filled), '.'),
                                   fraction * 100, sent, _total,
                                   _acked ? fmt::format(", {} acked", acked) : "", rate, eta)
                           .c_str(),
                       stderr);
            _line_open = true;
        } else {
            std::fputs(fmt::format("{}: {}/{} records sent ({:.0f}%){}, {:.0f} records/s\n",
                                   program, sent, _total, fraction * 100,
                                   _acked ? fmt::format(", {} acknowledged", acked) : "", rate)
                           .c_str(),
                       stderr);
        }
        std::fflush(stderr);
    }

    void finish() {
        if (_line_open) {
            std::fputc('\n', stderr);
            _line_open = false;
        }
    }

private:
    uint64_t _total;
    bool _enabled;
    bool _acked;
    bool _tty;
    clock_type::time_point _started;
    clock_type::time_point _last;
    bool _line_open = false;
};

// ---- the run -------------------------------------------------------------------------

kafka::client_config producer_config(const loadgen_flags& flags) {
    // Throughput without giving up exactness: idempotence keeps retries from writing
    // duplicates or reordering; large batches and a short linger let librdkafka fill
    // them; murmur2_random is the Java client's partitioner, so a key lands in the
    // partition a Kafka Streams or Brook app would pick.
    kafka::client_config config{
        {"bootstrap.servers", flags.bootstrap},
        {"enable.idempotence", "true"},
        {"acks", "all"},
        {"linger.ms", "5"},
        {"batch.size", "1000000"},
        {"batch.num.messages", "100000"},
        {"queue.buffering.max.messages", "1000000"},
        {"queue.buffering.max.kbytes", "1048576"},
        {"partitioner", "murmur2_random"},
    };
    for (const auto& [key, value] : flags.producer_properties) {
        config.set(key, value);
    }
    return config;
}

void ensure_topics(const loadgen_flags& flags, std::span<const apps::loadgen_input> inputs) {
    kafka::client_config config{{"bootstrap.servers", flags.bootstrap}};
    for (const auto& [key, value] : flags.producer_properties) {
        config.set(key, value); // security settings apply to the admin client too
    }
    kafka::admin_client admin(config);
    std::vector<kafka::topic_spec> missing;
    for (apps::loadgen_input input : inputs) {
        const std::string& topic = flags.topics[static_cast<size_t>(input)];
        const std::optional<int> partitions = admin.partition_count(topic, 10s);
        if (!partitions) {
            missing.push_back({topic, flags.partitions, -1, {}});
            std::cerr << fmt::format("{}: creating topic '{}' with {} partitions\n", program, topic,
                                     flags.partitions);
        } else if (flags.partitions_given && *partitions != flags.partitions) {
            std::cerr << fmt::format("{}: topic '{}' exists with {} partitions; --partitions {} "
                                     "only applies to topics it creates\n",
                                     program, topic, *partitions, flags.partitions);
        }
    }
    admin.create_topics(missing, 30s);
}

// Counts delivery reports; the first failure's reason is kept for the summary.
struct delivery_tally {
    uint64_t acked = 0;
    uint64_t failed = 0;
    std::string first_error;
};

// Records handed to the producer (or printed) between checks for signals and progress.
constexpr uint64_t chunk = 4096;

// --dry-run: the records as text on stdout, paced like a real run. Returns the exit code.
int print_records(const loadgen_flags& flags, apps::record_generator& generator,
                  shutdown_signal& signals) {
    progress_display progress(flags.records, flags.progress, false);
    const apps::rate_pacer pace(flags.rate);
    std::string line;
    uint64_t printed = 0;
    int signal_number = 0;
    while (printed < flags.records) {
        if ((signal_number = signals.wait(0ms)) != 0) {
            break;
        }
        const uint64_t due = pace.due(flags.records);
        if (due <= printed) {
            std::fflush(stdout); // a reader downstream sees records as they are due
            std::this_thread::sleep_for(pace.wait_for(printed));
            progress.update(printed, printed);
            continue;
        }
        for (const uint64_t end = std::min(due, printed + chunk); printed < end; ++printed) {
            const apps::generated_record& r = generator.next();
            line.clear();
            fmt::format_to(std::back_inserter(line), "{}\t{}\t{}\t{}\n",
                           flags.topics[static_cast<size_t>(r.input)], r.key, r.timestamp, r.value);
            std::fwrite(line.data(), 1, line.size(), stdout);
        }
        progress.update(printed, printed);
    }
    std::fflush(stdout);
    progress.update(printed, printed, true);
    progress.finish();
    std::cerr << fmt::format("{}: printed={} malformed={} duplicates={} seconds={:.2f}\n", program,
                             printed, generator.malformed(), generator.duplicates(),
                             pace.seconds());
    if (std::ferror(stdout) != 0) {
        std::cerr << fmt::format("{}: writing to stdout failed\n", program);
        return 1;
    }
    return signal_number != 0 ? 130 : 0;
}

int run(const loadgen_flags& flags, shutdown_signal& signals) {
    std::unique_ptr<apps::record_generator> generator;
    if (flags.app == "metrics") {
        generator = std::make_unique<apps::metrics_generator>(flags.generator);
    } else {
        generator = std::make_unique<apps::activity_generator>(flags.generator);
    }
    if (flags.dry_run) {
        return print_records(flags, *generator, signals);
    }
    const std::span<const apps::loadgen_input> inputs = generator->inputs();
    const kafka::client_config config = producer_config(flags);
    (void)config.build(); // a bad --set fails here, before a topic is created

    std::string topic_list;
    for (apps::loadgen_input input : inputs) {
        topic_list +=
            (topic_list.empty() ? "'" : ", '") + flags.topics[static_cast<size_t>(input)] + "'";
    }
    std::cerr << fmt::format(
        "{}: writing {} {} records to {} at {}{} (seed {}, start-ts {}, ts-step {}, malformed "
        "ratio {}, duplicate ratio {})\n",
        program, flags.records, flags.app, topic_list, flags.bootstrap,
        flags.rate > 0 ? fmt::format(", {} records/s", flags.rate) : std::string(),
        flags.generator.seed, flags.generator.start_ts, flags.generator.ts_step,
        flags.generator.malformed_ratio, flags.generator.duplicate_ratio);

    ensure_topics(flags, inputs);

    delivery_tally tally;
    kafka::producer producer(config, [&tally](const rd_kafka_message_t& m) {
        if (m.err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            ++tally.acked;
        } else if (tally.failed++ == 0) {
            tally.first_error =
                fmt::format("{} (topic '{}')", rd_kafka_err2str(m.err), rd_kafka_topic_name(m.rkt));
        }
    });
    std::array<kafka::topic_ptr, 3> topic_handles;
    for (apps::loadgen_input input : inputs) {
        topic_handles[static_cast<size_t>(input)] =
            producer.open_topic(flags.topics[static_cast<size_t>(input)]);
    }

    progress_display progress(flags.records, flags.progress, true);
    std::array<uint64_t, 3> sent_per_input{};
    uint64_t sent = 0;
    int signal_number = 0;
    const apps::rate_pacer pace(flags.rate);
    // Each pass sends what is due, at most a chunk so that signals and progress are
    // served, then waits inside poll() (serving delivery reports) when nothing is due.
    while (sent < flags.records) {
        if ((signal_number = signals.wait(0ms)) != 0) {
            break;
        }
        const uint64_t due = pace.due(flags.records);
        if (due <= sent) {
            producer.poll(pace.wait_for(sent));
            progress.update(sent, tally.acked);
            continue;
        }
        const uint64_t end = std::min(due, sent + chunk);
        for (; sent < end; ++sent) {
            const apps::generated_record& r = generator->next();
            const auto input = static_cast<size_t>(r.input);
            producer.produce(topic_handles[input].get(), RD_KAFKA_PARTITION_UA, r.key, r.value,
                             r.timestamp);
            ++sent_per_input[input];
        }
        producer.poll(0ms);
        progress.update(sent, tally.acked);
    }

    // Wait for every acknowledgement, bounded by message.timeout.ms (each record is then
    // delivered or failed). A signal now (a second one, if the first stopped the sending)
    // stops waiting.
    bool gave_up_waiting = false;
    while (rd_kafka_outq_len(producer.handle()) > 0) {
        try {
            producer.flush(200ms);
        } catch (const kafka::kafka_error& e) {
            if (e.code() != RD_KAFKA_RESP_ERR__TIMED_OUT) {
                throw;
            }
        }
        progress.update(sent, tally.acked);
        if (const int s = signals.wait(0ms); s != 0) {
            signal_number = s;
            gave_up_waiting = true;
            break;
        }
    }
    progress.update(sent, tally.acked, true);
    progress.finish();
    const double seconds = pace.seconds();

    std::string per_topic;
    for (apps::loadgen_input input : inputs) {
        per_topic += fmt::format("{}{}:{}", per_topic.empty() ? "" : ",",
                                 flags.topics[static_cast<size_t>(input)],
                                 sent_per_input[static_cast<size_t>(input)]);
    }
    std::cout << fmt::format("{}: records={} malformed={} duplicates={} failed={} seconds={:.2f} "
                             "records/s={:.0f} topics={} seed={} start-ts={} ts-step={}\n",
                             program, tally.acked, generator->malformed(), generator->duplicates(),
                             tally.failed, seconds,
                             seconds > 0 ? static_cast<double>(tally.acked) / seconds : 0.0,
                             per_topic, flags.generator.seed, flags.generator.start_ts,
                             flags.generator.ts_step)
              << std::flush;

    int code = 0;
    if (tally.failed > 0) {
        std::cerr << fmt::format("{}: {} of {} records were not written; the first failure: {}\n",
                                 program, tally.failed, sent, tally.first_error);
        code = 1;
    }
    if (gave_up_waiting) {
        std::cerr << fmt::format("{}: stopped waiting for {} unacknowledged records\n", program,
                                 sent - tally.acked - tally.failed);
        if (code == 0) {
            code = 1;
        }
    }
    if (signal_number != 0) {
        std::cerr << fmt::format("{}: interrupted by signal {} after {} of {} records\n", program,
                                 signal_number, sent, flags.records);
        return code != 0 ? code : 130;
    }
    if (code == 0 && tally.acked != flags.records) {
        // Cannot happen when every report arrived; guards the exactness promise.
        std::cerr << fmt::format("{}: {} records acknowledged, {} expected\n", program, tally.acked,
                                 flags.records);
        code = 1;
    }
    return code;
}

} // namespace

int main(int argc, char** argv) {
    shutdown_signal signals; // first, so librdkafka's threads inherit the blocked signals
    apps::app_cli cli = make_cli();
    loadgen_flags flags;
    if (const std::optional<int> code =
            cli.parse_or_exit(argc, argv, [&] { flags = read_flags(cli); })) {
        return *code;
    }
    try {
        return run(flags, signals);
    } catch (const config_error& e) {
        std::cerr << program << ": configuration error: " << e.what()
                  << " (check the --set properties)\n";
        return 2;
    } catch (const kafka::kafka_error& e) {
        if (e.code() == RD_KAFKA_RESP_ERR__INVALID_ARG) { // librdkafka refused the settings
            std::cerr << fmt::format("{}: configuration error: {} (check the --set properties)\n",
                                     program, e.what());
            return 2;
        }
        const bool unreachable = e.code() == RD_KAFKA_RESP_ERR__TRANSPORT ||
                                 e.code() == RD_KAFKA_RESP_ERR__TIMED_OUT ||
                                 e.code() == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN ||
                                 e.code() == RD_KAFKA_RESP_ERR__RESOLVE;
        std::cerr << fmt::format("{}: Kafka error: {}{}\n", program, e.what(),
                                 unreachable ? fmt::format(". Is a broker running at {}? Start "
                                                           "one with scripts/kafka start.",
                                                           flags.bootstrap)
                                             : "");
        return 1;
    } catch (const std::exception& e) {
        std::cerr << program << ": " << e.what() << "\n";
        return 1;
    }
}
