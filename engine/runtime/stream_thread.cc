#include "engine/runtime/stream_thread.h"

#include <algorithm>
#include <charconv>
#include <iostream>
#include <limits>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "engine/errors.h"
#include "engine/kafka/kafka_error.h"

namespace brook {

using namespace std::chrono_literals;

namespace {

// Bound on each transactional call (init, send offsets, commit, abort).
constexpr auto transaction_timeout = 60s;
// Records held while a transaction commits (kafka_record_collector::held_bytes()): past
// it the thread waits for the commit instead of holding more.
constexpr size_t max_held_bytes = size_t{32} << 20;
// How long a poll may wait while a commit is under way, so that its end is noticed soon.
constexpr auto poll_wait_while_committing = 1ms;

int64_t wall_clock_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// How long before a held head is due its partition resumes: the consumer's
// fetch.wait.max.ms (librdkafka's default, 500 ms, when not set or not a number).
int64_t fetch_lead_ms(const streams_config& config) {
    const std::optional<std::string> text = config.consumer_config().get("fetch.wait.max.ms");
    int64_t ms = 500;
    if (text) {
        int64_t parsed = 0;
        const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), parsed);
        if (ec == std::errc() && end == text->data() + text->size() && parsed >= 0) {
            ms = parsed;
        }
    }
    return ms;
}

bool is_lost_membership(rd_kafka_resp_err_t code) {
    return code == RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS ||
           code == RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION ||
           code == RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID || code == RD_KAFKA_RESP_ERR__STATE;
}

} // namespace

stream_thread::stream_thread(int index, const topology& topo, const streams_config& config,
                             std::string bootstrap, std::function<void()> on_change,
                             state::rocksdb_environment* rocksdb,
                             state_restore_listener* restore_listener,
                             std::string transactional_id_prefix)
    : _index(index), _topology(topo), _config(config), _bootstrap(std::move(bootstrap)),
      _on_change(std::move(on_change)), _rocksdb(rocksdb), _restore_listener(restore_listener),
      _transactional_id_prefix(std::move(transactional_id_prefix)),
      _eos(config.guarantee() == processing_guarantee::exactly_once_v2),
      // statestore.cache.max.bytes is for the whole application, split over its threads.
      _cache(static_cast<size_t>(config.cache_max_bytes()) /
             static_cast<size_t>(std::max(1, config.num_stream_threads()))),
      _delayed(topo.has_delayed_sources()), _fetch_lead_ms(fetch_lead_ms(config)),
      _buffer_limit(static_cast<size_t>(config.buffered_records_per_partition())),
      _committer(index) {}

stream_thread::~stream_thread() {
    request_shutdown();
    if (_thread.joinable()) {
        _thread.join();
    }
}

void stream_thread::start() {
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
    if (_on_change) {
        _on_change();
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
        std::cerr << fmt::format("brook: stream thread {} failed: {}\n", _index, e.what());
        if (_committer.busy()) {
            // The producer must not go while the committer uses it; how it ends no longer
            // matters, since nothing is committed after this.
            try {
                _committer.finish();
            } catch (const std::exception&) { // NOLINT(bugprone-empty-catch): already failing
            }
            _sealed.reset();
        }
        // Close what is left without committing: the offsets of records whose processing
        // failed must not be committed.
        _restorer.reset();
        for (auto& [id, task] : _tasks) {
            try {
                task->close();
            } catch (const std::exception& close_error) {
                std::cerr << fmt::format("brook: closing task {}: {}\n", id.to_string(),
                                         close_error.what());
            }
        }
        _tasks.clear();
        _task_of.clear();
        _task_count = 0;
        try {
            if (_consumer) {
                _consumer->close();
            }
        } catch (const std::exception&) { // NOLINT(bugprone-empty-catch): already failing
        }
    }
    run_jobs(true);
    _restorer.reset();
    _pauses.reset();
    _consumer.reset();
    _collector.reset();
    _producer.reset();
    _restoring = false;
    publish_metrics(true);
    set_state(thread_state::dead);
}

