#pragma once

// state_dir_lock: one running application instance per state directory, as Kafka Streams
// locks its state directory. Two instances on one <state.dir>/<application.id> would
// overwrite each other's stores and, under exactly-once, share transactional ids and fence
// each other forever; the second is refused at start with the directory and the holder's
// pid in the message.
//
// The lock is an flock() on "<dir>/.lock", held by an open descriptor for the object's
// lifetime, so the kernel releases it when the process dies however it dies (a SIGKILLed
// instance never leaves a stale lock behind).
//
// Lifecycle: acquired by the constructor, released by the destructor. Ownership: owns the
// descriptor. Threading: construct and destroy on one thread.

#include <filesystem>

namespace brook {

class state_dir_lock {
public:
    // Creates `dir` if needed and locks it. Throws config_error when another process holds
    // it, state::state_error when the directory or lock file cannot be made.
    explicit state_dir_lock(const std::filesystem::path& dir);
    ~state_dir_lock();
    state_dir_lock(const state_dir_lock&) = delete;
    state_dir_lock& operator=(const state_dir_lock&) = delete;

private:
    int _fd = -1;
};

} // namespace brook
