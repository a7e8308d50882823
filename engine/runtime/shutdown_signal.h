#pragma once

// shutdown_signal: turns SIGINT and SIGTERM into something a program's main loop can wait
// for, so an app can commit and exit cleanly instead of dying mid-batch.
//
// Construct it first thing in main(), before any thread starts: it blocks both signals
// in the calling thread, and threads started later inherit the mask, so the signals stay
// pending until wait() takes them. Destruction restores the previous mask.

#include <chrono>
#include <csignal>

namespace brook {

class shutdown_signal {
public:
    shutdown_signal();
    ~shutdown_signal();
    shutdown_signal(const shutdown_signal&) = delete;
    shutdown_signal& operator=(const shutdown_signal&) = delete;

    // Waits up to `timeout`; returns the signal number taken (now or by an earlier poll()),
    // or 0 if none came.
    int wait(std::chrono::milliseconds timeout);
    // Takes a pending signal without waiting and remembers it for wait(); true when one has
    // come. For long start-up steps that must give up on SIGTERM.
    bool poll();

private:
    sigset_t _set{};
    sigset_t _previous{};
    int _taken = 0;
};

} // namespace brook