void stream_thread::loop() {
    const std::string& app_id = _config.application_id();
    const std::string client_id = fmt::format("{}-StreamThread-{}", _config.client_id(), _index);

    _producer_config = _config.producer_config();
    _producer_config.set("bootstrap.servers", _bootstrap).set("client.id", client_id + "-producer");
    if (_eos) {
        _producer_config.set("transactional.id",
                             fmt::format("{}-{}", _transactional_id_prefix, _index));
    }
    make_new_producer();
    kafka::client_config rc = _config.restore_consumer_config();
    rc.set("bootstrap.servers", _bootstrap).set("client.id", client_id + "-restore-consumer");
    _restorer = std::make_unique<changelog_reader>(rc, _restore_listener, _counters);
    std::set<std::string> repartition_topics;
    for (const auto& spec : _topology.internal_topics()) {
        repartition_topics.insert(topology::resolve(spec.name, true, app_id));
    }
    if (!repartition_topics.empty()) {
        kafka::client_config ac = _config.admin_config();
        ac.set("bootstrap.servers", _bootstrap).set("client.id", client_id + "-admin");
        _purger = std::make_unique<repartition_purger>(std::move(ac), std::move(repartition_topics),
                                                       _config.repartition_purge_interval());
    }

    kafka::client_config cc = _config.consumer_config();
    cc.set("bootstrap.servers", _bootstrap)
        .set("group.id", app_id)
        .set("client.id", client_id + "-consumer")
        // Tells tasks with several inputs that an empty one has nothing more to fetch.
        .set("enable.partition.eof", "true");
    _consumer =
        std::make_unique<kafka::consumer>(cc, static_cast<kafka::rebalance_listener*>(this));
    _pauses = std::make_unique<input_pauses>(*_consumer);
    _consumer->subscribe(_topology.source_topics(app_id));
    _last_commit = std::chrono::steady_clock::now();

    std::vector<kafka::message_ptr> batch;
    batch.reserve(1024);
    while (!_shutdown_requested) {
        if (!_eos) {
            run_once(batch);
            continue;
        }
        try {
            run_once(batch);
        } catch (const kafka::kafka_error& e) {
            recover(e);
        } catch (const streams_error& e) {
            // A failed delivery inside a transaction (check_deliveries): the transaction
            // cannot commit, so it is aborted like any abortable error.
            recover(kafka::kafka_error(e.what(), RD_KAFKA_RESP_ERR__FAIL, false, false, true));
        }
    }

    set_state(thread_state::pending_shutdown);
    run_jobs(true);
    commit_all();
    // Leaving the group revokes every partition through on_revoked, which closes the tasks.
    _consumer->close();
    if (_eos && _in_transaction) {
        _producer->abort_transaction(transaction_timeout); // nothing left in it
        _in_transaction = false;
    }
    _producer->flush(_config.shutdown_timeout());
    _produced = _collector->records_sent();
}

void stream_thread::run_once(std::vector<kafka::message_ptr>& batch) {
    {
        run_jobs();
        const bool restoring = !_restorer->idle();
        _restoring = restoring;
        if (restoring) {
            for (const task_id& id : _restorer->restore(50ms)) {
                auto it = _tasks.find(id);
                if (it != _tasks.end()) {
                    start_task(*it->second);
                }
            }
        }
        batch.clear();
        // While restoring, only look in on the group (heartbeats, rebalances) between
        // restore batches.
        _consumer->poll_batch(batch, 1000,
                              restoring ? 0ms
                              : _committer.busy()
                                  ? std::min(poll_wait(), poll_wait_while_committing)
                                  : poll_wait());
        // As in Kafka Streams, a thread runs once its active tasks are restored: until then
        // the application reports REBALANCING.
        if (_state == thread_state::partitions_assigned && _restorer->idle()) {
            set_state(thread_state::running);
        }
        for (auto& msg : batch) {
            if (msg->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
                if (msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                    if (stream_task* task = _task_of.of(*msg)) {
                        task->mark_end_of_partition(rd_kafka_topic_name(msg->rkt), msg->partition);
                    }
                    continue;
                }
                if (msg->err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC ||
                    msg->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
                    throw streams_error(fmt::format("a source topic disappeared: {}",
                                                    rd_kafka_message_errstr(msg.get())));
                }
                if (msg->err == RD_KAFKA_RESP_ERR__FATAL) {
                    throw streams_error(fmt::format("the consumer failed fatally: {}",
                                                    rd_kafka_message_errstr(msg.get())));
                }
                // Transport hiccups and the like: librdkafka retries on its own.
                continue;
            }
            count_consumed(*msg);
            // No task: a record fetched before its partition was revoked in this poll. Its
            // offset was not committed, so the partition's next owner reads it again.
            if (stream_task* task = _task_of.of(*msg)) {
                task->enqueue(std::move(msg));
            }
        }
        begin_transaction_if_needed();
        bool commit_requested = false;
        const uint64_t processed_before = _counters.records_processed.load();
        const auto processing_started = std::chrono::steady_clock::now();
        for (auto& [id, task] : _tasks) {
            if (!task->initialized()) {
                continue; // restoring: its records wait in its queues
            }
            while (task->process_next()) {
            }
            commit_requested = commit_requested || task->commit_requested();
        }
        if (_delayed) {
            hold_delayed_partitions();
            // Only topologies with delayed sources: elsewhere a task works off all it was
            // given before the next poll, and a buffer pause in a task merging inputs by
            // time is suspected of letting one input run ahead (see limit_buffers()).
            limit_buffers();
        }
        if (const uint64_t n = _counters.records_processed.load() - processed_before; n > 0) {
            // One clock read per batch, not per record: the sum over the batch is exact,
            // each record's own share is the batch mean.
            _process_latency.count += n;
            _process_latency.sum_us +=
                static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                          std::chrono::steady_clock::now() - processing_started)
                                          .count());
        }
        if (_committer.busy()) {
            // The producer is the committer's until the commit ends: no poll here.
            if (_committer.done() || _collector->held_bytes() > max_held_bytes) {
                finish_transaction_commit();
            }
        } else {
            _producer->poll(0ms);
        }
        const int64_t wall_now = wall_clock_ms();
        for (auto& [id, task] : _tasks) {
            if (task->initialized()) {
                task->punctuate_wall_clock(wall_now);
            }
        }
        if (commit_requested ||
            std::chrono::steady_clock::now() - _last_commit >= _config.commit_interval()) {
            if (_eos) {
                commit_in_background();
            } else {
                commit_all();
            }
        }
        _produced = _collector->records_sent();
        publish_metrics(false);
    }
}

