#pragma once

// app_process: one of the project's programs run as a child process by an integration
// test, so the test can signal it (SIGTERM for a clean stop, SIGKILL for a crash) and read
// its exit status. The destructor kills and reaps a child still running, so a failing
// test never leaves a process behind.

#include <chrono>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace brook::testing {

class app_process {
public:
    // args[0] is the program's path. Its output goes to the test's stdout/stderr, or, with
    // `stderr_file`, its stderr to that file (for tests that read what it said).
    explicit app_process(const std::vector<std::string>& args, const std::string& stderr_file = {});
    ~app_process();
    app_process(const app_process&) = delete;
    app_process& operator=(const app_process&) = delete;

    // Sends `signal` and waits up to `patience` for the exit; then SIGKILLs. Returns the
    // exit status, -signal if a signal ended it, or -1000 if it had to be killed.
    int stop(int signal, std::chrono::seconds patience = std::chrono::seconds(30));
    // Waits up to `patience` for the process to exit on its own; same returns as stop(),
    // and -2000 if it is still running (it is left running). Once it has exited, both
    // answer its exit status, also when alive() saw the exit first.
    int wait(std::chrono::seconds patience);
    bool alive();

private:
    // Collects the exit status if the process has ended; true then.
    bool reap();

    pid_t _pid = -1;
    std::optional<int> _status; // once reaped
};

// The path of a program in the build's bin directory.
std::string bin_path(const std::string& program);

} // namespace brook::testing
