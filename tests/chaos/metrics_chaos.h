#pragma once

// metrics_chaos: the fixture of the brook-metrics chaos scenarios (tests/chaos/metrics_*).
//
// brook-metrics runs as shipped (a two-stage topology: parse, re-key by host/name/unit
// through a repartition topic, 60 s windows with an hour of grace, one result per window)
// in up to `slots` instances, each a child process with its own state directory (and so
// its own process id and transactional ids) and its own HTTP port. A test writes the
// input of a metrics_workload in chunks and starts, SIGTERMs and SIGKILLs instances as its
// scenario says; at the end finish() waits until the input is consumed and checks every
// closed window and every malformed record:
//
//   exactly_once_v2  0 missing, 0 duplicated, 0 wrong, 0 unexpected; each DLQ record once
//   at_least_once    0 missing, 0 unexpected, no wrong values but those that records
//                    counted twice explain; each DLQ record at least once
//
// The test is parameterised by the processing guarantee.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/kafka/producer.h"
#include "tests/support/app_process.h"
#include "tests/support/metrics_workload.h"

namespace brook::testing {

class metrics_chaos : public ::testing::TestWithParam<std::string> {
protected:
    // `records` in `chunks`, over `partitions`; `slots` instances at most.
    void set_up(int slots, int64_t records, int chunks, int partitions = 6);
    void TearDown() override;

    bool eos() const { return GetParam() == "exactly_once_v2"; }

    // Flags of every start of every instance, beyond the fixture's own.
    std::vector<std::string> extra_flags;

    // ---- instances ----
    void start(int slot);
    // Sends `signal` and waits up to `patience` for the exit; its status as
    // app_process::stop returns it. Counts SIGKILLs and SIGTERMs.
    int stop(int slot, int signal, std::chrono::seconds patience = std::chrono::seconds(60));
    bool running(int slot) const;
    bool alive(int slot); // running and its process not ended
    std::vector<int> running_slots() const;
    uint16_t http_port(int slot) const { return _ports.at(slot); }
    // Instances that ended without being asked: reaps them and returns their slots and
    // exit statuses.
    std::vector<std::pair<int, int>> reap_exited();

    // ---- input ----
    void produce_chunk(int chunk);
    metrics_workload& workload() { return *_workload; }

    // Waits until the group's committed offsets reach the end of the input, up to
    // `patience`. An instance that ends on its own meanwhile fails the test, unless
    // `restart_exited`: then it is started again, as an operator's supervisor would.
    bool wait_consumed(std::chrono::seconds patience, bool restart_exited = false);

    // Waits for the input to be consumed, reads the output and DLQ, checks them as the
    // guarantee asks, prints the figures, and SIGTERMs every instance (each must exit 0).
    void finish(std::chrono::seconds patience = std::chrono::seconds(150));

    // What happened, for the figures line.
    int starts = 0, sigkills = 0, sigterms = 0, restarts_after_exit = 0;

    std::mt19937_64 rng;
    uint64_t seed = 0;
    std::string app_id, input, output, dlq;

private:
    std::vector<std::string> args(int slot) const;

    std::filesystem::path _state_root;
    std::filesystem::path _log_dir; // kept when the test fails
    std::vector<std::unique_ptr<app_process>> _apps;
    std::vector<uint16_t> _ports;
    std::unique_ptr<metrics_workload> _workload;
    std::unique_ptr<kafka::producer> _producer;
    std::chrono::steady_clock::time_point _began;
};

// The guarantee as the name of a test instance: ".../exactly_once_v2".
inline std::string guarantee_name(const ::testing::TestParamInfo<std::string>& info) {
    return info.param;
}

// Uniform in [lo, hi] milliseconds.
std::chrono::milliseconds random_ms(std::mt19937_64& rng, int64_t lo, int64_t hi);

} // namespace brook::testing
