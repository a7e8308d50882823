#include "publisher/circuit_breaker.h"

#include <stdexcept>
#include <utility>

#include <fmt/format.h>

namespace brook::publisher {

const char* to_string(breaker_state s) {
    switch (s) {
    case breaker_state::closed:
        return "closed";
    case breaker_state::open:
        return "open";
    case breaker_state::half_open:
        return "half_open";
    }
    return "unknown";
}

namespace {

void check(bool ok, const char* option, const std::string& why) {
    if (!ok) {
        throw std::invalid_argument(fmt::format("circuit breaker option {}: {}", option, why));
    }
}

} // namespace

circuit_breaker::circuit_breaker(circuit_breaker_options options, clock_function clock)
    : _options(std::move(options)), _clock(std::move(clock)) {
    check(_options.window_size > 0, "window_size", "must be at least 1");
    check(_options.minimum_calls > 0 && _options.minimum_calls <= _options.window_size,
          "minimum_calls",
          fmt::format("must be in 1..window_size ({}), is {}", _options.window_size,
                      _options.minimum_calls));
    check(_options.failure_rate_threshold > 0.0 && _options.failure_rate_threshold <= 1.0,
          "failure_rate_threshold",
          fmt::format("must be in (0, 1], is {}", _options.failure_rate_threshold));
    check(_options.wait_in_open.count() >= 0, "wait_in_open", "must not be negative");
    check(_options.permitted_calls_in_half_open > 0, "permitted_calls_in_half_open",
          "must be at least 1");
    check(static_cast<bool>(_clock), "clock", "must be callable");
    _window.assign(_options.window_size, false);
}

std::optional<circuit_breaker::permit> circuit_breaker::try_acquire() {
    std::lock_guard lock(_mutex);
    switch (_state) {
    case breaker_state::closed:
        return permit{_epoch, false};
    case breaker_state::open: {
        const auto now = _clock();
        if (now - _opened_at < _options.wait_in_open) {
            ++_stats.not_permitted;
            return std::nullopt;
        }
        transition(breaker_state::half_open, now);
        [[fallthrough]];
    }
    case breaker_state::half_open:
        if (_probes_issued >= _options.permitted_calls_in_half_open) {
            ++_stats.not_permitted;
            return std::nullopt;
        }
        ++_probes_issued;
        return permit{_epoch, true};
    }
    return std::nullopt;
}

void circuit_breaker::record(const permit& p, bool success) {
    std::lock_guard lock(_mutex);
    if (p.epoch != _epoch) {
        return; // a call from before the last transition: already judged
    }
    success ? ++_stats.successes : ++_stats.failures;
    const auto now = _clock();
    if (_state == breaker_state::closed) {
        // Replace the oldest outcome once the window is full.
        if (_window_count == _window.size()) {
            if (_window[_window_next]) {
                --_window_failures;
            }
        } else {
            ++_window_count;
        }
        _window[_window_next] = !success;
        if (!success) {
            ++_window_failures;
        }
        _window_next = (_window_next + 1) % _window.size();
        evaluate_window(now);
    } else if (_state == breaker_state::half_open) {
        success ? ++_probe_successes : ++_probe_failures;
        const size_t recorded = _probe_successes + _probe_failures;
        if (recorded < _options.permitted_calls_in_half_open) {
            return;
        }
        const double rate = static_cast<double>(_probe_failures) / static_cast<double>(recorded);
        transition(rate >= _options.failure_rate_threshold ? breaker_state::open
                                                           : breaker_state::closed,
                   now);
    }
}

void circuit_breaker::release(const permit& p) {
    std::lock_guard lock(_mutex);
    if (p.epoch == _epoch && p.probe && _state == breaker_state::half_open && _probes_issued > 0) {
        --_probes_issued;
    }
}

void circuit_breaker::evaluate_window(clock_type::time_point now) {
    if (_window_count < _options.minimum_calls) {
        return;
    }
    const double rate = static_cast<double>(_window_failures) / static_cast<double>(_window_count);
    if (rate >= _options.failure_rate_threshold) {
        transition(breaker_state::open, now);
    }
}

void circuit_breaker::transition(breaker_state to, clock_type::time_point now) {
    _state = to;
    ++_epoch;
    _window_next = _window_count = _window_failures = 0;
    _probes_issued = _probe_successes = _probe_failures = 0;
    switch (to) {
    case breaker_state::open:
        _opened_at = now;
        ++_stats.opened;
        break;
    case breaker_state::half_open:
        ++_stats.half_opened;
        break;
    case breaker_state::closed:
        ++_stats.closed;
        break;
    }
}

breaker_state circuit_breaker::state() const {
    std::lock_guard lock(_mutex);
    return _state;
}

circuit_breaker_stats circuit_breaker::stats() const {
    std::lock_guard lock(_mutex);
    circuit_breaker_stats s = _stats;
    s.state = _state;
    return s;
}

} // namespace brook::publisher
