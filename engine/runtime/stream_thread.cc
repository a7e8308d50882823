#include "engine/runtime/stream_thread.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "base/log.h"
#include "engine/errors.h"
#include "engine/kafka/kafka_error.h"
#include "engine/runtime/global_store_updater.h"
#include "engine/runtime/member_identity.h"

namespace brook {

using namespace std::chrono_literals;

namespace {

// Bound on init_transactions (which waits for a killed predecessor's transaction to end).
constexpr auto transaction_timeout = 60s;
// How long a poll may wait while a commit is under way, so that its end is noticed soon.
constexpr auto poll_wait_while_committing = 1ms;
// Records taken from the consumer per poll.
constexpr size_t poll_records = 1000;

int64_t wall_clock_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

int64_t steady_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

const char* phase_name(int p) {
    static constexpr const char* names[] = {"starting",  "poll",   "restore", "process",
                                            "punctuate", "commit", "stopping"};
    return p >= 0 && p < 7 ? names[p] : "?";
}

std::chrono::microseconds since(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                                 t);
}

} // namespace

stream_thread::stream_thread(int index, const topology& topo, const streams_config& config,
                             stream_thread_options options)
    : _index(index), _topology(topo), _config(config), _options(std::move(options)),
      _eos(config.guarantee() == processing_guarantee::exactly_once_v2),
      // statestore.cache.max.bytes is for the whole application, split over its threads.
      _cache(static_cast<size_t>(config.cache_max_bytes()) /
             static_cast<size_t>(std::max(1, config.num_stream_threads()))),
      _jobs(index) {
    if (_options.clients == nullptr) {
        throw std::invalid_argument("stream_thread: a client factory is required");
    }
    _records.reserve(poll_records);
}

stream_thread::~stream_thread() {
    request_shutdown();
    if (_thread.joinable()) {
        _thread.join();
    }
}

void stream_thread::enter(loop_phase p) {
    _phase.store(p, std::memory_order_relaxed);
    _phase_since_ms.store(steady_ms(), std::memory_order_relaxed);
}

thread_health stream_thread::health() const {
    thread_health h;
    h.thread = _index;
    const thread_state s = _state.load();
    if (s == thread_state::dead) {
        if (auto e = error()) {
            h.alive = false;
            h.reason = fmt::format("stream thread {} died: {}", _index, *e);
        }
        return h;
    }
    if (s == thread_state::created) {
        return h;
    }
    {
        std::lock_guard lock(_mutex);
        if (!_incomplete_tasks.empty()) {
            h.stuck = true;
            h.reason = fmt::format("stream thread {}: the group gave this member only part of a "
                                   "task's inputs, so it waits ({}); are all instances running "
                                   "the same topology?",
                                   _index, _incomplete_tasks);
            return h;
        }
    }
    const int failed = _failed_commits.load();
    if (failed >= 3) {
        std::lock_guard lock(_mutex);
        h.stuck = true;
        h.reason = fmt::format("stream thread {}: {} transactions in a row failed, the last with: "
                               "{}",
                               _index, failed, _last_commit_failure);
        return h;
    }
    const int64_t in_phase = steady_ms() - _phase_since_ms.load(std::memory_order_relaxed);
    if (in_phase > _config.stall_timeout().count()) {
        h.stuck = true;
        h.reason =
            fmt::format("stream thread {} has been in its {} phase for {} s (more than "
                        "stall.timeout.ms): its loop is not coming around",
                        _index, phase_name(static_cast<int>(_phase.load())), in_phase / 1000);
    }
    return h;
}

void stream_thread::start() {
    enter(loop_phase::starting);
    set_state(thread_state::starting);
    _thread = std::thread([this] { run(); });
}

bool stream_thread::wait_until_dead(std::chrono::milliseconds timeout) {
    std::unique_lock lock(_mutex);
    const bool dead =
        _dead.wait_for(lock, timeout, [this] { return _state.load() == thread_state::dead; });
    if (dead && _thread.joinable()) {
        lock.unlock();
        _thread.join();
    }
    return dead;
}

std::optional<std::string> stream_thread::error() const {
    std::lock_guard lock(_mutex);
    return _error;
}

void stream_thread::set_state(thread_state s) {
    {
        std::lock_guard lock(_mutex);
        _state = s;
    }
    if (s == thread_state::dead) {
        _dead.notify_all();
    }
    if (_options.on_change) {
        _options.on_change();
    }
}

