#pragma once

// store_query_jobs: store queries other threads hand to a stream thread, which runs them
// between two batches, when no task of its is in the middle of a record. This is how an
// interactive query sees a store that only its stream thread may touch.
//
// Lifecycle: open until close(); then every queued and later job fails at once.
// Threading: submit() from any thread but the owner; run() and close() on the owner.
// Ownership: a job's function is borrowed from the caller of submit(), which waits for it
// (or gives up, after which it is never run).

#include <chrono>
#include <condition_variable>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace brook {

class store_query_jobs {
public:
    explicit store_query_jobs(int thread_index) : _index(thread_index) {}

    // Queues `fn` and waits up to `timeout` for the owner to run it. Throws streams_error
    // when closed or not run in time; rethrows what `fn` threw.
    void submit(const std::function<void()>& fn, std::chrono::milliseconds timeout);
    // Owner: runs the queued jobs.
    void run();
    // Owner: fails the queued jobs and refuses new ones.
    void close();

private:
    struct job {
        std::mutex mutex;
        std::condition_variable finished;
        const std::function<void()>* fn = nullptr;
        bool done = false;
        bool cancelled = false; // the caller gave up: never run it
        std::exception_ptr error;
    };
    void run_or_fail(bool closing);

    const int _index;
    std::mutex _mutex;
    std::vector<std::shared_ptr<job>> _jobs;
    bool _closed = false; // guarded by _mutex
};

} // namespace brook
