#include "engine/runtime/store_query_jobs.h"

#include <fmt/format.h>

#include "engine/errors.h"

namespace brook {

void store_query_jobs::submit(const std::function<void()>& fn, std::chrono::milliseconds timeout) {
    auto j = std::make_shared<job>();
    j->fn = &fn;
    {
        std::lock_guard lock(_mutex);
        if (_closed) {
            throw streams_error(fmt::format("stream thread {} is shutting down: try again once "
                                            "the application is RUNNING",
                                            _index));
        }
        _jobs.push_back(j);
    }
    std::unique_lock lock(j->mutex);
    if (!j->finished.wait_for(lock, timeout, [&] { return j->done; })) {
        j->cancelled = true; // `fn` goes out of scope with the caller: it must never run now
        throw streams_error(fmt::format(
            "stream thread {} did not answer a store query within {} ms", _index, timeout.count()));
    }
    if (j->error) {
        std::rethrow_exception(j->error);
    }
}

void store_query_jobs::run() {
    run_or_fail(false);
}

void store_query_jobs::close() {
    run_or_fail(true);
}

void store_query_jobs::run_or_fail(bool closing) {
    std::vector<std::shared_ptr<job>> jobs;
    {
        std::lock_guard lock(_mutex);
        if (_jobs.empty() && !closing) {
            return;
        }
        jobs.swap(_jobs);
        _closed = _closed || closing;
    }
    for (auto& j : jobs) {
        std::lock_guard lock(j->mutex);
        if (j->cancelled) {
            continue;
        }
        if (closing) {
            j->error = std::make_exception_ptr(
                streams_error(fmt::format("stream thread {} is shutting down", _index)));
        } else {
            try {
                (*j->fn)();
            } catch (...) {
                j->error = std::current_exception();
            }
        }
        j->done = true;
        j->finished.notify_all();
    }
}

} // namespace brook