void stream_thread::run() {
    try {
        loop();
    } catch (const std::exception& e) {
        {
            std::lock_guard lock(_mutex);
            _error = e.what();
        }
        log_error(fmt::format("stream thread {} failed: {}", _index, e.what()));
        // The producer must not go while the committer uses it; how the commit ends no
        // longer matters, since nothing is committed after this.
        if (_txn) {
            _txn->abandon();
        }
        // Close what is left without committing: the offsets of records whose processing
        // failed must not be committed.
        if (_tasks) {
            _tasks->close_all();
        }
        try {
            if (_consumer) {
                _consumer->close();
            }
        } catch (const std::exception&) { // NOLINT(bugprone-empty-catch): already failing
        }
    }
    _jobs.close();
    _txn.reset();
    _alos.reset();
    _tasks.reset();
    _consumer.reset();
    _collector.reset();
    _producer.reset();
    _task_count = 0;
    _restoring = false;
    publish_metrics(true);
    set_state(thread_state::dead);
}

void stream_thread::loop() {
    const std::string& app_id = _config.application_id();
    const std::string client_id =
        _options.instance_id.empty()
            ? fmt::format("{}-StreamThread-{}", _config.client_id(), _index)
            : fmt::format("{}-{}-StreamThread-{}", _config.client_id(), _options.instance_id,
                          _index);

    _producer_config = _config.producer_config();
    _producer_config.set("bootstrap.servers", _options.bootstrap)
        .set("client.id", client_id + "-producer");
    if (_eos) {
        _producer_config.set("transactional.id",
                             fmt::format("{}-{}", _options.transactional_id_prefix, _index));
    }
    std::set<std::string> repartition_topics;
    for (const auto& spec : _topology.internal_topics()) {
        repartition_topics.insert(topology::resolve(spec.name, true, app_id));
    }
    if (!repartition_topics.empty()) {
        kafka::client_config ac = _config.admin_config();
        ac.set("bootstrap.servers", _options.bootstrap).set("client.id", client_id + "-admin");
        _purger = std::make_unique<repartition_purger>(std::move(ac), std::move(repartition_topics),
                                                       _config.repartition_purge_interval());
    }

    kafka::client_config cc = _config.consumer_config();
    cc.set("bootstrap.servers", _options.bootstrap)
        .set("group.id", app_id)
        // Carries this instance's process id and endpoint to the others (member_identity.h).
        .set("client.id", consumer_client_id(_config.client_id(), _options.instance_id, _index,
                                             _config.application_server()))
        // Tells tasks with several inputs how far their inputs are fetched (KIP-695).
        .set("enable.partition.eof", "true");
    if (!_config.group_instance_id().empty()) {
        cc.set("group.instance.id", fmt::format("{}-{}", _config.group_instance_id(), _index));
    }
    _consumer = _options.clients->consumer(cc, this);

    task_environment env;
    env.application_id = app_id;
    env.on_deserialization_error = _config.on_deserialization_error();
    env.on_processing_error = _config.on_processing_error();
    env.on_production_error = _config.on_production_error();
    env.max_event_time_future = _config.max_event_time_future();
    env.dead_letter_topic = _config.dead_letter_topic();
    env.counters = &_counters;
    env.state_dir = _config.state_dir() / app_id;
    env.rocksdb = _options.rocksdb;
    env.cache = &_cache;
    env.exactly_once = _eos;
    env.max_task_idle = _config.max_task_idle();
    env.layout = _options.layout;
    env.standbys = _options.standbys;
    if (const global_store_updater* global = _options.global_stores) {
        env.global_store = [global](std::string_view name) { return global->find(name); };
    }
    kafka::client_config rc = _config.restore_consumer_config();
    rc.set("bootstrap.servers", _options.bootstrap)
        .set("client.id", client_id + "-restore-consumer");
    _tasks =
        std::make_unique<task_manager>(_index, _topology, _config, std::move(env), *_consumer,
                                       *_options.clients, std::move(rc), _options.restore_listener);
    const auto on_committed = [this](const offset_map& offsets) {
        if (!_purger) {
            return;
        }
        for (const auto& [tp, pos] : offsets) {
            _purger->committed(tp.topic, tp.partition, pos.next.value);
        }
    };
    if (_eos) {
        _txn = std::make_unique<transaction_manager>(_index, *_consumer, *_tasks, on_committed);
    } else {
        _alos = std::make_unique<at_least_once_committer>(_index, *_consumer,
                                                          _config.shutdown_timeout(), on_committed);
    }
    make_producer();
    _consumer->subscribe(_topology.source_topics(app_id));
    _last_commit = std::chrono::steady_clock::now();

    while (!_shutdown_requested) {
        if (!_eos) {
            run_once();
            continue;
        }
        try {
            run_once();
        } catch (const kafka::kafka_error& e) {
            recover(classify(e), e.what());
        } catch (const delivery_error& e) {
            // A record of the open transaction was not written: it cannot commit.
            recover(commit_outcome::abortable, e.what());
        }
    }

    enter(loop_phase::stopping);
    set_state(thread_state::pending_shutdown);
    _jobs.close();
    commit_all();
    // Leaving the group revokes every partition through on_revoked, which closes the tasks.
    _consumer->close();
    if (_eos && _txn->in_transaction()) {
        _txn->abort(commit_outcome::abortable); // nothing left in it
    }
    _producer->flush(_config.shutdown_timeout());
    _produced = _collector->records_sent();
}

