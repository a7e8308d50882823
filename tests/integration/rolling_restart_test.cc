// A rolling restart of three brook-metrics instances under exactly_once_v2, on a real
// broker, with and without static membership (group.instance.id): each instance in turn
// gets SIGTERM and is started again at once on its state directory while input flows.
//
// Both ways every closed window must be emitted once and exact and every malformed record
// be in the DLQ once. Static membership must move fewer tasks: a static member that stops
// does not leave the group, and when it comes back within the session timeout it gets its
// own partitions again without a rebalance, so no other instance gives up or takes over
// anything. A dynamic member leaves, and `range` is eager: everything is revoked twice per
// restart and the leaver's tasks go to the others and back.
//
// Task moves are counted from what each instance says at each assignment ("assigned tasks
// [...]", stream_thread.cc): a task an instance gets that it did not hold at its previous
// assignment is one move. The pauses each instance saw come from the same lines. Each
// instance comes back a few seconds after it stopped, as in a deploy: a restart faster
// than the group's rebalance would give a dynamic member its old tasks back by chance
// (members sort by client.id, which holds the stable process id).

#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <signal.h>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "engine/kafka/admin_client.h"
#include "engine/kafka/producer.h"
#include "tests/support/app_process.h"
#include "tests/support/assignment_log.h"
#include "tests/support/broker.h"
#include "tests/support/metrics_oracle.h"
#include "tests/support/topic_tail.h"

namespace brook {
namespace {

using namespace std::chrono_literals;

constexpr int partitions = 6;
constexpr int instances = 3;
constexpr int64_t per_chunk = 6'000;
constexpr int chunks = 6; // one before, one per restart, two after
constexpr int64_t window_ms = 60'000;
constexpr int64_t grace_ms = 3'600'000;
constexpr int hosts = 30;

struct run_result {
    int64_t moves = 0;
    std::vector<int64_t> pauses_ms;          // every pause any instance reported
    std::map<int, int64_t> longest_pause_ms; // per instance
    testing::window_report windows;
    testing::dlq_report dlq;
    size_t closed = 0;
};

using testing::assignments_in;

class rolling_restart_run {
public:
    explicit rolling_restart_run(bool static_membership)
        : _static(static_membership), _in(testing::unique_name("rr-in")),
          _out(testing::unique_name("rr-out")), _dlq(testing::unique_name("rr-dlq")),
          _app_id(testing::unique_name("rr-app")),
          _root(std::filesystem::temp_directory_path() / testing::unique_name("rr")) {
        kafka::admin_client admin(testing::real_client_config());
        admin.create_topics({{_in, partitions, 1, {}}}, 30s);
        const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count();
        _start_ts = (now - 3 * 3'600'000) / window_ms * window_ms;
    }
    ~rolling_restart_run() { std::filesystem::remove_all(_root); }

