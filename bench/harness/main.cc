// brook-bench: Brook against the librdkafka ceiling and against Kafka Streams, on one
// broker in one run.
//
//   brook-bench [--bootstrap-servers 127.0.0.1:9092] [--records 200000] [--partitions 4]
//               [--record-size 100] [--guarantee all|at_least_once|exactly_once_v2]
//               [--commit-interval 100ms] [--scenarios passthrough,metrics,windowed-count,
//               windowed-count-2-threads,windowed-count-2-instances,stream-table-join,
//               stream-stream-join,restore,failover,failover-standby,nexmark-q0,
//               nexmark-q1,nexmark-q2,nexmark-q5,nexmark-q7,nexmark-q11; or "default",
//               and large-state, nexmark-q3,nexmark-q4,nexmark-q6,nexmark-q8
//               ("nexmark-joins"), which run only when named]
//               [--eos-scenarios passthrough,metrics|all]
//               [--systems rdkafka,brook,kafka-streams] [--repetitions 1]
//               [--nexmark-repetitions N] [--warmup-rounds 0] [--out results.json]
//
// For each scenario it preloads one input topic, then runs each system as its own process
// (so its memory is its own) from the beginning of that input with a fresh application
// id and state directory:
//   rdkafka        build/bin/brook-bench-rdkafka (passthrough only)
//   brook          build/bin/brook-bench-app
//   kafka-streams  bench/kafka-streams/run (Kafka Streams 4.4.0, Java)
// All three speak one line protocol on stdout (STATE, RESTORED, ERROR, EXIT).
//
// What is measured, per run:
//   seconds        from the system's start until its committed offsets reach the end of
//                  the input: start-up, group join and fetching included
//   records_per_s  input records / seconds; mb_per_s the same in input bytes
//   steady_records_per_s  the rate between the commits that first covered 10% (seen while
//                  every instance said RUNNING) and 100% of the input, without start-up
//                  (startup_s: start until every instance was first RUNNING). The
//                  headline: the median run is chosen by it, and the ratios compare it
//                  (whole_run_ratios compare records_per_s)
//   peak_rss_mb    the process's VmHWM when it has caught up
//   p50_ms/p99_ms  end-to-end latency of 1000 probe records written once the system has
//                  caught up (at 500/s): the output's log-append time minus the probe's
//                  create time. Not for metrics: its windows emit when they close.
//   restore        the count store of --records distinct keys is built once (restore-count:
//                  its rates and RSS), the state directory deleted, and the system started
//                  again: seconds from start until every store partition reported
//                  RESTORED, records restored / s.
//   large-state    the same over --large-state-keys distinct keys (10,000,000), far more
//                  than the block cache holds; run only when named in --scenarios, and
//                  then once, without warm-up, whatever --repetitions says.
//   failover       two instances count --records/4 keys with a 6 s session (failover-standby:
//                  and one standby replica); one is SIGKILLed, and failover_s is the time
//                  until every input partition serves probes again (see failover()), with
//                  the records the survivor restored for it.
//   nexmark-q*     Nexmark queries (apps/nexmark/queries.h) over --records bids, written once
//                  with the persons and auctions among them (apps/nexmark/generator.h); q3
//                  and q8, which read no bids, over --records persons and auctions, as many
//                  as 12.5 times as many events make (their bids are not written). A run's
//                  records are those of the topics its query reads. A
//                  run is done when its internal topics are consumed too, and its output
//                  is read back and compared with the results computed from the input
//                  (output_matches_expected; a wrong output makes brook-bench exit 1).
//                  --nexmark-repetitions sets their rounds (default: --repetitions).
// Scaling: windowed-count-2-threads runs windowed-count with num.stream.threads=2,
// windowed-count-2-instances as two one-thread processes in one group (peak RSS summed);
// the ratios set each against windowed-count's one thread, one instance.
// With --repetitions N every run is made N times, the rounds interleaved (each round runs
// every system once), and each figure is the run with the median steady rate; every run's
// rates and their spread (min, median, max) are listed beside it. --warmup-rounds W runs W
// rounds of each scenario first, each run over a tenth of the input, and counts none of
// them: a freshly started broker (a JVM) serves the first round of runs at about half the
// rate of the next ones. The harness's topics (input, output and the systems'
// internal topics, all named bench-<pid>-...) keep every record for the run
// (retention.ms=-1, whatever the records' timestamps) and are deleted when the run ends.
// Timing is noisy on a shared machine: the figures are for ratios measured side by side
// in one run, never a test verdict.

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <signal.h>
#include <sstream>
#include <string>
#include <string_view>
#include <sys/wait.h>
#include <thread>
#include <tuple>
#include <type_traits>
#include <unistd.h>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "apps/loadgen/generators.h"
#include "apps/nexmark/generator.h"
#include "apps/nexmark/queries.h"
#include "apps/nexmark/reference.h"
#include "base/log.h"
#include "engine/kafka/admin_client.h"
#include "engine/kafka/consumer.h"
#include "engine/kafka/producer.h"

namespace {

using namespace brook;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

struct options {
    std::string bootstrap = "127.0.0.1:9092";
    int64_t records = 200'000;
    int partitions = 4;
    int record_size = 100;
    std::vector<std::string> guarantees = {"at_least_once", "exactly_once_v2"};
    int64_t commit_interval_ms = 100;
    std::vector<std::string> scenarios = {"passthrough",
                                          "metrics",
                                          "windowed-count",
                                          "windowed-count-2-threads",
                                          "windowed-count-2-instances",
                                          "stream-table-join",
                                          "stream-stream-join",
                                          "restore",
                                          "failover",
                                          "failover-standby",
                                          "nexmark-q0",
                                          "nexmark-q1",
                                          "nexmark-q2",
                                          "nexmark-q5",
                                          "nexmark-q7",
                                          "nexmark-q11"};
    // The scenarios also run under exactly_once_v2 (when --guarantee names it): the
    // passthrough for the transaction's own cost, metrics for eos_vs_alos. The others run
    // at_least_once only, which keeps `make bench` within its time at 2,000,000 records.
    std::vector<std::string> eos_scenarios = {"passthrough", "metrics"};
    std::vector<std::string> systems = {"rdkafka", "brook", "kafka-streams"};
    std::string out = "results.json";
    std::string bin_dir;
    std::string kafka_streams_run = std::string(BROOK_SOURCE_DIR) + "/bench/kafka-streams/run";
    std::chrono::seconds run_timeout{600};
    int repetitions = 1;
    // Rounds of the Nexmark queries, when not --repetitions (see --help).
    std::optional<int> nexmark_repetitions;
    int warmup_rounds = 0;
    // Distinct keys of the large-state scenario (not run unless named in --scenarios).
    int64_t large_state_keys = 10'000'000;

    // Scenarios run only when named: each takes minutes more than `make bench` has. In
    // --scenarios, "default" stands for the default list and "nexmark-joins" for these four.
    static constexpr std::array<std::string_view, 4> nexmark_joins = {"nexmark-q3", "nexmark-q4",
                                                                      "nexmark-q6", "nexmark-q8"};
};

std::vector<std::string> split(const std::string& s) {
    std::vector<std::string> out;
    std::stringstream in(s);
    for (std::string item; std::getline(in, item, ',');) {
        if (!item.empty()) {
            out.push_back(item);
        }
    }
    return out;
}

void progress(const std::string& line) {
    std::cerr << "brook-bench: " << line << "\n";
}

// One system's process: its stdout protocol lines are read on a thread of their own.
class system_process {
public:
    explicit system_process(const std::vector<std::string>& args) {
        int fds[2];
        if (pipe(fds) != 0) {
            throw std::runtime_error("pipe failed");
        }
        _started = clock_type::now();
        _pid = fork();
        if (_pid == 0) {
            dup2(fds[1], STDOUT_FILENO);
            close(fds[0]);
            close(fds[1]);
            // Keep the systems' logs out of the report; errors come as ERROR lines.
            const int null = open("/dev/null", O_WRONLY);
            dup2(null, STDERR_FILENO);
            std::vector<char*> argv;
            for (const auto& a : args) {
                argv.push_back(const_cast<char*>(a.c_str()));
            }
            argv.push_back(nullptr);
            execv(argv[0], argv.data());
            _exit(127);
        }
        close(fds[1]);
        _reader = std::thread([this, fd = fds[0]] { read_lines(fd); });
    }
    ~system_process() {
        stop();
        if (_reader.joinable()) {
            _reader.join();
        }
    }

