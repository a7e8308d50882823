#pragma once

// transaction_committer: commits a stream thread's transactions on a thread of its own,
// so that the stream thread processes the next records while the broker commits.
//
// A commit is send_offsets_to_transaction() (when offsets were consumed), then
// commit_transaction() (flush, then EndTxn), each retried a few times on a retriable
// error. Both block on round trips to the coordinators, and librdkafka offers no way
// to start them and go on (send_offsets_to_transaction is not resumable in 2.0), so the
// waiting moves to this thread instead.
//
// Lifecycle: constructed idle; start() -> busy -> finish() -> idle. The thread is started
// with the first commit; the destructor waits for a commit under way, then stops it.
// Threading: start(), done() and finish() are for the one owning thread. While a commit is
// under way the producer belongs to the committer: its owner must not produce, poll or
// flush on it, since delivery reports are served inside commit_transaction(), on the
// committer's thread. finish() orders everything the commit did before what follows it.
// Ownership: borrows the producer from start() until finish() returns.

#include <chrono>
#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>

#include "engine/kafka/handles.h"
#include "engine/runtime/clients.h"

namespace brook {

class transaction_committer {
public:
    // `thread_index`: the stream thread's, for log lines.
    explicit transaction_committer(int thread_index) : _index(thread_index) {}
    ~transaction_committer();
    transaction_committer(const transaction_committer&) = delete;
    transaction_committer& operator=(const transaction_committer&) = delete;

    // Starts committing `producer`'s open transaction, with `offsets` (empty: none were
    // consumed) for the consumer group `group`. Throws std::logic_error when busy.
    void start(producer_client& producer, offset_map offsets, kafka::group_metadata_ptr group,
               std::chrono::milliseconds timeout);
    // A commit was started and finish() has not been called for it.
    bool busy() const { return _busy; }
    // The commit under way has ended (committed or failed): finish() will not block.
    bool done() const;
    // Waits for the commit under way and ends it. Returns how long commit_transaction()
    // took; throws the kafka_error that failed the commit (the transaction must then be
    // aborted, or the producer replaced when the error is fatal).
    std::chrono::microseconds finish();

    // Runs `call`, retrying it after a pause on retriable errors (up to 5 attempts);
    // throws the last error, or at once one that is fatal or requires an abort.
    static void retry_retriable(int thread_index, const std::function<void()>& call);

private:
    void run();

    const int _index;
    bool _busy = false; // owner's thread only
    std::thread _thread;
    mutable std::mutex _mutex;
    std::condition_variable _changed;
    // Guarded by _mutex: the job to run, whether it ran, and how.
    std::function<void()> _job;
    bool _finished = false;
    bool _stopping = false;
    std::exception_ptr _error;
    std::chrono::microseconds _commit_time{0};
};

} // namespace brook
