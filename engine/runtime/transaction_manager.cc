#include "engine/runtime/transaction_manager.h"

#include <fmt/format.h>

#include "base/log.h"
#include "engine/errors.h"

namespace brook {

using namespace std::chrono_literals;

namespace {

// Bound on each transactional call (init, send offsets, commit, abort).
constexpr auto transaction_timeout = 60s;
// Records held while a transaction commits (kafka_record_collector::held_bytes()): past
// it the thread waits for the commit instead of holding more.
constexpr size_t max_held_bytes = size_t{32} << 20;

} // namespace

transaction_manager::transaction_manager(int thread_index, consumer_client& consumer,
                                         task_manager& tasks, committed_listener on_committed)
    : _index(thread_index), _consumer(consumer), _tasks(tasks),
      _on_committed(std::move(on_committed)), _committer(thread_index) {}

transaction_manager::~transaction_manager() {
    abandon();
}

void transaction_manager::attach(producer_client& producer, kafka_record_collector& collector) {
    _producer = &producer;
    _collector = &collector;
    _in_transaction = false;
}

void transaction_manager::init(std::chrono::milliseconds timeout) {
    _producer->init_transactions(timeout);
}

void transaction_manager::begin_if_needed() {
    if (!_in_transaction) {
        _producer->begin_transaction();
        _in_transaction = true;
        _sent_at_begin = _collector->records_sent();
    }
}

commit_outcome transaction_manager::commit(const std::vector<stream_task*>& tasks) {
    if (const commit_outcome before = finish();
        before != commit_outcome::committed && before != commit_outcome::nothing_to_commit) {
        return before;
    }
    try {
        if (!start(tasks)) {
            return commit_outcome::nothing_to_commit;
        }
    } catch (const kafka::kafka_error& e) {
        return classify(e);
    }
    return finish();
}

commit_outcome transaction_manager::commit_in_background(const std::vector<stream_task*>& tasks) {
    const commit_outcome before = finish(); // at most one commit under way
    if (before != commit_outcome::committed && before != commit_outcome::nothing_to_commit) {
        return before;
    }
    try {
        start(tasks);
    } catch (const kafka::kafka_error& e) {
        return classify(e);
    }
    return before;
}

commit_outcome transaction_manager::poll() {
    if (!_committer.busy() || !(_committer.done() || _collector->held_bytes() > max_held_bytes)) {
        return commit_outcome::nothing_to_commit;
    }
    return finish();
}

bool transaction_manager::start(const std::vector<stream_task*>& tasks) {
    begin_if_needed(); // caches flushed below may produce
    sealed_transaction sealed;
    sealed.started = std::chrono::steady_clock::now();
    for (auto* task : tasks) {
        offset_map offsets = task->prepare_commit(true);
        for (const auto& [tp, pos] : offsets) {
            sealed.offsets.emplace(tp, pos);
        }
        sealed.tasks.push_back({task, task->id(), std::move(offsets)});
    }
    const auto acked = [this](std::string_view topic, int32_t partition) {
        return _collector->acked_next_offset(topic, partition);
    };
    if (sealed.offsets.empty() && _collector->records_sent() == _sent_at_begin) {
        // Nothing consumed or produced: the transaction stays open for the next records.
        // A store may have sealed writes made outside any record (a punctuator writing to
        // a store without a changelog); nothing on the broker depends on them.
        for (auto* task : tasks) {
            task->post_commit({}, acked);
        }
        return false;
    }
    // Output, changelog records and the consumed offsets become visible together. The
    // offsets go with the consumer group metadata (KIP-447), so a member the group has
    // moved on from is fenced at the commit instead of committing.
    kafka::group_metadata_ptr group;
    if (!sealed.offsets.empty()) {
        group = _consumer.group_metadata();
    }
    _collector->hold(); // what the tasks send from now on belongs to the next transaction
    offset_map offsets = sealed.offsets;
    _sealed = std::move(sealed);
    _committer.start(*_producer, std::move(offsets), std::move(group), transaction_timeout);
    return true;
}

commit_outcome transaction_manager::await() {
    if (!_committer.busy()) {
        return commit_outcome::nothing_to_commit;
    }
    sealed_transaction sealed = std::move(*_sealed);
    _sealed.reset();
    std::chrono::microseconds took{0};
    try {
        took = _committer.finish();
    } catch (const kafka::kafka_error& e) {
        log_warn(fmt::format("stream thread {}: committing the transaction failed "
                             "({}): {}",
                             _index, e.code_name(), e.what()));
        return classify(e); // the transaction is still open: abort() ends it
    }
    _in_transaction = false;
    _committed.fetch_add(1, std::memory_order_relaxed);
    _commit_latency_us.fetch_add(static_cast<uint64_t>(took.count()), std::memory_order_relaxed);
    _end_to_end_count += 1;
    _end_to_end_us += static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                                std::chrono::steady_clock::now() - sealed.started)
                                                .count());
    // Only now may the stores make the transaction's writes their committed state.
    const auto acked = [this](std::string_view topic, int32_t partition) {
        return _collector->acked_next_offset(topic, partition);
    };
    for (auto& [task, id, committed] : sealed.tasks) {
        if (!_tasks.is_live(id, task)) {
            // Closed meanwhile (partitions lost): its sealed writes went with it, and its
            // next owner restores them from the changelog the commit made visible.
            continue;
        }
        task->post_commit(committed, acked);
    }
    if (_on_committed) {
        _on_committed(sealed.offsets);
    }
    return commit_outcome::committed;
}

commit_outcome transaction_manager::finish() {
    const commit_outcome outcome = await();
    if (outcome != commit_outcome::committed) {
        return outcome;
    }
    try {
        // A record whose delivery failed after the commit flushed: none should be, since
        // the commit waits for every delivery and fails with them.
        _collector->check_deliveries();
        // Always a new transaction, also with nothing held: punctuators and the rest of
        // this pass may send before the next pass would begin one. An empty one is never
        // committed.
        begin_if_needed();
        _collector->release_held();
    } catch (const kafka::kafka_error& e) {
        return classify(e);
    } catch (const delivery_error& e) {
        log_warn(fmt::format("stream thread {}: {}", _index, e.what()));
        return commit_outcome::abortable;
    }
    return outcome;
}

bool transaction_manager::abort(commit_outcome why) {
    _aborted.fetch_add(1, std::memory_order_relaxed);
    bool replace = why == commit_outcome::fenced || why == commit_outcome::fatal;
    if (_committer.busy()) {
        // A commit under way ends first: it may well succeed (then its work is committed and
        // only what followed is dropped), and the producer cannot be aborted or replaced
        // while the committer uses it.
        const commit_outcome pending = await();
        replace = replace || pending == commit_outcome::fenced || pending == commit_outcome::fatal;
    }
    _collector->drop_held(); // records of a transaction that will never commit
    if (!replace && _in_transaction) {
        try {
            _producer->abort_transaction(transaction_timeout);
        } catch (const kafka::kafka_error& e) {
            if (!e.is_fatal() && !e.is_fenced()) {
                throw;
            }
            log_error(fmt::format("stream thread {}: abort failed: {}", _index, e.what()));
            replace = true;
        }
    }
    _in_transaction = false;
    return !replace;
}

void transaction_manager::abandon() noexcept {
    if (!_committer.busy()) {
        return;
    }
    // How it ends no longer matters: nothing is committed after this.
    try {
        _committer.finish();
    } catch (const std::exception&) { // NOLINT(bugprone-empty-catch): already failing
    }
    _sealed.reset();
}

} // namespace brook
