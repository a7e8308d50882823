#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

namespace brook {

// Which clock drives a punctuator. Stream time is the largest record timestamp the task
// has seen and advances only with input; wall-clock time advances on its own.
enum class punctuation_type { stream_time, wall_clock_time };

// Called with the time (ms since epoch, of the punctuator's clock) at which it fired.
using punctuator = std::function<void(int64_t timestamp)>;

// Returned by schedule(); cancel() stops further calls. Safe to call more than once and
// after the task closed.
class cancellable {
public:
    explicit cancellable(std::shared_ptr<bool> cancelled = nullptr)
        : _cancelled(std::move(cancelled)) {}
    void cancel() {
        if (_cancelled) {
            *_cancelled = true;
        }
    }

private:
    std::shared_ptr<bool> _cancelled;
};

} // namespace brook