    clock_type::time_point started() const { return _started; }
    std::optional<clock_type::time_point> running_at() const {
        std::lock_guard lock(_mutex);
        return _running;
    }
    // When the process first said `state` at or after `since`, if it did.
    std::optional<clock_type::time_point> first_state_since(const std::string& state,
                                                            clock_type::time_point since) const {
        std::lock_guard lock(_mutex);
        for (const auto& [name, when] : _states) {
            if (name == state && when >= since) {
                return when;
            }
        }
        return std::nullopt;
    }
    // Whether the latest STATE line said RUNNING (not REBALANCING or anything else).
    bool running_now() const {
        std::lock_guard lock(_mutex);
        return _state == "RUNNING";
    }
    std::optional<std::string> error() const {
        std::lock_guard lock(_mutex);
        return _error;
    }
    bool exited() const { return _exited.load(); }
    // RESTORED lines so far: (records, when).
    std::vector<std::pair<int64_t, clock_type::time_point>> restored() const {
        std::lock_guard lock(_mutex);
        return _restored;
    }
    double peak_rss_mb() const {
        std::ifstream status(fmt::format("/proc/{}/status", _pid));
        for (std::string line; std::getline(status, line);) {
            if (line.starts_with("VmHWM:")) {
                return std::stod(line.substr(6)) / 1024.0;
            }
        }
        return 0;
    }
    // CPU time (user + system) the process has used so far, in seconds; 0 once it is gone.
    double cpu_seconds() const {
        std::ifstream stat(fmt::format("/proc/{}/stat", _pid));
        std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
        // Fields after the command name (which may hold spaces, so after the last ')'):
        // state is field 3, utime field 14 and stime field 15.
        const size_t close = text.rfind(')');
        if (_pid <= 0 || close == std::string::npos) {
            return 0;
        }
        std::istringstream fields(text.substr(close + 2));
        std::string field;
        double ticks = 0;
        for (int i = 3; i <= 15 && fields >> field; ++i) {
            if (i >= 14) {
                ticks += std::strtod(field.c_str(), nullptr);
            }
        }
        return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
    }
    // SIGKILL, as a crash: no commit, no leaving the group.
    void kill_now() {
        if (_pid > 0) {
            kill(_pid, SIGKILL);
            waitpid(_pid, nullptr, 0);
            _pid = -1;
        }
    }
    void stop() {
        if (_pid <= 0) {
            return;
        }
        kill(_pid, SIGTERM);
        for (int i = 0; i < 600 && waitpid(_pid, nullptr, WNOHANG) == 0; ++i) {
            std::this_thread::sleep_for(100ms);
        }
        kill(_pid, SIGKILL);
        waitpid(_pid, nullptr, 0);
        _pid = -1;
    }

private:
    void read_lines(int fd) {
        FILE* in = fdopen(fd, "r");
        char buffer[4096];
        while (in != nullptr && std::fgets(buffer, sizeof buffer, in) != nullptr) {
            std::string line(buffer);
            while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) {
                line.pop_back();
            }
            std::lock_guard lock(_mutex);
            if (line.starts_with("STATE ")) {
                _state = line.substr(6);
                _states.emplace_back(_state, clock_type::now());
                if (_state == "RUNNING" && !_running) {
                    _running = clock_type::now();
                }
            } else if (line.starts_with("ERROR ") && !_error) {
                _error = line.substr(6);
            } else if (line.starts_with("RESTORED ")) {
                std::istringstream fields(line.substr(9));
                std::string store;
                int64_t records = 0;
                fields >> store >> records;
                _restored.emplace_back(records, clock_type::now());
            }
        }
        if (in != nullptr) {
            std::fclose(in);
        }
        _exited = true;
    }

    pid_t _pid = -1;
    clock_type::time_point _started;
    std::thread _reader;
    mutable std::mutex _mutex;
    std::optional<clock_type::time_point> _running;                      // the first RUNNING
    std::string _state;                                                  // the latest STATE
    std::vector<std::pair<std::string, clock_type::time_point>> _states; // every STATE
    std::optional<std::string> _error;
    std::vector<std::pair<int64_t, clock_type::time_point>> _restored;
    std::atomic<bool> _exited{false};
};

struct result {
    std::string name;
    std::string system;
    std::string guarantee;
    int64_t records = 0;
    double seconds = 0;
    double records_per_s = 0;
    double mb_per_s = 0;
    std::optional<double> p50_ms;
    std::optional<double> p99_ms;
    double peak_rss_mb = 0;
    double startup_s = 0;
    std::optional<double> steady_records_per_s;
    // CPU time of the system's processes per input record in steady state (between the
    // same commits as the steady rate): what a record costs, whoever else uses the cores.
    std::optional<double> cpu_us_per_record;
    int threads = 1;                        // num.stream.threads of each instance
    int instances = 1;                      // processes in the one consumer group
    std::vector<double> records_per_s_runs; // every repetition's rate, in run order
    std::vector<double> steady_runs;        // the headline rates of the runs that had one, in order
    // Failover runs: seconds from the SIGKILL until every partition served again, from the
    // survivor's REBALANCING (the session's end) until then, and the records the survivor
    // restored for it.
    std::optional<double> failover_s;
    std::optional<double> after_session_s;
    int64_t restored_after_kill = 0;
    std::vector<double> failover_runs;
    // Nexmark queries: whether every counted run's output equalled the results computed
    // from the input (and so the two systems' outputs each other), and if not, how not.
    std::optional<bool> output_matches;
    std::string output_difference;
};

// The rate a run is judged by: its steady rate.
std::optional<double> headline(const result& r) {
    if (r.steady_records_per_s) {
        return r.steady_records_per_s;
    }
    // A restore's rate is its own (it has no input to be steady on); a throughput run that
    // ended before its group settled has no headline.
    if (r.name == "restore" || r.name == "large-state") {
        return r.records_per_s;
    }
    return std::nullopt;
}

// A scenario name and what it runs: "windowed-count-2-threads" is windowed-count with two
// stream threads in one instance, "windowed-count-2-instances" two one-thread instances in
// one group.
struct scenario_spec {
    std::string base;
    int threads = 1;
    int instances = 1;
};

scenario_spec parse_scenario(const std::string& name) {
    for (const auto& [suffix, threads, instances] :
         {std::tuple{"-2-threads", 2, 1}, std::tuple{"-2-instances", 1, 2}}) {
        if (name.ends_with(suffix)) {
            return {name.substr(0, name.size() - std::string_view(suffix).size()), threads,
                    instances};
        }
    }
    return {name, 1, 1};
}

struct spread {
    double min = 0;
    double median = 0;
    double max = 0;
};

spread spread_of(std::vector<double> v) {
    if (v.empty()) {
        return {};
    }
    std::sort(v.begin(), v.end());
    return {v.front(), v[(v.size() - 1) / 2], v.back()};
}

// Of the repetitions of one (scenario, system, guarantee), the run with the median
// headline rate (the lower middle one for an even count), carrying every run's rates.
result median_run(std::vector<result> runs) {
    std::vector<double> rates;
    std::vector<double> steady;
    std::vector<double> failover;
    std::optional<result> output_failed; // a run whose output was wrong taints them all
    for (const auto& r : runs) {
        if (r.output_matches == false) {
            output_failed = r;
        }
        rates.push_back(r.records_per_s);
        if (headline(r)) {
            steady.push_back(*headline(r));
        }
        if (r.failover_s) {
            failover.push_back(*r.failover_s);
        }
    }
    // One measure orders the runs: the failover time, else the headline rate. Runs without
    // a headline (their group never settled) are chosen only when no run has one.
    const auto has_measure = [](const result& r) { return r.failover_s || headline(r); };
    const auto measure = [](const result& r) {
        return r.failover_s ? *r.failover_s : headline(r).value_or(r.records_per_s);
    };
    if (std::any_of(runs.begin(), runs.end(), has_measure)) {
        std::erase_if(runs, [&](const result& r) { return !has_measure(r); });
    }
    std::sort(runs.begin(), runs.end(),
              [&](const result& a, const result& b) { return measure(a) < measure(b); });
    result m = runs[(runs.size() - 1) / 2];
    if (output_failed) {
        m.output_matches = false;
        m.output_difference = output_failed->output_difference;
    }
    m.records_per_s_runs = std::move(rates);
    m.steady_runs = std::move(steady);
    m.failover_runs = std::move(failover);
    return m;
}

// How a run caught up: when its commits covered the input, and when they first covered a
// tenth of it while the group was settled (with how many records that was).
struct catch_up {
    clock_type::time_point done;
    std::optional<std::pair<clock_type::time_point, int64_t>> tenth;
    int64_t total = 0;
    double cpu_at_tenth = 0; // CPU seconds of the instances, summed, at the tenth
    double cpu_at_done = 0;  // and at the end

    // CPU microseconds per record between the tenth and the end.
    std::optional<double> steady_cpu_us_per_record() const {
        if (!tenth || tenth->second >= total || cpu_at_done <= cpu_at_tenth) {
            return std::nullopt;
        }
        return (cpu_at_done - cpu_at_tenth) * 1e6 / static_cast<double>(total - tenth->second);
    }

    // Records per second between the tenth and the end; none without a settled tenth.
    std::optional<double> steady_rate() const {
        if (!tenth || tenth->second >= total) {
            return std::nullopt;
        }
        const double seconds = std::chrono::duration<double>(done - tenth->first).count();
        if (seconds <= 0) {
            return std::nullopt;
        }
        return static_cast<double>(total - tenth->second) / seconds;
    }
};

// State directories of one run, deleted when it ends however it ends. Declared before
// the run's processes, so that they are stopped (destroyed) first.
class scoped_dirs {
public:
    scoped_dirs() = default;
    scoped_dirs(const scoped_dirs&) = delete;
    scoped_dirs& operator=(const scoped_dirs&) = delete;
    ~scoped_dirs() {
        for (const auto& dir : _dirs) {
            std::error_code ignored;
            std::filesystem::remove_all(dir, ignored);
        }
    }
    std::filesystem::path add(const std::string& name) {
        _dirs.push_back(std::filesystem::temp_directory_path() / name);
        return _dirs.back();
    }

private:
    std::vector<std::filesystem::path> _dirs;
};