void stream_thread::commit_all() {
    std::vector<stream_task*> all;
    for (auto& [id, task] : _tasks) {
        all.push_back(task.get());
    }
    commit_tasks(all);
}

void stream_thread::begin_transaction_if_needed() {
    if (_eos && !_in_transaction) {
        _producer->begin_transaction();
        _in_transaction = true;
        _sent_at_transaction_start = _collector->records_sent();
    }
}

void stream_thread::commit_transaction(const std::vector<stream_task*>& tasks) {
    finish_transaction_commit();
    if (start_transaction_commit(tasks)) {
        finish_transaction_commit();
    }
}

void stream_thread::commit_in_background() {
    finish_transaction_commit(); // at most one commit under way
    std::vector<stream_task*> all;
    for (auto& [id, task] : _tasks) {
        all.push_back(task.get());
    }
    publish_metrics(true); // before the offsets go out, as in commit_tasks()
    _last_commit = std::chrono::steady_clock::now();
    start_transaction_commit(all);
    if (_purger) {
        _purger->maybe_purge(_last_commit);
    }
}

bool stream_thread::start_transaction_commit(const std::vector<stream_task*>& tasks) {
    begin_transaction_if_needed(); // caches flushed below may produce
    for (auto* task : tasks) {
        task->flush_stores();
        task->clear_commit_request();
    }
    sealed_transaction sealed;
    sealed.started = std::chrono::steady_clock::now();
    for (auto* task : tasks) {
        auto committable = task->committable_offsets();
        for (const auto& [tp, offset] : committable) {
            sealed.offsets.emplace_back(tp.first, tp.second, offset);
        }
        sealed.tasks.push_back({task, task->id(), std::move(committable)});
    }
    if (sealed.offsets.empty() && _collector->records_sent() == _sent_at_transaction_start) {
        return false; // an empty transaction: keep it open for the next records
    }
    // Output, changelog records and the consumed offsets become visible together. The
    // offsets go with the consumer group metadata (KIP-447), so a member the group has
    // moved on from is fenced at the commit instead of committing.
    kafka::partition_list_ptr list;
    kafka::group_metadata_ptr group;
    if (!sealed.offsets.empty()) {
        list = kafka::make_partition_list(sealed.offsets);
        group = _consumer->group_metadata();
    }
    // What the tasks write from now on belongs to the next transaction.
    for (auto* task : tasks) {
        task->seal_stores();
    }
    _collector->hold();
    _sealed = std::move(sealed);
    _committer.start(*_producer, std::move(list), std::move(group), transaction_timeout);
    return true;
}

