#pragma once

// app_state: the application's state machine (kafka_streams' CREATED ... NOT_RUNNING),
// its error, whether it is closing, and the listener told of every change.
//
//   CREATED -> REBALANCING <-> RUNNING -> PENDING_SHUTDOWN -> NOT_RUNNING
//        \____________\____________\__________________________-> ERROR
//
// Only these moves happen (as Kafka Streams' KafkaStreams.State); ERROR and NOT_RUNNING
// are final. A move the machine does not allow is ignored, so a stale derivation cannot
// take a closing or failed application back to RUNNING.
//
// Threading: every stream thread derives the state after its own state changed, while
// the controlling thread moves it at start and close. Deriving and moving are serialized:
// the last derivation reads the threads' last states, and the listener hears changes one
// at a time, in the order they were made, on the thread that made them.

#include <functional>
#include <mutex>
#include <string>

namespace brook {

enum class streams_state { created, rebalancing, running, pending_shutdown, not_running, error };
const char* to_string(streams_state s);

// What the stream threads' states add up to, read under app_state's serial lock.
struct threads_summary {
    bool all_dead = true;
    bool any_assigning = false; // starting, or between revoke and the end of assignment
    std::string error;          // a thread that died of an error says why; empty if none
};

class app_state {
public:
    using listener = std::function<void(streams_state now, streams_state before)>;

    // Called for every change, under the serial lock: it must be quick and must not call
    // back into the application's close().
    void set_listener(listener l);

    streams_state state() const;
    std::string error() const;
    bool closing() const;

    // Marks the application closing; false when it already was.
    bool begin_close();

    // Moves to `next` when the machine allows it, and tells the listener.
    void transition(streams_state next);
    // Keeps the first reason and moves to ERROR.
    void fail(const std::string& reason);
    // The state the threads add up to: ERROR when one died of an error; while closing,
    // PENDING_SHUTDOWN until all are dead, then NOT_RUNNING; else REBALANCING while any
    // is assigning, RUNNING when none is. `read` runs under the serial lock.
    void derive(const std::function<threads_summary()>& read);

private:
    void transition_locked(streams_state next);
    void fail_locked(const std::string& reason);

    std::mutex _serial; // deriving and moving, listener included; taken before _mutex
    mutable std::mutex _mutex;
    streams_state _state = streams_state::created;
    std::string _error;
    bool _closing = false;
    listener _listener;
};

} // namespace brook
