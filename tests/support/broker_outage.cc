#include "tests/support/broker_outage.h"

#include <cstdlib>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include "tests/support/broker.h"

namespace brook::testing {

namespace {

// The port of KAFKA_BOOTSTRAP ("host:port"), which scripts/kafka needs as KAFKA_PORT.
std::string bootstrap_port() {
    const std::string bootstrap = real_bootstrap();
    const auto colon = bootstrap.rfind(':');
    return colon == std::string::npos ? "9092" : bootstrap.substr(colon + 1);
}

} // namespace

std::string kafka_script(const std::string& command) {
    return fmt::format("KAFKA_PORT={} '{}/scripts/kafka' {}", bootstrap_port(), BROOK_SOURCE_DIR,
                       command);
}

int run_shell(const std::string& command) {
    const int status = std::system(command.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

bool broker_script_runs() {
    return run_shell(kafka_script("status >/dev/null 2>&1")) == 0;
}

broker_outage::broker_outage(std::chrono::seconds longest) {
    const std::string watchdog =
        fmt::format("sleep {} && {} >/dev/null 2>&1", longest.count(), kafka_script("start"));
    _watchdog = fork();
    if (_watchdog == 0) {
        setsid();
        execl("/bin/sh", "sh", "-c", watchdog.c_str(), static_cast<char*>(nullptr));
        _exit(127);
    }
    const auto start = std::chrono::steady_clock::now();
    _stopped = run_shell(kafka_script("stop")) == 0;
    stop_took = std::chrono::steady_clock::now() - start;
}

broker_outage::~broker_outage() {
    restart();
    if (_watchdog > 0) {
        kill(-_watchdog, SIGKILL); // its session: the shell and its sleep
        kill(_watchdog, SIGKILL);
        waitpid(_watchdog, nullptr, 0);
    }
}

bool broker_outage::restart() {
    if (_restarted) {
        return true;
    }
    const auto start = std::chrono::steady_clock::now();
    _restarted = run_shell(kafka_script("start")) == 0;
    start_took = std::chrono::steady_clock::now() - start;
    return _restarted;
}

} // namespace brook::testing