void stream_thread::run_once() {
    _jobs.run();
    enter(loop_phase::poll);
    poll_phase();
    enter(loop_phase::restore);
    restore_phase();
    enter(loop_phase::process);
    process_phase();
    enter(loop_phase::punctuate);
    punctuate_phase();
    enter(loop_phase::commit);
    commit_phase();
    _produced = _collector->records_sent();
    publish_metrics(false);
}

void stream_thread::poll_phase() {
    _records.clear();
    _events.clear();
    // While restoring, only look in on the group (heartbeats, rebalances) between restore
    // batches; while a commit is under way, come back soon to finish it.
    std::chrono::milliseconds wait = _tasks->poll_wait(_config.poll_timeout());
    if (_tasks->restoring()) {
        wait = 0ms;
    } else if (_txn && _txn->busy()) {
        wait = std::min(wait, std::chrono::milliseconds(poll_wait_while_committing));
    }
    _consumer->poll(_records, _events, poll_records, wait);
    for (const auto& r : _records) {
        _metrics.count_consumed(r);
    }
    _tasks->add_records(_records);
    _tasks->handle_events(_events);
}

void stream_thread::restore_phase() {
    const bool restoring = _tasks->restoring();
    _restoring = restoring;
    if (restoring) {
        _tasks->restore_and_start(50ms);
    }
    // As in Kafka Streams, a thread runs once its active tasks are restored: until then
    // the application reports REBALANCING.
    if (_state == thread_state::partitions_assigned && !_tasks->restoring()) {
        set_state(thread_state::running);
    }
    _task_count = _tasks->task_count();
    std::string incomplete;
    for (const auto& t : _tasks->incomplete_tasks()) {
        incomplete += (incomplete.empty() ? "" : "; ") + t;
    }
    std::lock_guard lock(_mutex);
    _incomplete_tasks = std::move(incomplete);
}

void stream_thread::process_phase() {
    if (_eos) {
        _txn->begin_if_needed();
    }
    const uint64_t processed_before = _counters.records_processed.load();
    const auto started = std::chrono::steady_clock::now();
    if (_tasks->process()) {
        // A task asked for a commit: make the next commit phase commit.
        _last_commit = std::chrono::steady_clock::time_point{};
    }
    const auto now = std::chrono::steady_clock::now();
    _tasks->send_progress_markers(now);
    _tasks->confirm_upstream_idleness(now);
    _tasks->limit_fetching();
    if (const uint64_t n = _counters.records_processed.load() - processed_before; n > 0) {
        // One clock read per pass, not per record: the sum over the pass is exact, each
        // record's own share is the mean.
        _metrics.add_processing(n, since(started));
    }
    if (!_txn || !_txn->busy()) {
        // While a commit is under way the producer is the committer's: no poll here.
        _producer->poll(0ms);
    }
}

void stream_thread::punctuate_phase() {
    _tasks->punctuate(wall_clock_ms());
}

void stream_thread::commit_phase() {
    if (_eos) {
        const commit_outcome ended = _txn->poll();
        after_commit(ended, {});
    }
    const auto now = std::chrono::steady_clock::now();
    if (now - _last_commit < _config.commit_interval()) {
        return;
    }
    // Published before the offsets go out: whoever sees them committed on the broker then
    // also sees every record consumed up to them counted.
    publish_metrics(true);
    _last_commit = now;
    if (_eos) {
        after_commit(_txn->commit_in_background(_tasks->all_tasks()), {});
    } else {
        after_commit(_alos->commit(_tasks->all_tasks()), now);
    }
    if (_purger) {
        // Also when nothing was committed now: an earlier commit may still be unpurged.
        _purger->maybe_purge(std::chrono::steady_clock::now());
    }
}

