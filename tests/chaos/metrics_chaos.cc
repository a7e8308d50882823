#include "tests/chaos/metrics_chaos.h"

#include <cstdlib>
#include <iostream>
#include <signal.h>
#include <thread>

#include <fmt/format.h>

#include "engine/kafka/admin_client.h"
#include "tests/support/broker.h"
#include "tests/support/chaos_seed.h"
#include "tests/support/http_get.h"
#include "tests/support/prometheus_scrape.h"
#include "tests/support/topic_tail.h"

namespace brook::testing {

using namespace std::chrono_literals;

std::chrono::milliseconds random_ms(std::mt19937_64& rng, int64_t lo, int64_t hi) {
    return std::chrono::milliseconds(std::uniform_int_distribution<int64_t>(lo, hi)(rng));
}

void metrics_chaos::set_up(int slots, int64_t records, int chunks, int partitions) {
    _began = std::chrono::steady_clock::now();
    seed = chaos_seed();
    rng.seed(seed);
    input = unique_name("chaos-in");
    output = unique_name("chaos-out");
    dlq = unique_name("chaos-dlq");
    app_id = unique_name("chaos-app");
    _state_root = std::filesystem::temp_directory_path() / unique_name("chaos-state");
    _log_dir = std::filesystem::temp_directory_path() / (app_id + "-logs");
    std::filesystem::create_directories(_log_dir);
    kafka::admin_client admin(real_client_config());
    admin.create_topics({{input, partitions, 1, {}}}, 30s);
    _workload = std::make_unique<metrics_workload>(input, partitions, records, chunks);
    _producer = std::make_unique<kafka::producer>(real_client_config());
    _apps.resize(slots);
    for (int i = 0; i < slots; ++i) {
        _ports.push_back(free_port());
    }
}

void metrics_chaos::TearDown() {
    _apps.clear(); // kills what still runs
    std::error_code ec;
    std::filesystem::remove_all(_state_root, ec);
    if (_log_dir.empty()) {
        return; // skipped before set_up()
    }
    if (HasFailure() || std::getenv("CHAOS_KEEP_LOGS") != nullptr) {
        std::cout << "[ logs     ] each start's stderr: " << _log_dir.string() << "\n";
    } else {
        std::filesystem::remove_all(_log_dir, ec);
    }
}

std::vector<std::string> metrics_chaos::args(int slot) const {
    std::vector<std::string> a = {
        bin_path("brook-metrics"), "--bootstrap-servers", real_bootstrap(), "--application-id",
        app_id, "--processing-guarantee", GetParam(), "--state-dir",
        (_state_root / fmt::format("instance-{}", slot)).string(), "--input-topic", input,
        "--output-topic", output, "--dlq-topic", dlq, "--partitions",
        std::to_string(_workload->partitions()), "--http-port", std::to_string(_ports.at(slot)),
        // A killed member leaves the group after 10 s instead of 45 s: the same situation,
        // in less time.
        "--set", "consumer.session.timeout.ms=10000"};
    if (!eos()) {
        // At-least-once commits every 30 s by default: commit often enough that kills fall
        // between commits and after them, not only before the first.
        a.insert(a.end(), {"--set", "commit.interval.ms=1000"});
    }
    const auto window = metrics_workload::flags();
    a.insert(a.end(), window.begin(), window.end());
    a.insert(a.end(), extra_flags.begin(), extra_flags.end());
    return a;
}

void metrics_chaos::start(int slot) {
    ASSERT_FALSE(running(slot)) << "instance " << slot << " runs already";
    ++starts;
    // Each start's stderr in a file of its own: the app's log lines would bury the test's.
    _apps.at(slot) = std::make_unique<app_process>(
        args(slot),
        (_log_dir / fmt::format("start-{:02d}-instance-{}.log", starts, slot)).string());
}

int metrics_chaos::stop(int slot, int signal, std::chrono::seconds patience) {
    if (!running(slot)) {
        return -2000;
    }
    const int status = _apps.at(slot)->stop(signal, patience);
    _apps.at(slot).reset();
    (signal == SIGKILL ? sigkills : sigterms) += 1;
    return status;
}

bool metrics_chaos::running(int slot) const {
    return _apps.at(slot) != nullptr;
}

bool metrics_chaos::alive(int slot) {
    return running(slot) && _apps.at(slot)->alive();
}

std::vector<int> metrics_chaos::running_slots() const {
    std::vector<int> out;
    for (int i = 0; i < static_cast<int>(_apps.size()); ++i) {
        if (running(i)) {
            out.push_back(i);
        }
    }
    return out;
}

std::vector<std::pair<int, int>> metrics_chaos::reap_exited() {
    std::vector<std::pair<int, int>> out;
    for (int i = 0; i < static_cast<int>(_apps.size()); ++i) {
        if (running(i) && !_apps[i]->alive()) {
            out.emplace_back(i, _apps[i]->wait(0s));
            _apps[i].reset();
        }
    }
    return out;
}

void metrics_chaos::produce_chunk(int chunk) {
    _workload->produce_chunk(*_producer, chunk);
}

bool metrics_chaos::wait_consumed(std::chrono::seconds patience, bool restart_exited) {
    const auto deadline = std::chrono::steady_clock::now() + patience;
    const auto end = end_offsets(real_client_config(), input, _workload->partitions());
    while (std::chrono::steady_clock::now() < deadline) {
        for (const auto& [slot, status] : reap_exited()) {
            if (!restart_exited) {
                ADD_FAILURE() << "instance " << slot << " ended on its own with status " << status;
                return false;
            }
            std::cout << fmt::format("[ chaos    ] instance {} exited with {}; restarting it\n",
                                     slot, status);
            ++restarts_after_exit;
            start(slot);
        }
        if (running_slots().empty()) {
            ADD_FAILURE() << "no instance runs";
            return false;
        }
        if (committed_offsets(real_client_config(), app_id, input, _workload->partitions()) ==
            end) {
            return true;
        }
        std::this_thread::sleep_for(500ms);
    }
    return false;
}

void metrics_chaos::finish(std::chrono::seconds patience) {
    ASSERT_TRUE(wait_consumed(patience, restarts_after_exit > 0))
        << "the app did not consume its input within " << patience.count() << " s";
    const metrics_outcome o = _workload->collect(real_client_config(), output, dlq, 120s);

    double late = 0;
    for (const int slot : running_slots()) {
        late += scrape_metric(_ports[slot], "brook_late_records_dropped_total").value_or(0);
    }
    for (const int slot : running_slots()) {
        EXPECT_EQ(stop(slot, SIGTERM), 0) << "instance " << slot << " did not stop cleanly";
        --sigterms; // the end of the run, not part of the scenario
    }
    const auto took =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - _began);
    std::cout << fmt::format(
        "[ figures  ] {} seed {}: {} records, {} starts, {} SIGKILLs, {} SIGTERMs, {} restarts "
        "after an exit; {} closed windows checked, {} outputs: {} missing, {} duplicated, {} "
        "wrong ({} inflated), {} unexpected; DLQ {} of {} ({} repeated); {} late (live "
        "instances); {} s\n",
        GetParam(), seed, _workload->records(), starts, sigkills, sigterms, restarts_after_exit,
        o.closed, o.windows.outputs, o.windows.missing, o.windows.duplicates, o.windows.wrong,
        o.windows.inflated, o.windows.unexpected, o.dlq.records,
        _workload->oracle().malformed().size(), o.dlq.repeated, late, took.count());

    EXPECT_GT(o.closed, 1000U) << "too few closed windows for a meaningful check";
    EXPECT_EQ(o.windows.missing, 0) << "closed windows never emitted";
    EXPECT_EQ(o.windows.unexpected, 0) << "windows the input cannot make, or not closed";
    EXPECT_EQ(o.dlq.missing, 0) << "malformed records never dead-lettered";
    EXPECT_EQ(o.dlq.unexpected, 0) << "DLQ records that were not malformed";
    EXPECT_EQ(o.dlq.without_reason, 0) << "DLQ records without an error header";
    if (eos()) {
        EXPECT_EQ(o.windows.duplicates, 0) << "windows emitted more than once";
        EXPECT_EQ(o.windows.wrong, 0) << "windows with wrong aggregates";
        EXPECT_EQ(o.dlq.repeated, 0) << "malformed records dead-lettered twice";
    } else {
        EXPECT_EQ(o.windows.wrong - o.windows.inflated, 0)
            << "windows with aggregates that no repeat of records explains";
    }
}

} // namespace brook::testing