void stream_thread::await_transaction_commit() {
    if (!_committer.busy()) {
        return;
    }
    sealed_transaction sealed = std::move(*_sealed);
    _sealed.reset();
    const std::chrono::microseconds took = _committer.finish();
    _in_transaction = false;
    _transactions_committed.fetch_add(1, std::memory_order_relaxed);
    _commit_latency_us.fetch_add(static_cast<uint64_t>(took.count()), std::memory_order_relaxed);
    _commit_latency.count += 1;
    _commit_latency.sum_us +=
        static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                  std::chrono::steady_clock::now() - sealed.started)
                                  .count());
    _collector->check_deliveries();
    // Only now may the stores make the transaction's writes their committed state.
    for (auto& [task, id, committed] : sealed.tasks) {
        auto it = _tasks.find(id);
        if (it == _tasks.end() || it->second.get() != task) {
            // Closed meanwhile (partitions lost): its sealed writes went with it, and its
            // next owner restores them from the changelog the commit made visible.
            continue;
        }
        task->commit_stores([this](std::string_view topic, int32_t partition) {
            return _collector->acked_next_offset(topic, partition);
        });
        task->mark_committed(committed);
    }
    ++_commits;
    after_commit(sealed.offsets);
}

void stream_thread::finish_transaction_commit() {
    if (!_committer.busy()) {
        return;
    }
    await_transaction_commit();
    // Always a new transaction, also with nothing held: punctuators and the rest of this
    // pass may send before the next pass would begin one. An empty one is never committed.
    begin_transaction_if_needed();
    _collector->release_held();
}

void stream_thread::after_commit(
    const std::vector<std::tuple<std::string, int32_t, int64_t>>& offsets) {
    if (!_purger) {
        return;
    }
    for (const auto& [topic, partition, offset] : offsets) {
        _purger->committed(topic, partition, offset);
    }
}

void stream_thread::recover(const kafka::kafka_error& e) {
    const bool fatal = e.is_fatal() || e.is_fenced();
    std::cerr << fmt::format("brook: stream thread {}: transaction failed ({}): {}; {}\n", _index,
                             e.code_name(), e.what(),
                             fatal ? "closing tasks and starting a new producer"
                                   : "aborting, rewinding tasks to their last commit");
    _transactions_aborted.fetch_add(1, std::memory_order_relaxed);
    bool fatal_now = fatal;
    if (_committer.busy()) {
        // A commit under way ends first: it may well succeed (then there is nothing to
        // abort), and the producer cannot be aborted or replaced while it is in use.
        try {
            await_transaction_commit();
        } catch (const kafka::kafka_error& pending) {
            fatal_now = fatal_now || pending.is_fatal() || pending.is_fenced();
        } catch (const streams_error&) { // NOLINT(bugprone-empty-catch): rewound below
        }
    }
    _collector->drop_held(); // records of a transaction that will never commit
    if (!fatal_now && _in_transaction) {
        try {
            _producer->abort_transaction(transaction_timeout);
        } catch (const kafka::kafka_error& abort_error) {
            if (!abort_error.is_fatal()) {
                throw;
            }
            std::cerr << fmt::format("brook: stream thread {}: abort failed: {}\n", _index,
                                     abort_error.what());
            make_new_producer();
        }
    } else if (fatal_now) {
        make_new_producer();
    }
    _in_transaction = false;
    revive_tasks();
}

void stream_thread::make_new_producer() {
    // A replaced producer is fenced or broken: nothing it holds can commit any more.
    _collector.reset();
    _producer.reset();
    _last_produced = {};
    _producer =
        std::make_unique<kafka::producer>(_producer_config, [this](const rd_kafka_message_t& msg) {
            if (msg.err == RD_KAFKA_RESP_ERR_NO_ERROR) {
                if (_last_produced.handle != msg.rkt) {
                    _last_produced = {msg.rkt, &_produced_per_topic[rd_kafka_topic_name(msg.rkt)]};
                }
                ++*_last_produced.count;
            }
            if (_collector) {
                _collector->on_delivery(msg);
            }
        });
    if (_eos) {
        // Fences any earlier producer with this transactional.id (this instance's thread
        // in a killed process), aborting what it left open, before anything is written.
        _producer->init_transactions(transaction_timeout);
    }
    _collector = std::make_unique<kafka_record_collector>(*_producer);
    for (const auto& topic : _topology.changelog_topics(_config.application_id())) {
        _collector->track_acked_offsets(topic);
    }
}