    run_result run() {
        kafka::producer producer(testing::real_client_config());
        for (int n = 0; n < instances; ++n) {
            start(n);
            std::this_thread::sleep_for(2s);
        }
        produce_chunk(producer, 0);
        EXPECT_TRUE(wait_consumed(180s)) << "the group did not consume the first chunk";
        // The group has settled: what each instance holds now is the baseline.
        std::map<int, std::set<std::string>> held;
        std::map<int, size_t> seen_lines;
        for (int n = 0; n < instances; ++n) {
            const auto a = assignments_in(log_of(n, 0));
            held[n] = a.empty() ? std::set<std::string>{} : a.back().tasks;
            seen_lines[n] = a.size();
        }
        for (int n = 0; n < instances; ++n) {
            EXPECT_TRUE(_apps[n]->alive()) << "instance " << n << " died";
            std::map<int, size_t> before;
            for (int other = 0; other < instances; ++other) {
                before[other] = assignments_in(log_of(other, _launches[other] - 1)).size();
            }
            EXPECT_EQ(_apps[n]->stop(SIGTERM), 0) << "instance " << n << " did not stop cleanly";
            // The new process comes up a few seconds later, as in a deploy: long enough
            // for a dynamic member's leaving to be rebalanced (the others get assigned
            // again), well within the session timeout that keeps a static member's place.
            const auto restart_at = std::chrono::steady_clock::now() + 10s;
            while (std::chrono::steady_clock::now() < restart_at) {
                bool all_reassigned = true;
                for (int other = 0; other < instances; ++other) {
                    if (other != n && assignments_in(log_of(other, _launches[other] - 1)).size() <=
                                          before[other]) {
                        all_reassigned = false;
                    }
                }
                if (all_reassigned) {
                    break;
                }
                std::this_thread::sleep_for(200ms);
            }
            start(n);
            produce_chunk(producer, n + 1);
            std::this_thread::sleep_for(3s);
        }
        for (int chunk = instances + 1; chunk < chunks; ++chunk) {
            produce_chunk(producer, chunk);
        }
        EXPECT_TRUE(wait_consumed(240s)) << "the group did not consume its input";

        run_result r;
        r.closed = 0;
        const auto closed = _oracle.closed_at(_oracle.max_ts(), grace_ms);
        r.closed = closed.size();
        std::vector<std::string> outputs;
        testing::topic_tail out(testing::real_client_config(), _out, partitions);
        const auto on_output = [&](const rd_kafka_message_t& m) {
            outputs.emplace_back(static_cast<const char*>(m.payload), m.len);
        };
        out.poll_until([&] { return outputs.size() >= closed.size(); }, 120s, on_output);
        out.poll(3s, on_output);
        std::vector<std::pair<std::string, bool>> dead;
        testing::topic_tail dlq(testing::real_client_config(), _dlq, partitions);
        const auto on_dead = [&](const rd_kafka_message_t& m) {
            rd_kafka_headers_t* hdrs = nullptr;
            const void* reason = nullptr;
            size_t size = 0;
            const bool has_reason =
                rd_kafka_message_headers(&m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR &&
                rd_kafka_header_get_last(hdrs, "error", &reason, &size) ==
                    RD_KAFKA_RESP_ERR_NO_ERROR &&
                size > 0;
            dead.emplace_back(std::string(static_cast<const char*>(m.payload), m.len), has_reason);
        };
        dlq.poll_until([&] { return dead.size() >= _oracle.malformed().size(); }, 60s, on_dead);
        dlq.poll(2s, on_dead);
        for (auto& [n, app] : _apps) {
            EXPECT_EQ(app->stop(SIGTERM), 0) << "instance " << n;
        }
        r.windows = _oracle.check_windows(outputs, closed);
        r.dlq = _oracle.check_dlq(dead);

        // Moves and pauses after the baseline, launch by launch, per instance.
        for (int n = 0; n < instances; ++n) {
            for (int launch = 0; launch < _launches[n]; ++launch) {
                const auto a = assignments_in(log_of(n, launch));
                for (size_t i = launch == 0 ? seen_lines[n] : 0; i < a.size(); ++i) {
                    for (const std::string& task : a[i].tasks) {
                        r.moves += held[n].contains(task) ? 0 : 1;
                    }
                    held[n] = a[i].tasks;
                    if (a[i].pause_ms >= 0) {
                        r.pauses_ms.push_back(a[i].pause_ms);
                        r.longest_pause_ms[n] = std::max(r.longest_pause_ms[n], a[i].pause_ms);
                    }
                }
            }
        }
        return r;
    }

private:
    std::filesystem::path log_of(int n, int launch) const {
        return _root / fmt::format("instance-{}-launch-{}.log", n, launch);
    }

    void start(int n) {
        std::vector<std::string> args{testing::bin_path("brook-metrics"),
                                      "--bootstrap-servers",
                                      testing::real_bootstrap(),
                                      "--application-id",
                                      _app_id,
                                      "--processing-guarantee",
                                      "exactly_once_v2",
                                      "--state-dir",
                                      (_root / fmt::format("state-{}", n)).string(),
                                      "--input-topic",
                                      _in,
                                      "--output-topic",
                                      _out,
                                      "--dlq-topic",
                                      _dlq,
                                      "--partitions",
                                      std::to_string(partitions),
                                      "--window",
                                      "60s",
                                      "--grace",
                                      "1h",
                                      "--set",
                                      "consumer.session.timeout.ms=15000"};
        if (_static) {
            args.insert(args.end(), {"--set", fmt::format("group.instance.id=node-{}", n)});
        }
        std::filesystem::create_directories(_root);
        const int launch = _launches[n]++;
        _apps[n] = std::make_unique<testing::app_process>(args, log_of(n, launch).string());
    }

    void produce_chunk(kafka::producer& p, int chunk) {
        for (int64_t i = chunk * per_chunk; i < (chunk + 1) * per_chunk; ++i) {
            const std::string host = fmt::format("host-{:02d}", (i * 7) % hosts);
            if (i % 200 == 11) {
                const std::string value = fmt::format("not json #{}", i);
                _oracle.add_malformed(value);
                p.produce(_in, RD_KAFKA_PARTITION_UA, host, value);
                continue;
            }
            // Two hours of event time over the whole input, in order.
            const int64_t ts = _start_ts + i * (2 * 3'600'000) / (chunks * per_chunk);
            const int64_t raw = (i * 37) % 1000;
            p.produce(_in, RD_KAFKA_PARTITION_UA, host,
                      fmt::format(R"({{"name":"disk.free","host":"{}","value":{},)"
                                  R"("unit":"bytes","ts":{}}})",
                                  host, raw, ts));
            _oracle.add_valid(host, "disk.free", "bytes", static_cast<double>(raw), ts);
        }
        p.flush(60s);
    }

    bool wait_consumed(std::chrono::seconds patience) {
        const auto deadline = std::chrono::steady_clock::now() + patience;
        const auto end = testing::end_offsets(testing::real_client_config(), _in, partitions);
        while (std::chrono::steady_clock::now() < deadline) {
            if (testing::committed_offsets(testing::real_client_config(), _app_id, _in,
                                           partitions) == end) {
                return true;
            }
            std::this_thread::sleep_for(500ms);
        }
        return false;
    }

    bool _static;
    std::string _in, _out, _dlq, _app_id;
    std::filesystem::path _root;
    int64_t _start_ts = 0;
    std::map<int, std::unique_ptr<testing::app_process>> _apps;
    std::map<int, int> _launches;
    testing::metrics_oracle _oracle{window_ms};
};

void expect_exact(const run_result& r, const char* how) {
    EXPECT_GT(r.closed, 1000U) << how;
    EXPECT_EQ(r.windows.missing, 0) << how << ": closed windows never emitted";
    EXPECT_EQ(r.windows.duplicates, 0) << how << ": windows emitted more than once";
    EXPECT_EQ(r.windows.wrong, 0) << how << ": windows with wrong aggregates";
    EXPECT_EQ(r.windows.unexpected, 0) << how << ": windows the input cannot make";
    EXPECT_EQ(r.dlq.missing, 0) << how << ": malformed records never dead-lettered";
    EXPECT_EQ(r.dlq.repeated, 0) << how << ": malformed records dead-lettered twice";
    EXPECT_EQ(r.dlq.unexpected, 0) << how;
    EXPECT_EQ(r.dlq.without_reason, 0) << how;
}

std::string pauses(const run_result& r) {
    std::string s;
    for (const auto& [n, ms] : r.longest_pause_ms) {
        s += fmt::format(" instance {}: {} ms;", n, ms);
    }
    return fmt::format("{} pauses, longest per instance:{}", r.pauses_ms.size(),
                       s.empty() ? " none" : s);
}

TEST(rolling_restart, static_membership_moves_fewer_tasks_and_both_ways_stay_exactly_once) {
    const run_result dynamic = rolling_restart_run(false).run();
    expect_exact(dynamic, "dynamic membership");
    const run_result fixed = rolling_restart_run(true).run();
    expect_exact(fixed, "static membership");
    std::cout << fmt::format("[ figures  ] rolling restart of {} instances, exactly_once_v2: "
                             "dynamic membership {} task moves, {}\n",
                             instances, dynamic.moves, pauses(dynamic));
    std::cout << fmt::format("[ figures  ] static membership {} task moves, {}\n", fixed.moves,
                             pauses(fixed));
    EXPECT_GT(dynamic.moves, 0) << "a dynamic member that leaves must hand its tasks over";
    EXPECT_LT(fixed.moves, dynamic.moves);
    EXPECT_LT(fixed.pauses_ms.size(), dynamic.pauses_ms.size()) << "rebalances seen";
}

} // namespace
} // namespace brook
