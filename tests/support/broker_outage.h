#pragma once

// broker_outage: stops the real broker of KAFKA_BOOTSTRAP with the project's own script
// (scripts/kafka, with KAFKA_PORT taken from KAFKA_BOOTSTRAP; KAFKA_DATA_DIR passes
// through the environment) for the scope of a chaos test, and always starts it again.
//
// Only a broker that scripts/kafka runs can be stopped this way: broker_script_runs()
// tells whether the one of KAFKA_BOOTSTRAP is one.

#include <chrono>
#include <string>
#include <sys/types.h>

namespace brook::testing {

// The shell command that runs `scripts/kafka <command>` for the broker of KAFKA_BOOTSTRAP.
std::string kafka_script(const std::string& command);
// Runs a shell command; its exit code, or -1 if it did not exit.
int run_shell(const std::string& command);
// Whether scripts/kafka runs the broker of KAFKA_BOOTSTRAP (and so can stop and start it).
bool broker_script_runs();

// Stops the broker at construction and starts it again at restart(), or in the destructor
// if the test failed before. A detached watchdog (its own session, so ctest's kill of this
// process group spares it) starts the broker after `longest` in case this process dies
// before either; both starts are idempotent.
class broker_outage {
public:
    explicit broker_outage(std::chrono::seconds longest);
    ~broker_outage();
    broker_outage(const broker_outage&) = delete;
    broker_outage& operator=(const broker_outage&) = delete;

    bool stopped() const { return _stopped; }
    // Starts the broker (waiting until it answers); returns whether it does.
    bool restart();

    std::chrono::steady_clock::duration stop_took{};
    std::chrono::steady_clock::duration start_took{};

private:
    pid_t _watchdog = -1;
    bool _stopped = false;
    bool _restarted = false;
};

} // namespace brook::testing