void stream_thread::revive_tasks() {
    // Every task is dropped without committing and made again from its stores' last
    // committed state (restored from the changelog tail where needed), and its inputs are
    // rewound to the committed offsets: what the aborted transaction did is redone.
    // The new tasks start with empty queues: nothing is held until they fetch again.
    release_held_partitions();
    _pauses->release_all(); // the new tasks pause again what they need to
    std::vector<std::tuple<std::string, int32_t, int64_t>> partitions;
    std::map<task_id, std::vector<topic_partition>> inputs;
    for (const auto& [tp, task] : _task_of) {
        inputs[task->id()].push_back(tp);
        partitions.emplace_back(tp.first, tp.second, RD_KAFKA_OFFSET_INVALID);
    }
    for (auto& [id, task] : _tasks) {
        _restorer->remove(id);
        task->close();
    }
    _tasks.clear();
    _task_of.clear();
    const task_environment env = task_env();
    for (const auto& [id, tps] : inputs) {
        auto task = std::make_unique<stream_task>(id, _topology, env);
        task->open_stores();
        stream_task* raw = task.get();
        _tasks.emplace(id, std::move(task));
        for (const auto& tp : tps) {
            raw->add_partition(tp);
            _task_of.set(tp, raw);
        }
        if (_restorer->add(id, raw->changelogs())) {
            raw->init();
        } else {
            pause_or_resume(*raw, true);
        }
    }
    _task_count = static_cast<int>(_tasks.size());
    if (partitions.empty()) {
        return;
    }
    auto list = kafka::make_partition_list(partitions);
    _consumer->committed(*list, transaction_timeout);
    for (int i = 0; i < list->cnt; ++i) {
        const auto& p = list->elems[i];
        const int64_t offset = p.offset >= 0 ? p.offset : RD_KAFKA_OFFSET_BEGINNING;
        _consumer->seek(p.topic, p.partition, offset, transaction_timeout);
    }
}

task_environment stream_thread::task_env() {
    task_environment env;
    env.application_id = _config.application_id();
    env.collector = _collector.get();
    env.on_deserialization_error = _config.on_deserialization_error();
    env.dead_letter_topic = _config.dead_letter_topic();
    env.counters = &_counters;
    env.state_dir = _config.state_dir() / _config.application_id();
    env.rocksdb = _rocksdb;
    env.cache = &_cache;
    env.exactly_once = _eos;
    env.max_task_idle = _config.max_task_idle();
    return env;
}

void stream_thread::commit_tasks(const std::vector<stream_task*>& tasks) {
    // Published before the offsets go out: whoever sees them committed on the broker then
    // also sees every record consumed up to them counted, not a snapshot up to 500 ms old.
    publish_metrics(true);
    _last_commit = std::chrono::steady_clock::now();
    const uint64_t before = _commits.load();
    commit_tasks_now(tasks);
    if (_purger) {
        // Also when nothing was committed now: an earlier commit may still be unpurged.
        _purger->maybe_purge(std::chrono::steady_clock::now());
    }
    if (_eos || _commits.load() == before) {
        // Exactly-once commits are timed when they end (await_transaction_commit()); an
        // at-least-once call that committed nothing is not a commit, so not timed either.
        return;
    }
    _commit_latency.count += 1;
    _commit_latency.sum_us +=
        static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                  std::chrono::steady_clock::now() - _last_commit)
                                  .count());
}

void stream_thread::commit_tasks_now(const std::vector<stream_task*>& tasks) {
    if (_eos) {
        commit_transaction(tasks);
        return;
    }
    for (auto* task : tasks) {
        task->flush_stores();
        task->clear_commit_request();
    }
    // At least once: every record the tasks sent must be acknowledged before the offsets
    // of the input that caused them are committed.
    _producer->flush(_config.shutdown_timeout());
    _collector->check_deliveries();
    // Every changelog record is acknowledged now, so each store reflects its changelog up
    // to the acknowledged offsets.
    for (auto* task : tasks) {
        task->commit_stores([this](std::string_view topic, int32_t partition) {
            return _collector->acked_next_offset(topic, partition);
        });
    }

    std::vector<std::tuple<std::string, int32_t, int64_t>> offsets;
    for (auto* task : tasks) {
        for (const auto& [tp, offset] : task->committable_offsets()) {
            offsets.emplace_back(tp.first, tp.second, offset);
        }
    }
    if (offsets.empty()) {
        return;
    }
    auto list = kafka::make_partition_list(offsets);
    try {
        _consumer->commit(*list);
    } catch (const kafka::kafka_error& e) {
        if (!is_lost_membership(e.code())) {
            throw;
        }
        // The group moved on; the new owners re-read from the last committed offsets.
        std::cerr << fmt::format("brook: stream thread {}: commit skipped, group is "
                                 "rebalancing ({})\n",
                                 _index, e.what());
        return;
    }
    std::map<topic_partition, int64_t, topic_partition_less> committed;
    for (const auto& [topic, partition, offset] : offsets) {
        committed.emplace(topic_partition{topic, partition}, offset);
    }
    for (auto* task : tasks) {
        task->mark_committed(committed);
    }
    ++_commits;
    after_commit(offsets);
}

