#include "engine/runtime/shutdown_signal.h"

#include <cerrno>
#include <ctime>
#include <pthread.h>

namespace brook {

shutdown_signal::shutdown_signal() {
    sigemptyset(&_set);
    sigaddset(&_set, SIGINT);
    sigaddset(&_set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &_set, &_previous);
}

shutdown_signal::~shutdown_signal() {
    pthread_sigmask(SIG_SETMASK, &_previous, nullptr);
}

bool shutdown_signal::poll() {
    if (_taken == 0) {
        timespec zero{};
        const int sig = sigtimedwait(&_set, nullptr, &zero);
        _taken = sig > 0 ? sig : 0;
    }
    return _taken != 0;
}

int shutdown_signal::wait(std::chrono::milliseconds timeout) {
    if (_taken != 0) {
        return _taken;
    }
    timespec ts{};
    ts.tv_sec = static_cast<time_t>(timeout.count() / 1000);
    ts.tv_nsec = static_cast<long>((timeout.count() % 1000) * 1000000);
    const int sig = sigtimedwait(&_set, nullptr, &ts);
    return sig > 0 ? sig : 0;
}

} // namespace brook