class bench {
public:
    explicit bench(options o) : _o(std::move(o)), _run_id(std::to_string(::getpid())) {}

    // Every scenario's runs, repeated and reduced to their medians; deletes the run's
    // topics at the end.
    std::vector<result> run_all() {
        std::vector<result> all;
        bool broker_warm = false; // once any scenario has run (or warmed up)
        for (const auto& scenario : _o.scenarios) {
            // Keyed by result name, system and guarantee, in the order of first run.
            std::vector<std::vector<result>> runs;
            std::map<std::tuple<std::string, std::string, std::string>, size_t> slot;
            auto keep_run = [&](const result& r) {
                auto [it, added] = slot.try_emplace({r.name, r.system, r.guarantee}, runs.size());
                if (added) {
                    runs.emplace_back();
                }
                runs[it->second].push_back(r);
            };
            const scenario_spec spec = parse_scenario(scenario);
            const bool own_input = spec.base == "restore" || spec.base == "large-state" ||
                                   spec.base.starts_with("failover");
            const std::string input = own_input ? "" : input_of(spec.base);
            // The large-state scenario runs once, unwarmed: one round of 10,000,000 keys
            // takes longer than all the other scenarios' rounds together.
            const bool once = spec.base == "large-state";
            const int repetitions = once ? 1
                                    : spec.base.starts_with("nexmark-")
                                        ? _o.nexmark_repetitions.value_or(_o.repetitions)
                                        : _o.repetitions;
            // A scenario that writes its input in each run (restore, failover) has no input
            // to warm the page cache for; once an earlier scenario has warmed the broker, its
            // warm-up would only cost time (85 s for the two failovers).
            const int warmup = once || (own_input && broker_warm) ? 0 : _o.warmup_rounds;
            broker_warm = true;
            for (int round = 1 - warmup; round <= repetitions; ++round) {
                // A warm-up run stops once a tenth of the input is committed: enough to
                // warm the broker's JVM and page cache, at a tenth of a round's time.
                const bool counted = round >= 1;
                const auto keep = [&](const result& r) {
                    if (counted) {
                        keep_run(r);
                    }
                };
                if (!counted) {
                    progress(fmt::format("{}: warm-up round (a tenth of the input), not counted",
                                         scenario));
                } else if (repetitions > 1) {
                    progress(fmt::format("{}: round {} of {}", scenario, round, repetitions));
                }
                if (scenario == "failover" || scenario == "failover-standby") {
                    for (const auto& system : _o.systems) {
                        if (system != "rdkafka") {
                            run_guarded(keep, [&] {
                                return failover(scenario, system, scenario == "failover" ? 0 : 1,
                                                counted ? _o.records / 4 : _o.records / 40);
                            });
                        }
                    }
                    continue;
                }
                if (scenario == "restore" || scenario == "large-state") {
                    const int64_t keys = scenario == "restore" ? _o.records : _o.large_state_keys;
                    for (const auto& system : _o.systems) {
                        if (system != "rdkafka") {
                            run_guarded(keep, [&] {
                                return restore(scenario, system, counted ? keys : keys / 10);
                            });
                        }
                    }
                    continue;
                }
                const bool eos =
                    std::any_of(_o.eos_scenarios.begin(), _o.eos_scenarios.end(),
                                [&](const std::string& s) { return s == scenario || s == "all"; });
                for (const auto& guarantee : _o.guarantees) {
                    if (guarantee == "exactly_once_v2" && !eos) {
                        continue;
                    }
                    if (guarantee == "exactly_once_v2" && spec.base.starts_with("nexmark-")) {
                        // wait_drained reads commits that stop short of transaction markers.
                        progress(scenario + ": at least once only");
                        continue;
                    }
                    for (const auto& system : _o.systems) {
                        if (system == "rdkafka" && scenario != "passthrough") {
                            continue;
                        }
                        run_guarded(keep, [&] {
                            return throughput(scenario, spec, system, guarantee, input, counted);
                        });
                    }
                }
            }
            for (auto& r : runs) {
                all.push_back(median_run(std::move(r)));
            }
        }
        delete_run_topics();
        return all;
    }

private:
    // Runs one measurement (`run` gives a result or several) and keeps what it gives; a
    // run that fails is reported and left out.
    template <class Keep, class F>
    void run_guarded(Keep keep, F run) {
        try {
            std::vector<result> out;
            if constexpr (std::is_same_v<decltype(run()), result>) {
                out.push_back(run());
            } else {
                out = run();
            }
            for (const result& r : out) {
                keep(r);
                if (r.failover_s) {
                    progress(fmt::format("{} {}: served again {:.2f} s after the kill, {} "
                                         "records restored",
                                         r.name, r.system, *r.failover_s, r.restored_after_kill));
                    continue;
                }
                progress(fmt::format("{} {} {}: {:.0f} records/s ({:.0f} after start-up), "
                                     "{:.1f} MB/s, peak RSS {:.0f} MB{}",
                                     r.name, r.system, r.guarantee, r.records_per_s,
                                     r.steady_records_per_s.value_or(0), r.mb_per_s, r.peak_rss_mb,
                                     !r.output_matches ? ""
                                     : *r.output_matches
                                         ? ", output as expected"
                                         : ", OUTPUT WRONG: " + r.output_difference));
            }
        } catch (const std::exception& e) {
            progress(fmt::format("a run failed and is left out of the results: {}", e.what()));
        }
    }

    kafka::client_config client() const {
        return kafka::client_config{{"bootstrap.servers", _o.bootstrap}};
    }

    // Leaves the broker as the run found it: every topic named bench-<pid>-... goes.
    void delete_run_topics() {
        const std::string prefix = fmt::format("bench-{}-", _run_id);
        try {
            kafka::admin_client admin(client());
            std::vector<std::string> mine;
            for (auto& topic : admin.topic_names(30s)) {
                if (topic.starts_with(prefix)) {
                    mine.push_back(std::move(topic));
                }
            }
            admin.delete_topics(mine, 60s);
        } catch (const std::exception& e) {
            progress(
                fmt::format("could not delete this run's topics ({}...): {}", prefix, e.what()));
        }
    }

    // No retention unless `configs` sets one: see the top of this file.
    void create_topic(const std::string& name, int partitions,
                      std::map<std::string, std::string> configs = {}) {
        configs.try_emplace("retention.ms", "-1");
        kafka::admin_client admin(client());
        admin.create_topics({{name, partitions, 1, std::move(configs)}}, 60s);
    }

    std::string name(const std::string& what) {
        return fmt::format("bench-{}-{}-{}", _run_id, what, _counter++);
    }

    // The input of a base scenario, written on first use and shared by its variants.
    std::string input_of(const std::string& base) {
        std::string shared = base;
        if (const auto q = nexmark_query_of(base)) {
            shared = reads_bids(*q) ? "nexmark" : "nexmark-people";
        }
        auto it = _inputs.find(shared);
        if (it == _inputs.end()) {
            it = _inputs
                     .emplace(shared, shared.starts_with("nexmark") ? preload_nexmark(shared)
                                                                    : preload(shared))
                     .first;
        }
        return it->second;
    }

    static std::optional<apps::nexmark::query> nexmark_query_of(const std::string& base) {
        return base.starts_with("nexmark-") ? apps::nexmark::parse_query(base.substr(8))
                                            : std::nullopt;
    }
    static bool reads_bids(apps::nexmark::query q) { return apps::nexmark::reads(q).bids; }

    // The topics a run of `base` with --input `input` reads: a Nexmark query's among its
    // three, any other scenario's one.
    static std::vector<std::string> topics_read(const std::string& base, const std::string& input) {
        const auto q = nexmark_query_of(base);
        if (!q) {
            return {input};
        }
        const auto topics = *apps::nexmark::parse_input_topics(input);
        const apps::nexmark::inputs_read read = apps::nexmark::reads(*q);
        std::vector<std::string> out;
        for (const auto& [topic, wanted] : {std::pair{&topics.persons, read.persons},
                                            {&topics.auctions, read.auctions},
                                            {&topics.bids, read.bids}}) {
            if (wanted) {
                out.push_back(*topic);
            }
        }
        return out;
    }