void stream_thread::on_assigned(const rd_kafka_topic_partition_list_t& partitions) {
    const std::string& app_id = _config.application_id();
    const task_environment env = task_env();
    std::vector<stream_task*> created;
    for (int i = 0; i < partitions.cnt; ++i) {
        const rd_kafka_topic_partition_t& p = partitions.elems[i];
        const std::optional<int> st = _topology.subtopology_of(p.topic, app_id);
        if (!st) {
            continue;
        }
        const task_id id{*st, p.partition};
        auto it = _tasks.find(id);
        if (it == _tasks.end()) {
            auto task = std::make_unique<stream_task>(id, _topology, env);
            task->open_stores();
            it = _tasks.emplace(id, std::move(task)).first;
            created.push_back(it->second.get());
        }
        const topic_partition tp{p.topic, p.partition};
        it->second->add_partition(tp);
        _task_of.set(tp, it->second.get());
        if (!it->second->initialized() &&
            std::find(created.begin(), created.end(), it->second.get()) == created.end()) {
            // A further input of a task still restoring: hold it back too.
            _pauses->set({tp}, input_pauses::restoring, true);
        }
    }
    for (stream_task* task : created) {
        if (_restorer->add(task->id(), task->changelogs())) {
            task->init();
        } else {
            pause_or_resume(*task, true);
        }
    }
    _task_count = static_cast<int>(_tasks.size());
    set_state(thread_state::partitions_assigned);
}

void stream_thread::on_revoked(const rd_kafka_topic_partition_list_t& partitions) {
    std::vector<stream_task*> affected;
    for (int i = 0; i < partitions.cnt; ++i) {
        stream_task* task = _task_of.find(partitions.elems[i].topic, partitions.elems[i].partition);
        if (task != nullptr &&
            std::find(affected.begin(), affected.end(), task) == affected.end()) {
            affected.push_back(task);
        }
    }
    // Finish what was queued for the partitions being given up, then commit them while
    // this member still owns them, so the next owner starts exactly after.
    for (auto* task : affected) {
        while (task->initialized() && task->process_next()) {
        }
    }
    if (!affected.empty()) {
        if (_eos) {
            // One transaction holds every task's output: commit it whole.
            try {
                commit_all();
            } catch (const kafka::kafka_error& e) {
                release_partitions(partitions);
                recover(e);
                if (_state != thread_state::pending_shutdown) {
                    set_state(thread_state::partitions_assigned);
                }
                return;
            }
        } else {
            commit_tasks(affected);
        }
    }
    release_partitions(partitions);
    if (_state != thread_state::pending_shutdown) {
        set_state(thread_state::partitions_assigned);
    }
}

void stream_thread::on_lost(const rd_kafka_topic_partition_list_t& partitions) {
    // Someone else owns these already: close without committing.
    release_partitions(partitions);
    if (_eos && _in_transaction) {
        // The open transaction holds the lost tasks' output too: abort it, and redo the
        // remaining tasks' part from their last commit.
        recover(kafka::kafka_error("partitions lost to another member", RD_KAFKA_RESP_ERR__STATE,
                                   false, false, true));
    }
}

void stream_thread::release_partitions(const rd_kafka_topic_partition_list_t& partitions) {
    std::vector<topic_partition> released;
    released.reserve(static_cast<size_t>(partitions.cnt));
    for (int i = 0; i < partitions.cnt; ++i) {
        const topic_partition tp{partitions.elems[i].topic, partitions.elems[i].partition};
        released.push_back(tp);
        _held.erase(tp);
        stream_task* task = _task_of.remove(tp);
        if (task == nullptr) {
            continue;
        }
        if (task->remove_partition(tp)) {
            close_task(task->id());
        }
    }
    // Whatever paused them, they are resumed as they go, so that they are not still paused
    // should this member be given them again.
    _pauses->release(released);
    _task_count = static_cast<int>(_tasks.size());
}

