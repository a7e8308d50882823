#pragma once

// eventually: polls a condition until it holds or a timeout passes, for tests that wait on
// another thread or process. Returns the condition's last value.

#include <chrono>
#include <functional>
#include <thread>

namespace brook::testing {

inline bool eventually(const std::function<bool()>& done,
                       std::chrono::milliseconds timeout = std::chrono::seconds(20),
                       std::chrono::milliseconds step = std::chrono::milliseconds(2)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (done()) {
            return true;
        }
        std::this_thread::sleep_for(step);
    }
    return done();
}

} // namespace brook::testing