    // Writes a Nexmark input to three topics, once for every query and system, and computes
    // the expected results of the queries that read it on the way. `dataset` "nexmark":
    // --records bids with the persons and auctions the specification generates among them;
    // "nexmark-people": --records persons and auctions alone, the bids among them skipped
    // (their topic stays empty). Returns the --input of the queries: PERSONS,AUCTIONS,BIDS.
    std::string preload_nexmark(const std::string& dataset) {
        namespace nx = apps::nexmark;
        const bool people_only = dataset == "nexmark-people";
        std::map<nx::event_kind, std::string> topics = {
            {nx::event_kind::person, name(dataset + "-person")},
            {nx::event_kind::auction, name(dataset + "-auction")},
            {nx::event_kind::bid, name(dataset + "-bid")}};
        kafka::client_config pc = client();
        pc.set("linger.ms", "20").set("batch.size", "1000000").set("partitioner", "murmur2_random");
        kafka::producer p(pc);
        std::map<nx::event_kind, kafka::topic_ptr> handles;
        for (const auto& [kind, topic] : topics) {
            create_topic(topic, _o.partitions);
            handles.emplace(kind, p.open_topic(topic));
            _input_bytes[topic] = 0;
            _input_records[topic] = 0;
        }
        std::vector<nx::expected_results> expected;
        std::vector<nx::query> queries;
        for (const nx::query q : nexmark_queries) {
            if (reads_bids(q) != people_only) {
                expected.emplace_back(q);
                queries.push_back(q);
            }
        }
        nx::generator gen({.seed = 1, .base_time_ms = _base_ts});
        const int64_t events =
            people_only ? _o.records : nx::generator::events_for_bids(_o.records);
        for (int64_t i = 0; i < events; ++i) {
            const nx::event& e = people_only ? gen.next_person_or_auction() : gen.next();
            const std::string& topic = topics.at(e.kind);
            p.produce(handles.at(e.kind).get(), RD_KAFKA_PARTITION_UA, e.key, e.json, e.timestamp);
            _input_bytes[topic] += static_cast<int64_t>(e.key.size() + e.json.size());
            ++_input_records[topic];
            for (auto& x : expected) {
                switch (e.kind) {
                case nx::event_kind::person:
                    x.add(e.p);
                    break;
                case nx::event_kind::auction:
                    x.add(e.a);
                    break;
                case nx::event_kind::bid:
                    x.add(e.key, e.b);
                    break;
                }
            }
        }
        p.flush(120s);
        for (size_t i = 0; i < queries.size(); ++i) {
            _nexmark_expected.emplace(queries[i], expected[i].digest());
        }
        progress(fmt::format("{}: {} events ({} persons, {} auctions, {} bids) preloaded", dataset,
                             events, _input_records[topics[nx::event_kind::person]],
                             _input_records[topics[nx::event_kind::auction]],
                             _input_records[topics[nx::event_kind::bid]]));
        return fmt::format("{},{},{}", topics[nx::event_kind::person],
                           topics[nx::event_kind::auction], topics[nx::event_kind::bid]);
    }

    // Once the group has committed all of its input: waits until it has committed every
    // record of its internal topics too (a query's later stages have done their work),
    // and returns when that was. At least once only: an exactly-once commit stops short
    // of each partition's last transaction marker.
    clock_type::time_point wait_drained(const std::string& group,
                                        const std::vector<system_process*>& procs) const {
        kafka::admin_client admin(client());
        std::vector<std::string> internal;
        for (auto& topic : admin.topic_names(30s)) {
            // Repartition topics, and a foreign-key join's subscription and response topics.
            if (topic.starts_with(group + "-") &&
                (topic.ends_with("-repartition") || topic.ends_with("-topic"))) {
                internal.push_back(std::move(topic));
            }
        }
        kafka::client_config cc = client();
        cc.set("group.id", group);
        kafka::consumer watcher(cc);
        const auto deadline = clock_type::now() + _o.run_timeout;
        // Two passes in a row: topics are asked one after the other, and a later stage's
        // topic may look drained before an earlier stage's last batch reaches it.
        int drained_passes = 0;
        while (clock_type::now() < deadline) {
            for (system_process* proc : procs) {
                if (auto e = proc->error()) {
                    throw std::runtime_error(*e);
                }
            }
            bool drained = true;
            for (const auto& topic : internal) {
                int64_t end = 0;
                for (int32_t p = 0; p < _o.partitions; ++p) {
                    end += watcher.watermarks(topic, p, 10s).second;
                }
                drained = drained && committed(watcher, {topic}) >= end;
            }
            drained_passes = drained ? drained_passes + 1 : 0;
            if (drained_passes == 2) {
                return clock_type::now();
            }
            std::this_thread::sleep_for(20ms);
        }
        throw std::runtime_error("the internal topics were not consumed within the run "
                                 "timeout");
    }

    // Reads the query's output topic from the beginning to its end and compares it with the
    // results computed from the input: a stream output as a multiset, so a duplicate (at
    // least once may write one after a failure, which these runs do not have) counts as a
    // difference. Returns the difference, or nothing when equal.
    std::optional<std::string> check_nexmark_output(apps::nexmark::query q,
                                                    const std::string& output) {
        const apps::nexmark::output_digest& want = _nexmark_expected.at(q);
        apps::nexmark::output_digest got(apps::nexmark::output_is_table(q));
        kafka::client_config cc = client();
        cc.set("group.id", name("nexmark-check"));
        kafka::consumer reader(cc);
        // The run is drained: every result is in the output already. Read up to the end
        // offsets as they stand now, no further.
        std::vector<int64_t> ends;
        std::vector<std::tuple<std::string, int32_t, int64_t>> assignment;
        for (int32_t p = 0; p < _o.partitions; ++p) {
            ends.push_back(reader.watermarks(output, p, 10s).second);
            assignment.emplace_back(output, p, RD_KAFKA_OFFSET_BEGINNING);
        }
        reader.assign(*kafka::make_partition_list(assignment));
        std::vector<int64_t> next(ends.size(), 0); // the next offset to read, per partition
        const auto all_read = [&] {
            for (size_t p = 0; p < ends.size(); ++p) {
                if (next[p] < ends[p]) {
                    return false;
                }
            }
            return true;
        };
        std::vector<kafka::message_ptr> batch;
        const auto deadline = clock_type::now() + 120s;
        while (!all_read()) {
            if (clock_type::now() > deadline) {
                return fmt::format("the output could not be read to its end within 120 s ({})",
                                   got.difference(want));
            }
            batch.clear();
            reader.poll_batch(batch, 10'000, 500ms);
            for (const auto& m : batch) {
                if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR || m->partition < 0 ||
                    m->partition >= _o.partitions) {
                    continue;
                }
                auto& position = next[static_cast<size_t>(m->partition)];
                position = std::max(position, m->offset + 1);
                if (m->offset >= ends[static_cast<size_t>(m->partition)]) {
                    continue; // after the end taken above: not this run's
                }
                const std::string_view key =
                    m->key ? std::string_view(static_cast<const char*>(m->key), m->key_len) : "";
                nullable_bytes value;
                if (m->payload) {
                    value = std::string_view(static_cast<const char*>(m->payload), m->len);
                }
                try {
                    got.add(key, value);
                } catch (const std::invalid_argument& e) {
                    return e.what();
                }
            }
        }
        if (got == want) {
            return std::nullopt;
        }
        return got.difference(want);
    }