void stream_thread::hold_delayed_partitions() {
    const int64_t now = wall_clock_ms();
    _held_scratch.clear();
    for (auto& [id, task] : _tasks) {
        if (task->initialized()) {
            task->delayed_heads(_held_scratch);
        }
    }
    _next_wake_ms = std::numeric_limits<int64_t>::max();
    if (_held_scratch.empty() && _held.empty()) {
        return;
    }
    std::vector<topic_partition> to_pause;
    std::vector<topic_partition> to_resume;
    std::map<topic_partition, int64_t, topic_partition_less> held;
    for (auto& h : _held_scratch) {
        if (h.due_ms <= now + _fetch_lead_ms) {
            // Due soon (or already): keep fetching, so what follows the head is here when it
            // is due, and wake for it (a due time far in the past counts as now).
            _next_wake_ms = std::min(_next_wake_ms, std::max(h.due_ms, now));
            continue;
        }
        _next_wake_ms = std::min(_next_wake_ms, h.due_ms - _fetch_lead_ms);
        if (!_held.contains(h.partition)) {
            to_pause.push_back(h.partition);
        }
        held.emplace(std::move(h.partition), h.due_ms);
    }
    for (const auto& [tp, due] : _held) {
        if (!held.contains(tp)) {
            to_resume.push_back(tp);
        }
    }
    // Pausing stops fetching; what was fetched already stays queued in the task, in order,
    // and fetching goes on after it on resume.
    _pauses->set(to_pause, input_pauses::not_due, true);
    _pauses->set(to_resume, input_pauses::not_due, false);
    _held = std::move(held);
}

void stream_thread::release_held_partitions() {
    _next_wake_ms = std::numeric_limits<int64_t>::max();
    if (_held.empty()) {
        return;
    }
    std::vector<topic_partition> entries;
    for (const auto& [tp, due] : _held) {
        entries.push_back(tp);
    }
    _held.clear();
    _pauses->set(entries, input_pauses::not_due, false);
}

void stream_thread::limit_buffers() {
    // Cheap while nothing is full: one look at each task's total.
    if (!_buffers_full && std::none_of(_tasks.begin(), _tasks.end(), [&](const auto& t) {
            return t.second->buffered() >= _buffer_limit;
        })) {
        return;
    }
    std::vector<topic_partition> full;
    std::vector<topic_partition> drained;
    for (const auto& [tp, task] : _task_of) {
        const bool over = task->buffered(tp.first, tp.second) >= _buffer_limit;
        if (over != _pauses->has(tp, input_pauses::buffer_full)) {
            (over ? full : drained).push_back(tp);
        }
    }
    _pauses->set(full, input_pauses::buffer_full, true);
    _pauses->set(drained, input_pauses::buffer_full, false);
    _buffers_full = _pauses->any(input_pauses::buffer_full);
}

std::chrono::milliseconds stream_thread::poll_wait() const {
    if (_next_wake_ms == std::numeric_limits<int64_t>::max()) {
        return _config.poll_timeout();
    }
    return std::clamp(std::chrono::milliseconds(_next_wake_ms - wall_clock_ms()), 0ms,
                      _config.poll_timeout());
}

void stream_thread::start_task(stream_task& task) {
    task.init();
    pause_or_resume(task, false);
}

void stream_thread::pause_or_resume(stream_task& task, bool pause) {
    std::vector<topic_partition> entries;
    for (const auto& [tp, owner] : _task_of) {
        if (owner == &task) {
            entries.push_back(tp);
        }
    }
    _pauses->set(entries, input_pauses::restoring, pause);
}

void stream_thread::close_task(const task_id& id) {
    if (_restorer) {
        _restorer->remove(id);
    }
    auto it = _tasks.find(id);
    if (it != _tasks.end()) {
        it->second->close();
        _tasks.erase(it);
    }
}

} // namespace brook

