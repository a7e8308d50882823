#include "engine/runtime/transaction_committer.h"

#include <stdexcept>
#include <utility>

#include <fmt/format.h>

#include "base/log.h"
#include "engine/kafka/kafka_error.h"

namespace brook {

transaction_committer::~transaction_committer() {
    {
        std::lock_guard lock(_mutex);
        _stopping = true;
    }
    _changed.notify_all();
    if (_thread.joinable()) {
        _thread.join(); // runs a job under way to its end first
    }
}

void transaction_committer::start(producer_client& producer, offset_map offsets,
                                  kafka::group_metadata_ptr group,
                                  std::chrono::milliseconds timeout) {
    if (_busy) {
        throw std::logic_error("transaction_committer: a commit is already under way");
    }
    // std::function needs a copyable callable: the offsets and group travel shared.
    auto shared_offsets = std::make_shared<offset_map>(std::move(offsets));
    auto shared_group = std::make_shared<kafka::group_metadata_ptr>(std::move(group));
    std::function<void()> job = [this, &producer, shared_offsets, shared_group, timeout] {
        if (!shared_offsets->empty()) {
            retry_retriable(_index, [&] {
                producer.send_offsets_to_transaction(*shared_offsets, shared_group->get(), timeout);
            });
        }
        const auto started = std::chrono::steady_clock::now();
        retry_retriable(_index, [&] { producer.commit_transaction(timeout); });
        const auto took = std::chrono::duration_cast<std::chrono::microseconds>(
            std::chrono::steady_clock::now() - started);
        std::lock_guard lock(_mutex);
        _commit_time = took;
    };
    {
        std::lock_guard lock(_mutex);
        _job = std::move(job);
        _finished = false;
        _error = nullptr;
    }
    if (!_thread.joinable()) {
        _thread = std::thread([this] { run(); });
    }
    _busy = true;
    _changed.notify_all();
}

bool transaction_committer::done() const {
    std::lock_guard lock(_mutex);
    return _finished;
}

std::chrono::microseconds transaction_committer::finish() {
    if (!_busy) {
        throw std::logic_error("transaction_committer: no commit to finish");
    }
    std::unique_lock lock(_mutex);
    _changed.wait(lock, [this] { return _finished; });
    _busy = false;
    if (_error) {
        std::rethrow_exception(std::exchange(_error, nullptr));
    }
    return _commit_time;
}

void transaction_committer::run() {
    std::unique_lock lock(_mutex);
    for (;;) {
        _changed.wait(lock, [this] { return _job || _stopping; });
        if (!_job) {
            return; // stopping, with nothing under way
        }
        std::function<void()> job = std::exchange(_job, nullptr);
        lock.unlock();
        std::exception_ptr error;
        try {
            job();
        } catch (...) {
            error = std::current_exception();
        }
        lock.lock();
        _error = error;
        _finished = true;
        _changed.notify_all();
    }
}

void transaction_committer::retry_retriable(int thread_index, const std::function<void()>& call) {
    constexpr int attempts = 5;
    for (int i = 1;; ++i) {
        try {
            call();
            return;
        } catch (const kafka::kafka_error& e) {
            if (!e.is_retriable() || e.is_fatal() || e.txn_requires_abort() || i == attempts) {
                throw;
            }
            log_warn(fmt::format("stream thread {}: retrying: {}", thread_index, e.what()));
            std::this_thread::sleep_for(std::chrono::milliseconds(100 * i));
        }
    }
}

} // namespace brook