    // Writes the scenario's input once; returns the topic.
    std::string preload(const std::string& scenario) {
        const std::string topic = name(scenario + "-in");
        create_topic(topic, _o.partitions);
        kafka::client_config pc = client();
        pc.set("linger.ms", "20").set("batch.size", "1000000").set("partitioner", "murmur2_random");
        kafka::producer p(pc);
        const kafka::topic_ptr t = p.open_topic(topic);
        _input_bytes[topic] = 0;
        if (scenario == "metrics") {
            apps::generator_options g;
            g.seed = 7;
            g.malformed_ratio = 0.01;
            g.start_ts = _base_ts;
            g.ts_step = 1;
            apps::metrics_generator gen(g);
            for (int64_t i = 0; i < _o.records; ++i) {
                const auto& r = gen.next();
                p.produce(t.get(), RD_KAFKA_PARTITION_UA, r.key, r.value, r.timestamp);
                _input_bytes[topic] += static_cast<int64_t>(r.key.size() + r.value.size());
            }
        } else {
            std::mt19937_64 rng(42);
            // The joins' other input: a table of every key, each written once before the
            // stream starts, or a second stream of as many records at the same times (each
            // left record then has exactly one partner within the 1 s window, the right
            // record of the same i: keys repeat every 10,000 ms).
            const std::string other = scenario == "stream-table-join"    ? topic + "-table"
                                      : scenario == "stream-stream-join" ? topic + "-right"
                                                                         : std::string();
            const int64_t other_records = scenario == "stream-table-join" ? 10'000 : _o.records;
            const int64_t other_first_ts =
                scenario == "stream-table-join" ? _base_ts - 60'000 : _base_ts;
            if (!other.empty()) {
                create_topic(other, _o.partitions);
            }
            const auto write = [&](const std::string& to, int64_t count, int64_t first_ts) {
                const kafka::topic_ptr target = p.open_topic(to);
                std::string value(static_cast<size_t>(_o.record_size), 'x');
                for (int64_t i = 0; i < count; ++i) {
                    for (auto& c : value) {
                        c = static_cast<char>('a' + rng() % 26);
                    }
                    const std::string key = fmt::format("k{}", i % 10'000);
                    p.produce(target.get(), RD_KAFKA_PARTITION_UA, key, value, first_ts + i);
                    _input_bytes[topic] += static_cast<int64_t>(key.size() + value.size());
                }
            };
            if (!other.empty()) {
                write(other, other_records, other_first_ts);
                p.flush(120s);
            }
            write(topic, _o.records, _base_ts);
        }
        p.flush(120s);
        _input_records[topic] = _o.records; // the scenario's own input; a join's other side aside
        progress(fmt::format("{}: {} records preloaded into {}", scenario, _o.records, topic));
        return topic;
    }

    std::vector<std::string> command(const std::string& system, const std::string& scenario,
                                     const std::string& guarantee, const std::string& app_id,
                                     const std::string& input, const std::string& output,
                                     const std::string& state_dir, int threads = 1,
                                     std::optional<int> standbys = std::nullopt) const {
        std::vector<std::string> args;
        if (system == "rdkafka") {
            args.push_back(_o.bin_dir + "/brook-bench-rdkafka");
        } else if (system == "brook") {
            args.push_back(_o.bin_dir + "/brook-bench-app");
        } else {
            args.push_back(_o.kafka_streams_run);
        }
        // The metrics input spans records ms of event time; a grace covering all of it
        // keeps late drops (which depend on fetch timing) out of the comparison. The same
        // for Nexmark's: an event every 0.1 ms, and 12.5 events per record written for q3
        // and q8, so 1.25 ms of event time per record at most; an hour more for margin.
        // Its joins need it as much as its windows: the tasks before a join run through
        // persons, auctions and bids at their own paces, so one side of a join can be
        // minutes of event time ahead of the other (a grace of 60 s lost 9% of q8's results).
        const int64_t grace = scenario == "metrics"              ? _o.records + 60'000
                              : scenario.starts_with("nexmark-") ? 3'600'000 + _o.records * 5 / 4
                                                                 : 10'000;
        args.insert(args.end(), {"--scenario",
                                 scenario,
                                 "--bootstrap-servers",
                                 _o.bootstrap,
                                 "--application-id",
                                 app_id,
                                 "--input",
                                 input,
                                 "--output",
                                 output,
                                 "--dlq",
                                 output + ".dlq",
                                 "--guarantee",
                                 guarantee,
                                 "--commit-interval-ms",
                                 std::to_string(_o.commit_interval_ms),
                                 "--state-dir",
                                 state_dir,
                                 "--grace-ms",
                                 std::to_string(grace)});
        if (threads != 1) { // rdkafka has one loop; only the scaling scenarios ask for more
            args.insert(args.end(), {"--threads", std::to_string(threads)});
        }
        if (standbys) { // the failover scenarios: standbys, and a session both systems share
            args.insert(args.end(),
                        {"--standbys", std::to_string(*standbys), "--session-timeout-ms",
                         std::to_string(failover_session.count())});
        }
        return args;
    }

    // Sum of the group's committed offsets on `topics`, asked through `c` (a consumer with
    // the group's id that never joins it).
    int64_t committed(kafka::consumer& c, const std::vector<std::string>& topics) const {
        std::vector<std::tuple<std::string, int32_t, int64_t>> entries;
        for (const auto& topic : topics) {
            for (int p = 0; p < _o.partitions; ++p) {
                entries.emplace_back(topic, p, RD_KAFKA_OFFSET_INVALID);
            }
        }
        auto list = kafka::make_partition_list(entries);
        c.committed(*list, 10s);
        int64_t sum = 0;
        for (int i = 0; i < list->cnt; ++i) {
            sum += std::max<int64_t>(0, list->elems[i].offset);
        }
        return sum;
    }

    // Waits for RUNNING and for the group's committed offsets to cover `total` records.
    // Returns when that was, and when the commits first covered 10% of them while the
    // group was settled, with how many that was (none if it never was). One
    // client asks every 20 ms: the end of a run is seen within about that, and the
    // watching costs the measured system next to nothing (a client made per look, as
    // before, cost the broker a connection and a coordinator lookup 10 times a second and
    // saw the end up to 150 ms late, 5% of a 3-second run).
    catch_up wait_caught_up(system_process& proc, const std::string& group,
                            const std::string& topic, int64_t total) const {
        std::vector<system_process*> one{&proc};
        return wait_caught_up(one, group, {topic}, total);
    }

    // The same for the instances of one group: every one must be RUNNING, none failed.
    catch_up wait_caught_up(const std::vector<system_process*>& procs, const std::string& group,
                            const std::vector<std::string>& topics, int64_t total) const {
        kafka::client_config cc = client();
        cc.set("group.id", group);
        kafka::consumer watcher(cc);
        const auto deadline = clock_type::now() + _o.run_timeout;
        std::optional<std::pair<clock_type::time_point, int64_t>> tenth;
        double cpu_at_tenth = 0;
        while (clock_type::now() < deadline) {
            bool running = true; // every instance has been RUNNING
            bool settled = true; // and is RUNNING now, its group not rebalancing
            for (system_process* proc : procs) {
                if (auto e = proc->error()) {
                    throw std::runtime_error(*e);
                }
                if (proc->exited()) {
                    throw std::runtime_error("the system exited early");
                }
                running = running && proc->running_at().has_value();
                settled = settled && proc->running_now();
            }
            const int64_t done = committed(watcher, topics);
            // Steady state starts at the first commit past a tenth of the input seen while
            // the group is settled: the rebalances of instances or threads joining one by
            // one (each waits for the next heartbeat, 3 s by default) are start-up.
            const auto cpu = [&] {
                double sum = 0;
                for (system_process* proc : procs) {
                    sum += proc->cpu_seconds();
                }
                return sum;
            };
            if (!tenth && done >= total / 10 && settled) {
                tenth.emplace(clock_type::now(), done);
                cpu_at_tenth = cpu();
            }
            if (running && done >= total) {
                return {clock_type::now(), tenth, total, cpu_at_tenth, cpu()};
            }
            std::this_thread::sleep_for(20ms);
        }
        throw std::runtime_error("the system did not catch up within the run timeout");
    }

    // Writes 1000 probes at 500/s and measures output log-append time minus create time.
    std::pair<double, double> probe_latency(const std::string& input, const std::string& output,
                                            bool read_committed) {
        kafka::client_config cc = client();
        cc.set("group.id", name("probe"))
            .set("isolation.level", read_committed ? "read_committed" : "read_uncommitted");
        kafka::consumer reader(cc);
        std::vector<std::tuple<std::string, int32_t, int64_t>> assignment;
        for (int p = 0; p < _o.partitions; ++p) {
            assignment.emplace_back(output, p, RD_KAFKA_OFFSET_END);
        }
        reader.assign(*kafka::make_partition_list(assignment));
        std::vector<kafka::message_ptr> batch;
        reader.poll_batch(batch, 100, 1s); // settle the assignment at the end
        kafka::producer p(client());
        constexpr int probes = 1000;
        std::vector<double> latencies;
        const auto start = clock_type::now();
        int sent = 0;
        std::map<std::string, int64_t> created;
        while (static_cast<int>(latencies.size()) < probes && clock_type::now() - start < 60s) {
            while (sent < probes && clock_type::now() - start >= sent * 2ms) {
                const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                           std::chrono::system_clock::now().time_since_epoch())
                                           .count();
                const std::string key = fmt::format("probe-{}-{}", _run_id, sent);
                created[key] = now_ms;
                p.produce(input, RD_KAFKA_PARTITION_UA, key, std::string("probe"), now_ms);
                ++sent;
            }
            p.poll(0ms);
            batch.clear();
            reader.poll_batch(batch, 1000, 5ms);
            for (const auto& m : batch) {
                if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR || m->key == nullptr) {
                    continue;
                }
                auto it = created.find(std::string(static_cast<const char*>(m->key), m->key_len));
                if (it == created.end()) {
                    continue;
                }
                rd_kafka_timestamp_type_t type;
                const int64_t ts = rd_kafka_message_timestamp(m.get(), &type);
                latencies.push_back(static_cast<double>(ts - it->second));
                created.erase(it);
            }
        }
        p.flush(30s);
        if (latencies.empty()) {
            throw std::runtime_error("no probe came through");
        }
        std::sort(latencies.begin(), latencies.end());
        const auto at = [&](double q) {
            return latencies[std::min(
                latencies.size() - 1,
                static_cast<size_t>(q * static_cast<double>(latencies.size())))];
        };
        return {at(0.5), at(0.99)};
    }

    // One run of `spec` until the group's commits cover the records of the topics it reads:
    // all of them in a counted round, a tenth in a warm-up round. Instances start
    // together, each with a state directory of its own; peak RSS is theirs summed.
    result throughput(const std::string& scenario, const scenario_spec& spec,
                      const std::string& system, const std::string& guarantee,
                      const std::string& input, bool counted) {
        const std::string app_id = name(system + "-" + scenario);
        const std::string output = app_id + "-out";
        // Log-append time on the output: what the latency probes read.
        create_topic(output, _o.partitions, {{"message.timestamp.type", "LogAppendTime"}});
        if (spec.base == "metrics") {
            create_topic(output + ".dlq", _o.partitions);
        }
        scoped_dirs state_dirs;
        std::vector<std::unique_ptr<system_process>> procs;
        std::vector<system_process*> watched;
        for (int i = 0; i < spec.instances; ++i) {
            const auto dir = state_dirs.add(fmt::format("{}-{}", app_id, i));
            procs.push_back(std::make_unique<system_process>(command(
                system, spec.base, guarantee, app_id, input, output, dir.string(), spec.threads)));
            watched.push_back(procs.back().get());
        }
        // The records of every topic the run reads: all of them, or a tenth in a warm-up.
        const std::vector<std::string> read = topics_read(spec.base, input);
        int64_t read_records = 0;
        int64_t read_bytes = 0;
        for (const auto& topic : read) {
            read_records += _input_records.at(topic);
            read_bytes += _input_bytes.at(topic);
        }
        const int64_t target = counted ? read_records : read_records / 10;
        catch_up caught = wait_caught_up(watched, app_id, read, target);
        const bool nexmark = spec.base.starts_with("nexmark-");
        if (nexmark && counted) {
            // A query is done when its later stages are: its internal topics consumed.
            // (Not in a warm-up round: they fill until the whole input is read.)
            caught.done = wait_drained(app_id, watched);
            caught.cpu_at_done = 0;
            for (system_process* proc : watched) {
                caught.cpu_at_done += proc->cpu_seconds();
            }
        }
        const auto done = caught.done;
        result r;
        r.name = scenario;
        r.system = system;
        r.guarantee = guarantee;
        r.threads = spec.threads;
        r.instances = spec.instances;
        r.records = target;
        const auto started = procs.front()->started();
        clock_type::time_point running = started;
        for (const auto& proc : procs) {
            running = std::max(running, *proc->running_at());
            r.peak_rss_mb += proc->peak_rss_mb();
        }
        r.seconds = std::chrono::duration<double>(done - started).count();
        r.startup_s = std::chrono::duration<double>(running - started).count();
        r.records_per_s = static_cast<double>(target) / r.seconds;
        r.steady_records_per_s = caught.steady_rate();
        r.cpu_us_per_record = caught.steady_cpu_us_per_record();
        r.mb_per_s = static_cast<double>(read_bytes) / 1e6 *
                     (static_cast<double>(target) / static_cast<double>(read_records)) / r.seconds;
        // Latency probes need a result per probe: the joins give none (no partner). One
        // instance only: the probes measure a system, not a group's spread.
        if (nexmark && counted) {
            const auto q = *apps::nexmark::parse_query(spec.base.substr(8));
            const std::optional<std::string> difference = check_nexmark_output(q, output);
            r.output_matches = !difference;
            r.output_difference = difference.value_or("");
        }
        // (Nexmark's input takes bids only: no probes.)
        if (spec.base != "metrics" && !spec.base.ends_with("-join") && !nexmark &&
            spec.instances == 1 && counted) {
            const auto [p50, p99] = probe_latency(input, output, guarantee == "exactly_once_v2");
            r.p50_ms = p50;
            r.p99_ms = p99;
        }
        return r;
    }

    // Creates `topic` and writes one record ("key-<i>", "1") for each of `keys` keys.
    void write_one_per_key(const std::string& topic, int64_t keys) {
        create_topic(topic, _o.partitions);
        kafka::client_config pc = client();
        pc.set("linger.ms", "20").set("batch.size", "1000000");
        kafka::producer p(pc);
        const kafka::topic_ptr t = p.open_topic(topic);
        for (int64_t i = 0; i < keys; ++i) {
            p.produce(t.get(), RD_KAFKA_PARTITION_UA, fmt::format("key-{:09d}", i),
                      std::string("1"));
        }
        p.flush(120s);
    }

    // A count over `keys` distinct keys, built from an input of one record per key (the
    // "<scenario>-count" result: its rates and peak RSS), then, with the state directory
    // deleted, rebuilt from the changelog by a fresh start (the "<scenario>" result:
    // records restored per second from start until the last RESTORED, peak RSS).
    std::vector<result> restore(const std::string& scenario, const std::string& system,
                                int64_t keys) {
        const std::string input = name(scenario + "-in");
        write_one_per_key(input, keys);
        const std::string app_id = name(system + "-" + scenario);
        const std::string output = app_id + "-out";
        create_topic(output, _o.partitions);
        scoped_dirs dirs;
        const auto state_dir = dirs.add(app_id);
        const auto args =
            command(system, "count", "at_least_once", app_id, input, output, state_dir.string());
        result count;
        {
            system_process build(args);
            const catch_up caught = wait_caught_up(build, app_id, {input}, keys);
            const auto done = caught.done;
            count.name = scenario + "-count";
            count.system = system;
            count.guarantee = "at_least_once";
            count.records = keys;
            count.seconds = std::chrono::duration<double>(done - build.started()).count();
            count.startup_s =
                std::chrono::duration<double>(*build.running_at() - build.started()).count();
            count.records_per_s = static_cast<double>(keys) / count.seconds;
            count.steady_records_per_s = caught.steady_rate();
            count.cpu_us_per_record = caught.steady_cpu_us_per_record();
            count.peak_rss_mb = build.peak_rss_mb();
        }
        std::filesystem::remove_all(state_dir);
        system_process proc(args);
        const auto deadline = clock_type::now() + _o.run_timeout;
        int64_t restored = 0;
        clock_type::time_point last{};
        while (clock_type::now() < deadline && restored < keys) {
            if (auto e = proc.error()) {
                throw std::runtime_error(*e);
            }
            if (proc.exited()) {
                throw std::runtime_error("the system exited while restoring");
            }
            restored = 0;
            for (const auto& [n, when] : proc.restored()) {
                restored += n;
                last = std::max(last, when);
            }
            std::this_thread::sleep_for(50ms);
        }
        if (restored < keys) {
            throw std::runtime_error(fmt::format("restored {} of {} records", restored, keys));
        }
        result r;
        r.name = scenario;
        r.system = system;
        r.guarantee = "at_least_once";
        r.records = restored;
        r.seconds = std::chrono::duration<double>(last - proc.started()).count();
        r.records_per_s = static_cast<double>(restored) / r.seconds;
        r.peak_rss_mb = proc.peak_rss_mb();
        return {count, r};
    }

    // Two instances count `keys` keys (one record each) with `standbys` standby replicas and
    // a 6 s session; once both are caught up and settled (and 5 s more, for standbys to
    // catch up), the busier one is SIGKILLed while probes go to every input partition (one each 5
    // ms, round robin). failover_s runs from the kill until every partition has sent output for a
    // probe written after it: the dead member's partitions wait for its session to end, a
    // rebalance, and their stores to restore or their standbys to take over.
    result failover(const std::string& scenario, const std::string& system, int standbys,
                    int64_t keys) {
        const std::string input = name(scenario + "-in");
        write_one_per_key(input, keys);
        const std::string app_id = name(system + "-" + scenario);
        const std::string output = app_id + "-out";
        create_topic(output, _o.partitions);
        scoped_dirs dirs;
        std::vector<std::unique_ptr<system_process>> procs;
        for (int i = 0; i < 2; ++i) {
            const auto dir = dirs.add(fmt::format("{}-{}", app_id, i));
            procs.push_back(std::make_unique<system_process>(
                command(system, "count", "at_least_once", app_id, input, output, dir.string(), 1,
                        standbys)));
        }
        wait_caught_up({procs[0].get(), procs[1].get()}, app_id, {input}, keys);
        std::this_thread::sleep_for(5s);

        kafka::client_config cc = client();
        cc.set("group.id", name("failover-reader"));
        kafka::consumer reader(cc);
        std::vector<std::tuple<std::string, int32_t, int64_t>> assignment;
        for (int p = 0; p < _o.partitions; ++p) {
            assignment.emplace_back(output, p, RD_KAFKA_OFFSET_END);
        }
        reader.assign(*kafka::make_partition_list(assignment));
        std::vector<kafka::message_ptr> batch;
        reader.poll_batch(batch, 100, 1s);
        kafka::producer p(client());
        const kafka::topic_ptr t = p.open_topic(input);
        // The victim is the instance that did more of the work (more CPU time): the one
        // holding active tasks. An assignor may leave a late joiner with standbys or
        // warm-up replicas only (Kafka Streams' does until a probing rebalance), and
        // killing that one would measure nothing.
        const size_t victim = procs[0]->cpu_seconds() >= procs[1]->cpu_seconds() ? 0 : 1;
        system_process& survivor = *procs[1 - victim];
        const size_t survivor_restores = survivor.restored().size();

        procs[victim]->kill_now();
        const auto killed = clock_type::now();
        std::vector<std::optional<clock_type::time_point>> served(
            static_cast<size_t>(_o.partitions));
        int64_t sent = 0;
        const auto all_served = [&] {
            return std::all_of(served.begin(), served.end(),
                               [](const auto& when) { return when.has_value(); });
        };
        while (!all_served() && clock_type::now() - killed < 180s) {
            if (auto e = survivor.error()) {
                throw std::runtime_error(*e);
            }
            if (survivor.exited()) {
                throw std::runtime_error("the surviving instance exited");
            }
            while (clock_type::now() - killed >= sent * 5ms) {
                const auto partition = static_cast<int32_t>(sent % _o.partitions);
                p.produce(t.get(), partition, fmt::format("probe-{}-{}", partition, sent),
                          std::string("1"));
                ++sent;
            }
            p.poll(0ms);
            batch.clear();
            reader.poll_batch(batch, 1000, 5ms);
            for (const auto& m : batch) {
                if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR || m->key == nullptr) {
                    continue;
                }
                const std::string key(static_cast<const char*>(m->key), m->key_len);
                int partition = -1;
                if (std::sscanf(key.c_str(), "probe-%d-", &partition) == 1 && partition >= 0 &&
                    partition < _o.partitions && !served[static_cast<size_t>(partition)]) {
                    served[static_cast<size_t>(partition)] = clock_type::now();
                }
            }
        }
        if (!all_served()) {
            throw std::runtime_error("a partition was not served again within 180 s of the kill");
        }
        clock_type::time_point last = killed;
        for (const auto& when : served) {
            last = std::max(last, *when);
        }
        result r;
        r.name = scenario;
        r.system = system;
        r.guarantee = "at_least_once";
        r.records = keys;
        r.failover_s = std::chrono::duration<double>(last - killed).count();
        // The session's end is seen as the survivor's rebalance: the dead member's last
        // heartbeat came up to a heartbeat interval (3 s) before the kill, so kill + 6 s
        // would not mark it.
        if (const auto rebalancing = survivor.first_state_since("REBALANCING", killed)) {
            r.after_session_s = std::chrono::duration<double>(last - *rebalancing).count();
        }
        const auto restores = survivor.restored();
        for (size_t i = survivor_restores; i < restores.size(); ++i) {
            r.restored_after_kill += restores[i].first;
        }
        r.peak_rss_mb = survivor.peak_rss_mb();
        p.flush(30s);
        return r;
    }

    // The session timeout of the failover runs: the broker's least (group.min.session.
    // timeout.ms), so that the measured time is mostly what the systems do.
    static constexpr std::chrono::milliseconds failover_session{6000};

    options _o;
    std::string _run_id;
    // Event time of the first input record: a whole hour, about two hours ago. Recent, so
    // that the windowed stores' changelogs (retention: window + grace + 1 day) keep their
    // records as they would in live traffic, instead of the broker deleting them as fast
    // as they are written.
    const int64_t _base_ts = [] {
        constexpr int64_t hour_ms = 3600 * 1000;
        const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count();
        return (now - 2 * hour_ms) / hour_ms * hour_ms;
    }();
    int _counter = 0;
    static constexpr std::array nexmark_queries = {
        apps::nexmark::query::q0, apps::nexmark::query::q1, apps::nexmark::query::q2,
        apps::nexmark::query::q3, apps::nexmark::query::q4, apps::nexmark::query::q5,
        apps::nexmark::query::q6, apps::nexmark::query::q7, apps::nexmark::query::q8,
        apps::nexmark::query::q11};
    // Each Nexmark query's results, computed from the input when it was written.
    std::map<apps::nexmark::query, apps::nexmark::output_digest> _nexmark_expected;
    std::map<std::string, int64_t> _input_bytes;   // per topic written
    std::map<std::string, int64_t> _input_records; // per topic written
    std::map<std::string, std::string> _inputs;    // base scenario -> its --input
};