void stream_thread::commit_all() {
    const auto started = std::chrono::steady_clock::now();
    if (_eos) {
        after_commit(_txn->commit(_tasks->all_tasks()), {});
    } else {
        after_commit(_alos->commit(_tasks->all_tasks()), started);
    }
}

void stream_thread::after_commit(commit_outcome outcome,
                                 std::chrono::steady_clock::time_point started) {
    switch (outcome) {
    case commit_outcome::nothing_to_commit:
        return;
    case commit_outcome::committed:
        _failed_in_a_row = 0;
        _failed_commits = 0;
        ++_commits;
        if (_eos) {
            _transactions_committed.fetch_add(1, std::memory_order_relaxed);
            _metrics.set_commit_totals(_txn->commit_count(), _txn->commit_end_to_end_us());
        } else {
            _metrics.add_commit(since(started));
        }
        return;
    case commit_outcome::abortable:
    case commit_outcome::fenced:
    case commit_outcome::fatal:
        recover(outcome, std::string(to_string(outcome)));
        return;
    }
}

void stream_thread::recover(commit_outcome why, const std::string& reason) {
    const bool fatal = why == commit_outcome::fenced || why == commit_outcome::fatal;
    log_warn(fmt::format("stream thread {}: transaction failed ({}): {}; {}", _index,
                         to_string(why), reason,
                         fatal ? "closing tasks and starting a new producer"
                               : "aborting, rewinding tasks to their last commit"));
    _transactions_aborted.fetch_add(1, std::memory_order_relaxed);
    {
        std::lock_guard lock(_mutex);
        _last_commit_failure = reason;
    }
    _failed_commits = _failed_in_a_row + 1;
    if (++_failed_in_a_row >= max_failed_commits) {
        throw streams_error(fmt::format(
            "stream thread {}: {} transactions in a row failed, the last one with: {} (see the "
            "log lines before this one for the causes)",
            _index, _failed_in_a_row, reason));
    }
    const bool keep_producer = _txn->abort(why);
    _tasks->rewind_all([&] {
        if (!keep_producer) {
            make_producer();
        }
    });
}

void stream_thread::make_producer() {
    // A replaced producer is fenced or broken: nothing it holds can commit any more.
    if (_txn) {
        _txn->forget_transaction();
    }
    _collector.reset();
    _producer.reset();
    _metrics.reset_produced_cache();
    _producer = _options.clients->producer(_producer_config, [this](const delivery_report& r) {
        if (r.error == RD_KAFKA_RESP_ERR_NO_ERROR) {
            _metrics.count_produced(r.topic);
        }
        if (_collector) {
            _collector->on_delivery(r);
        }
    });
    _collector = std::make_unique<kafka_record_collector>(*_producer);
    for (const auto& topic : _topology.changelog_topics(_config.application_id())) {
        _collector->track_acked_offsets(topic);
    }
    _tasks->set_collector(_collector.get());
    if (_eos) {
        _txn->attach(*_producer, *_collector);
        // Fences any earlier producer with this transactional.id (this instance's thread
        // in a killed process), aborting what it left open, before anything is written.
        _txn->init(transaction_timeout);
    } else {
        _alos->attach(*_producer, *_collector);
    }
}

void stream_thread::on_assigned(const std::vector<topic_partition>& partitions) {
    _tasks->assign(partitions);
    _task_count = _tasks->task_count();
    // Which tasks this thread runs now, and how long it had none since its last revocation
    // (the rebalance pause it saw): what an operator needs to follow tasks across
    // instances, and what the rolling-restart test counts.
    std::vector<std::string> ids;
    for (stream_task* task : _tasks->all_tasks()) {
        ids.push_back(task->id().to_string());
    }
    std::sort(ids.begin(), ids.end());
    const std::string paused =
        _revoked_at ? fmt::format(" after a pause of {} ms",
                                  std::chrono::duration_cast<std::chrono::milliseconds>(
                                      std::chrono::steady_clock::now() - *_revoked_at)
                                      .count())
                    : std::string();
    _revoked_at.reset();
    log_info(fmt::format("stream thread {}: assigned tasks [{}]{}", _index, fmt::join(ids, ","),
                         paused));
    set_state(thread_state::partitions_assigned);
}

