#pragma once

// run_app: how every Brook example app runs its topology, so each app's main() is only
// its flags and its topology.
//
// Before anything touches Kafka it checks what the flags and configuration can get wrong
// (--partitions, that the endpoint's address and port can be bound, that the state
// directory can be made and written) and answers 2 for any of it. Then it prints the
// embedded-cluster notice when needed, creates the topics the app owns,
// refuses co-partitioned inputs whose partition counts differ, starts kafka_streams with
// a restore progress display, logs state changes, serves the operator endpoint when
// --http-port is given (see ops_endpoint.h), and runs until SIGINT/SIGTERM, an error, or
// `done` says so; then it closes with a final commit.
//
// Threading: call from main(), after a shutdown_signal was constructed (so every thread
// inherits the blocked signals). Returns the process exit code: 0 after a clean stop,
// 1 on an error, 2 on a configuration error (a bad flag, mismatched co-partitioned
// topics), 3 when the threads did not stop within the shutdown timeout.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "apps/common/app_cli.h"
#include "engine/runtime/kafka_streams.h"
#include "engine/runtime/shutdown_signal.h"
#include "engine/topology/topology.h"

namespace brook {
class ops_endpoint;
}

namespace brook::apps {

struct app_run {
    std::string program; // for messages, "brook-metrics"
    const app_cli* cli = nullptr;
    shutdown_signal* signals = nullptr;
    std::optional<streams_config> config; // required
    const topology* topo = nullptr;
    // Topics the app writes or reads that it creates when missing (--partitions each).
    std::vector<std::string> owned_topics;
    // Groups of input topics that must have the same partition count (records with the
    // same key must meet in one task). Checked after owned_topics are created.
    std::vector<std::vector<std::string>> copartitioned;
    // Registers the app's queryable stores (and any metrics sources of its own) on the
    // endpoint; called only with --http-port, before the endpoint starts.
    std::function<void(ops_endpoint&)> register_stores;
    // Called every 200 ms while running; true stops the app (the demo's "all processed").
    std::function<bool(const kafka_streams&)> done;
    // Called after start(), before the loop (the demo writes its input here), and after
    // close() with how the run ended; either may be empty.
    std::function<void(kafka_streams&)> started;
    std::function<int(kafka_streams&, int exit_code)> finished;
};

// Returns the process's exit code: main() returns it at once. After a clean close a
// watchdog ends the process (exit 3) if it is still alive shutdown.timeout.ms later, so
// that a client whose destructor hangs cannot keep it running.
int run_app(app_run run);

} // namespace brook::apps