// The field of the result named (name, system, guarantee), if there is one; a field may be
// a double or an optional one.
template <class Field>
std::optional<double> find(const std::vector<result>& all, const std::string& name,
                           const std::string& system, const std::string& guarantee,
                           Field result::*field) {
    for (const auto& r : all) {
        if (r.name == name && r.system == system && r.guarantee == guarantee) {
            return r.*field;
        }
    }
    return std::nullopt;
}

nlohmann::json ratio(std::optional<double> a, std::optional<double> b) {
    if (!a || !b || *b == 0) {
        return nullptr;
    }
    return *a / *b;
}

} // namespace

// The value of an integer flag, all of it: "3x", "" or one out of T's range is an error
// naming the flag.
template <typename T>
T integer_flag(const std::string& flag, const std::string& value) {
    T n = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (ec != std::errc() || end != value.data() + value.size()) {
        throw std::invalid_argument(fmt::format("{} takes a whole number, not '{}'", flag, value));
    }
    return n;
}

int main(int argc, char** argv) {
    options o;
    o.bin_dir = std::filesystem::absolute(argv[0]).parent_path().string();
    try {
        for (int i = 1; i < argc; ++i) {
            const std::string flag = argv[i];
            if (flag == "--help") {
                std::cout << "usage: brook-bench [--bootstrap-servers H:P] [--records N] "
                             "[--partitions P] [--record-size B] [--guarantee all|"
                             "at_least_once|exactly_once_v2] [--commit-interval-ms N] "
                             "[--scenarios a,b|default,nexmark-joins,large-state] "
                             "[--eos-scenarios a,b|all] [--systems a,b] "
                             "[--repetitions N] [--nexmark-repetitions N] "
                             "[--large-state-keys N] "
                             "[--warmup-rounds W] [--out FILE] "
                             "[--log-level error|warn|info|debug]\n";
                return 0;
            }
            if (i + 1 >= argc) {
                throw std::invalid_argument(flag + " needs a value");
            }
            const std::string v = argv[++i];
            if (flag == "--bootstrap-servers") {
                o.bootstrap = v;
            } else if (flag == "--records") {
                o.records = integer_flag<int64_t>(flag, v);
            } else if (flag == "--partitions") {
                o.partitions = integer_flag<int>(flag, v);
            } else if (flag == "--record-size") {
                o.record_size = integer_flag<int>(flag, v);
            } else if (flag == "--guarantee") {
                o.guarantees = v == "all" ? o.guarantees : std::vector<std::string>{v};
            } else if (flag == "--commit-interval-ms") {
                o.commit_interval_ms = integer_flag<int64_t>(flag, v);
            } else if (flag == "--scenarios") {
                // Each scenario once, in the order first named.
                o.scenarios.clear();
                const auto add = [&](std::string_view scenario) {
                    if (std::find(o.scenarios.begin(), o.scenarios.end(), scenario) ==
                        o.scenarios.end()) {
                        o.scenarios.emplace_back(scenario);
                    }
                };
                for (const auto& named : split(v)) {
                    if (named == "default") {
                        for (const auto& scenario : options{}.scenarios) {
                            add(scenario);
                        }
                    } else if (named == "nexmark-joins") {
                        for (const auto scenario : options::nexmark_joins) {
                            add(scenario);
                        }
                    } else {
                        add(named);
                    }
                }
            } else if (flag == "--large-state-keys") {
                o.large_state_keys = integer_flag<int64_t>(flag, v);
            } else if (flag == "--eos-scenarios") {
                o.eos_scenarios = split(v); // "all" is looked for in run_all
            } else if (flag == "--systems") {
                o.systems = split(v);
            } else if (flag == "--repetitions") {
                o.repetitions = integer_flag<int>(flag, v);
            } else if (flag == "--nexmark-repetitions") {
                o.nexmark_repetitions = integer_flag<int>(flag, v);
            } else if (flag == "--warmup-rounds") {
                o.warmup_rounds = integer_flag<int>(flag, v);
            } else if (flag == "--out") {
                o.out = v;
            } else if (flag == "--log-level") {
                const std::optional<log_level> level = parse_log_level(v);
                if (!level) {
                    throw std::invalid_argument(
                        "--log-level must be error, warn, info or debug, not '" + v + "'");
                }
                set_log_level(*level);
            } else {
                throw std::invalid_argument("unknown flag " + flag);
            }
        }
        for (const auto& scenario : o.scenarios) {
            const options defaults;
            if (scenario != "large-state" &&
                std::find(options::nexmark_joins.begin(), options::nexmark_joins.end(), scenario) ==
                    options::nexmark_joins.end() &&
                std::find(defaults.scenarios.begin(), defaults.scenarios.end(), scenario) ==
                    defaults.scenarios.end()) {
                throw std::invalid_argument("--scenarios: no scenario is called '" + scenario +
                                            "'");
            }
        }
        if (o.records < 1 || o.partitions < 1 || o.record_size < 1 || o.commit_interval_ms < 1 ||
            o.repetitions < 1 || o.nexmark_repetitions.value_or(1) < 1 || o.warmup_rounds < 0 ||
            o.large_state_keys < 1) {
            throw std::invalid_argument("--records, --partitions, --record-size, "
                                        "--commit-interval-ms, --repetitions, "
                                        "--nexmark-repetitions and "
                                        "--large-state-keys must be positive, "
                                        "--warmup-rounds not negative");
        }
    } catch (const std::exception& e) {
        std::cerr << "brook-bench: " << e.what() << " (see --help)\n";
        return 2;
    }

    std::vector<result> all;
    try {
        bench b(o);
        all = b.run_all();
    } catch (const std::exception& e) {
        std::cerr << "brook-bench: " << e.what() << " (is the broker at " << o.bootstrap
                  << " up?)\n";
        return 1;
    }

    nlohmann::json doc;
    doc["machine"] = {{"cpus", std::thread::hardware_concurrency()}};
    doc["versions"] = {{"librdkafka", rd_kafka_version_str()}};
    doc["records"] = o.records;
    doc["partitions"] = o.partitions;
    doc["commit_interval_ms"] = o.commit_interval_ms;
    doc["repetitions"] = o.repetitions;
    doc["warmup_rounds"] = o.warmup_rounds;
    doc["scenarios"] = nlohmann::json::array();
    const auto optional_json = [](const std::optional<double>& v) {
        return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
    };
    const auto spread_json = [](const std::vector<double>& v) {
        if (v.empty()) {
            return nlohmann::json(nullptr);
        }
        const spread s = spread_of(v);
        return nlohmann::json{{"min", s.min}, {"median", s.median}, {"max", s.max}};
    };
    for (const auto& r : all) {
        doc["scenarios"].push_back(
            {{"name", r.name},
             {"system", r.system},
             {"guarantee", r.guarantee},
             {"threads", r.threads},
             {"instances", r.instances},
             {"records", r.records},
             {"seconds", r.seconds},
             {"records_per_s", r.records_per_s},
             {"mb_per_s", r.mb_per_s},
             {"p50_ms", optional_json(r.p50_ms)},
             {"p99_ms", optional_json(r.p99_ms)},
             {"peak_rss_mb", r.peak_rss_mb},
             {"startup_s", r.startup_s},
             {"steady_records_per_s", optional_json(r.steady_records_per_s)},
             {"cpu_us_per_record", optional_json(r.cpu_us_per_record)},
             {"records_per_s_runs", r.records_per_s_runs},
             {"steady_records_per_s_runs", r.steady_runs},
             {"records_per_s_spread", spread_json(r.records_per_s_runs)},
             {"steady_records_per_s_spread", spread_json(r.steady_runs)},
             {"failover_s", optional_json(r.failover_s)},
             {"failover_after_session_s", optional_json(r.after_session_s)},
             {"failover_restored_records", r.restored_after_kill},
             {"failover_s_spread", spread_json(r.failover_runs)},
             {"output_matches_expected",
              r.output_matches ? nlohmann::json(*r.output_matches) : nlohmann::json(nullptr)}});
        if (r.output_matches == false) {
            doc["scenarios"].back()["output_difference"] = r.output_difference;
        }
    }
    // Headline ratios compare steady rates (restore has none: its rate is the restore's);
    // whole_run_ratios the same pairs over whole runs, start-up included.
    const std::string alos = "at_least_once";
    const std::string eos = "exactly_once_v2";
    const auto ratios = [&](bool steady) {
        const auto rate = [&](const std::string& scenario, const std::string& system,
                              const std::string& guarantee) -> std::optional<double> {
            for (const auto& r : all) {
                if (r.name == scenario && r.system == system && r.guarantee == guarantee) {
                    return steady ? headline(r) : std::optional<double>(r.records_per_s);
                }
            }
            return std::nullopt;
        };
        nlohmann::json out;
        out["passthrough_vs_rdkafka"] =
            ratio(rate("passthrough", "brook", alos), rate("passthrough", "rdkafka", alos));
        for (const char* scenario :
             {"metrics", "windowed-count", "stream-table-join", "stream-stream-join", "nexmark-q0",
              "nexmark-q1", "nexmark-q2", "nexmark-q3", "nexmark-q4", "nexmark-q5", "nexmark-q6",
              "nexmark-q7", "nexmark-q8", "nexmark-q11"}) {
            std::string key = std::string(scenario) + "_vs_kafka_streams";
            std::replace(key.begin(), key.end(), '-', '_');
            out[key] = ratio(rate(scenario, "brook", alos), rate(scenario, "kafka-streams", alos));
        }
        out["eos_vs_alos"] = ratio(rate("metrics", "brook", eos), rate("metrics", "brook", alos));
        for (const char* scenario :
             {"restore-count", "restore", "large-state-count", "large-state"}) {
            std::string key = std::string(scenario) + "_vs_kafka_streams";
            std::replace(key.begin(), key.end(), '-', '_');
            out[key] = ratio(rate(scenario, "brook", alos), rate(scenario, "kafka-streams", alos));
        }
        for (const char* system : {"brook", "kafka-streams"}) {
            std::string prefix = system;
            std::replace(prefix.begin(), prefix.end(), '-', '_');
            out[prefix + "_2_threads_vs_1"] = ratio(rate("windowed-count-2-threads", system, alos),
                                                    rate("windowed-count", system, alos));
            out[prefix + "_2_instances_vs_1"] =
                ratio(rate("windowed-count-2-instances", system, alos),
                      rate("windowed-count", system, alos));
        }
        return out;
    };
    doc["ratios"] = ratios(true);
    doc["ratios"]["rss_vs_kafka_streams"] =
        ratio(find(all, "metrics", "brook", alos, &result::peak_rss_mb),
              find(all, "metrics", "kafka-streams", alos, &result::peak_rss_mb));
    doc["ratios"]["large_state_rss_vs_kafka_streams"] =
        ratio(find(all, "large-state-count", "brook", alos, &result::peak_rss_mb),
              find(all, "large-state-count", "kafka-streams", alos, &result::peak_rss_mb));
    doc["whole_run_ratios"] = ratios(false);
    // CPU per record in steady state: Brook's over the loop's (aim: at most 1), and Kafka
    // Streams' over Brook's (how many times Brook's cost a record takes there).
    doc["cpu_ratios"]["passthrough_brook_vs_rdkafka"] =
        ratio(find(all, "passthrough", "brook", alos, &result::cpu_us_per_record),
              find(all, "passthrough", "rdkafka", alos, &result::cpu_us_per_record));
    for (const char* scenario :
         {"passthrough", "metrics", "windowed-count", "stream-table-join", "stream-stream-join",
          "restore-count", "nexmark-q0", "nexmark-q1", "nexmark-q2", "nexmark-q3", "nexmark-q4",
          "nexmark-q5", "nexmark-q6", "nexmark-q7", "nexmark-q8", "nexmark-q11"}) {
        std::string key = std::string(scenario) + "_kafka_streams_vs_brook";
        std::replace(key.begin(), key.end(), '-', '_');
        doc["cpu_ratios"][key] =
            ratio(find(all, scenario, "kafka-streams", alos, &result::cpu_us_per_record),
                  find(all, scenario, "brook", alos, &result::cpu_us_per_record));
    }
    // Failover: Kafka Streams' time over Brook's (higher is better for Brook), with and
    // without a standby, and Brook's time after the session ended (aim: under 2 s).
    for (const char* scenario : {"failover", "failover-standby"}) {
        std::string key = scenario;
        std::replace(key.begin(), key.end(), '-', '_');
        doc["ratios"][key + "_kafka_streams_s_vs_brook_s"] =
            ratio(find(all, scenario, "kafka-streams", alos, &result::failover_s),
                  find(all, scenario, "brook", alos, &result::failover_s));
        const std::optional<double> after =
            find(all, scenario, "brook", alos, &result::after_session_s);
        doc["ratios"]["brook_" + key + "_s_after_session"] =
            after ? nlohmann::json(*after) : nlohmann::json(nullptr);
    }
    std::ofstream(o.out) << doc.dump(2) << "\n";

    std::cout << fmt::format("{:<27} {:<14} {:<16} {:>10} {:>19} {:>10} {:>8} {:>7} {:>8} {:>8} "
                             "{:>7} {:>9}\n",
                             "scenario", "system", "guarantee", "steady/s", "steady min-max",
                             "whole/s", "start s", "MB/s", "p50 ms", "p99 ms", "RSS MB",
                             "CPU us/r");
    for (const auto& r : all) {
        if (r.failover_s) {
            continue; // listed below
        }
        const spread s = spread_of(r.steady_runs);
        std::cout << fmt::format(
            "{:<27} {:<14} {:<16} {:>10} {:>19} {:>10.0f} {:>8.1f} {:>7.1f} {:>8} {:>8} "
            "{:>7.0f} {:>9}\n",
            r.name, r.system, r.guarantee, headline(r) ? fmt::format("{:.0f}", *headline(r)) : "-",
            r.steady_runs.empty() ? "-" : fmt::format("{:.0f}-{:.0f}", s.min, s.max),
            r.records_per_s, r.startup_s, r.mb_per_s,
            r.p50_ms ? fmt::format("{:.1f}", *r.p50_ms) : "-",
            r.p99_ms ? fmt::format("{:.1f}", *r.p99_ms) : "-", r.peak_rss_mb,
            r.cpu_us_per_record ? fmt::format("{:.2f}", *r.cpu_us_per_record) : "-");
    }
    for (const auto& r : all) {
        if (r.failover_s) {
            const spread s = spread_of(r.failover_runs);
            std::cout << fmt::format(
                "{:<27} {:<14} served again {:.2f} s after the kill ({:.2f}-{:.2f}), {} s after "
                "the survivor's rebalance began, {} records restored\n",
                r.name, r.system, *r.failover_s, s.min, s.max,
                r.after_session_s ? fmt::format("{:.2f}", *r.after_session_s) : "?",
                r.restored_after_kill);
        }
    }
    for (const auto& r : all) {
        if (r.output_matches) {
            std::cout << fmt::format("{:<27} {:<14} output {}\n", r.name, r.system,
                                     *r.output_matches
                                         ? "equal to the results computed from the input"
                                         : "WRONG: " + r.output_difference);
        }
    }
    std::cout << "ratios: " << doc["ratios"].dump() << "\n";
    std::cout << "cpu ratios: " << doc["cpu_ratios"].dump() << "\n";
    std::cout << "results: " << o.out << "\n";
    // A system that computed a wrong result fails the run, whatever its speed.
    const bool wrong = std::any_of(all.begin(), all.end(),
                                   [](const result& r) { return r.output_matches == false; });
    return all.empty() || wrong ? 1 : 0;
}