namespace brook {

void stream_thread::count_consumed(const rd_kafka_message_t& msg) {
    // Batches come mostly from one partition at a time: remember the last topic's counter.
    if (_last_consumed.handle != msg.rkt) {
        const std::string_view name = rd_kafka_topic_name(msg.rkt);
        auto it = _consumed.find(name);
        if (it == _consumed.end()) {
            it = _consumed.emplace(std::string(name), 0).first;
        }
        _last_consumed = {msg.rkt, &it->second};
    }
    ++*_last_consumed.count;
}

void stream_thread::publish_metrics(bool force) {
    const auto now = std::chrono::steady_clock::now();
    if (!force && now - _last_publish < 500ms) {
        return;
    }
    _last_publish = now;
    std::vector<partition_lag> lag;
    if (_consumer && !_task_of.empty()) {
        std::vector<std::tuple<std::string, int32_t, int64_t>> assigned;
        for (const auto& [tp, task] : _task_of) {
            assigned.emplace_back(tp.first, tp.second, RD_KAFKA_OFFSET_INVALID);
        }
        auto list = kafka::make_partition_list(assigned);
        _consumer->position(*list);
        for (int i = 0; i < list->cnt; ++i) {
            const auto& p = list->elems[i];
            partition_lag l{p.topic, p.partition, p.offset >= 0 ? p.offset : -1, -1, -1};
            if (const stream_task* task = _task_of.find(p.topic, p.partition)) {
                l.buffered = static_cast<int64_t>(task->buffered(p.topic, p.partition));
            }
            int64_t low = -1;
            int64_t high = -1;
            // Cached from the last fetch response: no request to the broker.
            if (rd_kafka_get_watermark_offsets(_consumer->handle(), p.topic, p.partition, &low,
                                               &high) == RD_KAFKA_RESP_ERR_NO_ERROR &&
                high >= 0) {
                l.end_offset = high;
                l.lag = l.position >= 0 ? std::max<int64_t>(0, high - l.position) : high - low;
            }
            lag.push_back(std::move(l));
        }
    }
    std::lock_guard lock(_metrics_mutex);
    _published.records_consumed = {_consumed.begin(), _consumed.end()};
    if (!_committer.busy()) {
        // While a commit is under way, delivery reports update these on the committer's
        // thread: the last published counts stand until it ends.
        _published.records_produced = {_produced_per_topic.begin(), _produced_per_topic.end()};
    }
    _published.process_latency = _process_latency;
    _published.commit_latency = _commit_latency;
    _published.lag = std::move(lag);
    if (_restorer) {
        _published.restore_remaining = _restorer->remaining();
        _published.stores_restoring = _restorer->active_stores();
    } else {
        _published.restore_remaining = 0;
        _published.stores_restoring = 0;
    }
}

streams_metrics stream_thread::metrics() const {
    streams_metrics m;
    {
        std::lock_guard lock(_metrics_mutex);
        m = _published;
    }
    m.records_processed = _counters.records_processed.load();
    m.commits = _commits.load();
    m.records_restored = _counters.records_restored.load();
    m.late_records_dropped = _counters.late_records_dropped.load();
    m.dead_lettered = _counters.dead_lettered.load();
    m.deserialization_errors = _counters.deserialization_errors.load();
    m.transactions_committed = _transactions_committed.load();
    m.transactions_aborted = _transactions_aborted.load();
    m.tasks = _task_count.load();
    m.threads = 1;
    return m;
}

size_t stream_thread::visit_stores(std::string_view store, const store_visitor& visit,
                                   std::chrono::milliseconds timeout) {
    size_t visited = 0;
    auto j = std::make_shared<job>();
    j->fn = [&] {
        for (auto& [id, task] : _tasks) {
            if (!task->initialized()) {
                continue; // restoring: not queryable yet
            }
            if (state::state_store* s = task->find_store(store)) {
                visit(id, *s);
                ++visited;
            }
        }
    };
    {
        std::lock_guard lock(_jobs_mutex);
        const thread_state now = _state.load();
        if (_jobs_closed || now == thread_state::created || now == thread_state::dead ||
            now == thread_state::pending_shutdown) {
            throw streams_error(fmt::format("stream thread {} is not running ({}): try again "
                                            "once the application is RUNNING",
                                            _index, static_cast<int>(now)));
        }
        _jobs.push_back(j);
    }
    std::unique_lock lock(j->mutex);
    if (!j->finished.wait_for(lock, timeout, [&] { return j->done; })) {
        j->cancelled = true; // `visit` and `visited` go out of scope: it must never run now
        throw streams_error(fmt::format(
            "stream thread {} did not answer a store query within {} ms", _index, timeout.count()));
    }
    if (j->error) {
        std::rethrow_exception(j->error);
    }
    return visited;
}

void stream_thread::run_jobs(bool shutting_down) {
    std::vector<std::shared_ptr<job>> jobs;
    {
        std::lock_guard lock(_jobs_mutex);
        jobs.swap(_jobs);
        _jobs_closed = _jobs_closed || shutting_down;
    }
    for (auto& j : jobs) {
        std::lock_guard lock(j->mutex);
        if (j->cancelled) {
            continue;
        }
        if (shutting_down) {
            j->error = std::make_exception_ptr(
                streams_error(fmt::format("stream thread {} is shutting down", _index)));
        } else {
            try {
                j->fn();
            } catch (...) {
                j->error = std::current_exception();
            }
        }
        j->done = true;
        j->finished.notify_all();
    }
}

} // namespace brook
