#include "engine/runtime/app_state.h"

namespace brook {

const char* to_string(streams_state s) {
    switch (s) {
    case streams_state::created:
        return "CREATED";
    case streams_state::rebalancing:
        return "REBALANCING";
    case streams_state::running:
        return "RUNNING";
    case streams_state::pending_shutdown:
        return "PENDING_SHUTDOWN";
    case streams_state::not_running:
        return "NOT_RUNNING";
    case streams_state::error:
        return "ERROR";
    }
    return "UNKNOWN";
}

namespace {

bool legal_transition(streams_state from, streams_state to) {
    switch (from) {
    case streams_state::created:
        return to != streams_state::created && to != streams_state::running;
    case streams_state::rebalancing:
    case streams_state::running:
        return to != streams_state::created;
    case streams_state::pending_shutdown:
        return to == streams_state::not_running || to == streams_state::error;
    case streams_state::not_running:
    case streams_state::error:
        return false;
    }
    return false;
}

} // namespace

void app_state::set_listener(listener l) {
    std::lock_guard serial(_serial);
    std::lock_guard lock(_mutex);
    _listener = std::move(l);
}

streams_state app_state::state() const {
    std::lock_guard lock(_mutex);
    return _state;
}

std::string app_state::error() const {
    std::lock_guard lock(_mutex);
    return _error;
}

bool app_state::closing() const {
    std::lock_guard lock(_mutex);
    return _closing;
}

bool app_state::begin_close() {
    std::lock_guard lock(_mutex);
    const bool first = !_closing;
    _closing = true;
    return first;
}

void app_state::transition(streams_state next) {
    std::lock_guard serial(_serial);
    transition_locked(next);
}

void app_state::fail(const std::string& reason) {
    std::lock_guard serial(_serial);
    fail_locked(reason);
}

void app_state::derive(const std::function<threads_summary()>& read) {
    std::lock_guard serial(_serial);
    const threads_summary threads = read();
    if (!threads.error.empty()) {
        fail_locked(threads.error);
    } else if (closing()) {
        transition_locked(threads.all_dead ? streams_state::not_running
                                           : streams_state::pending_shutdown);
    } else if (!threads.all_dead) {
        transition_locked(threads.any_assigning ? streams_state::rebalancing
                                                : streams_state::running);
    }
}

void app_state::transition_locked(streams_state next) {
    streams_state before = streams_state::created;
    {
        std::lock_guard lock(_mutex);
        if (_state == next || !legal_transition(_state, next)) {
            return;
        }
        before = _state;
        _state = next;
    }
    if (_listener) {
        _listener(next, before);
    }
}

void app_state::fail_locked(const std::string& reason) {
    {
        std::lock_guard lock(_mutex);
        if (_error.empty()) {
            _error = reason;
        }
    }
    transition_locked(streams_state::error);
}

} // namespace brook