void stream_thread::on_revoked(const std::vector<topic_partition>& partitions) {
    if (!partitions.empty()) {
        _revoked_at = std::chrono::steady_clock::now();
    }
    const std::vector<stream_task*> affected = _tasks->tasks_of(partitions);
    // Finish what was queued for the partitions being given up, then commit them while
    // this member still owns them, so the next owner starts exactly after.
    _tasks->drain(affected);
    if (!affected.empty()) {
        if (_eos) {
            // One transaction holds every task's output: commit it whole.
            const commit_outcome outcome = _txn->commit(_tasks->all_tasks());
            if (outcome != commit_outcome::committed &&
                outcome != commit_outcome::nothing_to_commit) {
                _tasks->release(partitions);
                recover(outcome, "committing before giving partitions up");
                if (_state != thread_state::pending_shutdown) {
                    set_state(thread_state::partitions_revoked);
                }
                return;
            }
            after_commit(outcome, {});
        } else {
            after_commit(_alos->commit(affected), std::chrono::steady_clock::now());
        }
    }
    _tasks->release(partitions);
    _task_count = _tasks->task_count();
    if (_state != thread_state::pending_shutdown) {
        set_state(thread_state::partitions_revoked);
    }
}

void stream_thread::on_lost(const std::vector<topic_partition>& partitions) {
    // Someone else owns these already: close without committing. Said aloud, because the
    // next owner redoes everything since the last commit (under at_least_once, its output
    // comes again).
    log_warn(fmt::format("stream thread {}: {} partitions lost to the group (session "
                         "expired or fenced); their tasks close without committing",
                         _index, partitions.size()));
    _tasks->release(partitions);
    _task_count = _tasks->task_count();
    if (_eos && _txn->in_transaction()) {
        // The open transaction holds the lost tasks' output too: abort it, and redo the
        // remaining tasks' part from their last commit.
        recover(commit_outcome::abortable, "partitions lost to another member");
    }
}

void stream_thread::publish_metrics(bool force) {
    const auto now = std::chrono::steady_clock::now();
    if (!_metrics.due(now, force)) {
        return;
    }
    std::vector<partition_lag> lag;
    uint64_t restore_remaining = 0;
    uint64_t stores_restoring = 0;
    if (_tasks && _consumer && !_tasks->partitions().empty()) {
        std::vector<topic_partition> assigned;
        for (const auto& [tp, task] : _tasks->partitions()) {
            assigned.push_back(tp);
        }
        const partition_map<record_offset> positions = _consumer->positions(assigned);
        for (const auto& [tp, task] : _tasks->partitions()) {
            partition_lag l{tp.topic, tp.partition, -1, -1, -1, 0};
            if (auto p = positions.find(tp); p != positions.end()) {
                l.position = p->second.value;
            }
            l.buffered = static_cast<int64_t>(task->buffered(tp));
            // Cached from the last fetch response: no request to the broker.
            if (const std::optional<int64_t> end = _consumer->cached_end_offset(tp)) {
                l.end_offset = *end;
                l.lag = l.position >= 0 ? std::max<int64_t>(0, *end - l.position) : -1;
            }
            lag.push_back(std::move(l));
        }
    }
    if (_tasks) {
        restore_remaining = _tasks->restore_remaining();
        stores_restoring = _tasks->stores_restoring();
    }
    _metrics.publish(now, std::move(lag), restore_remaining, stores_restoring,
                     _txn && _txn->busy());
}

streams_metrics stream_thread::metrics() const {
    streams_metrics m = _metrics.snapshot();
    m.records_processed = _counters.records_processed.load();
    m.commits = _commits.load();
    m.records_restored = _counters.records_restored.load();
    m.late_records_dropped = _counters.late_records_dropped.load();
    m.null_records_skipped = _counters.null_records_skipped.load();
    m.dead_lettered = _counters.dead_lettered.load();
    m.deserialization_errors = _counters.deserialization_errors.load();
    m.processing_errors = _counters.processing_errors.load();
    m.production_errors = _counters.production_errors.load();
    m.transactions_committed = _transactions_committed.load();
    m.transactions_aborted = _transactions_aborted.load();
    m.tasks = _task_count.load();
    m.threads = 1;
    return m;
}

size_t stream_thread::visit_stores(std::string_view store, const store_visitor& visit,
                                   std::chrono::milliseconds timeout) {
    const thread_state now = _state.load();
    if (now == thread_state::created || now == thread_state::dead ||
        now == thread_state::pending_shutdown) {
        throw streams_error(fmt::format("stream thread {} is not running ({}): try again "
                                        "once the application is RUNNING",
                                        _index, static_cast<int>(now)));
    }
    size_t visited = 0;
    _jobs.submit([&] { visited = _tasks->visit_stores(store, visit); }, timeout);
    return visited;
}

} // namespace brook
