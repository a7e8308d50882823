#include "engine/runtime/stream_thread.h"

#include <iostream>

#include <fmt/format.h>

#include "engine/errors.h"
#include "engine/kafka/kafka_error.h"

namespace brook {

using namespace std::chrono_literals;

namespace {

bool is_lost_membership(rd_kafka_resp_err_t code) {
    return code == RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS ||
           code == RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION ||
           code == RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID || code == RD_KAFKA_RESP_ERR__STATE;
}

} // namespace

stream_thread::stream_thread(int index, const topology& topo, const streams_config& config,
                             std::string bootstrap, std::function<void()> on_change)
    : _index(index), _topology(topo), _config(config), _bootstrap(std::move(bootstrap)),
      _on_change(std::move(on_change)) {}

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
        // Close what is left without committing: the offsets of records whose processing
        // failed must not be committed.
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
    _consumer.reset();
    _collector.reset();
    _producer.reset();
    set_state(thread_state::dead);
}

void stream_thread::loop() {
    const std::string& app_id = _config.application_id();
    const std::string client_id = fmt::format("{}-StreamThread-{}", _config.client_id(), _index);

    kafka::client_config pc = _config.producer_config();
    pc.set("bootstrap.servers", _bootstrap).set("client.id", client_id + "-producer");
    _producer = std::make_unique<kafka::producer>(pc, [this](const rd_kafka_message_t& msg) {
        if (_collector) {
            _collector->on_delivery(msg);
        }
    });
    _collector = std::make_unique<kafka_record_collector>(*_producer);

    kafka::client_config cc = _config.consumer_config();
    cc.set("bootstrap.servers", _bootstrap)
        .set("group.id", app_id)
        .set("client.id", client_id + "-consumer");
    _consumer =
        std::make_unique<kafka::consumer>(cc, static_cast<kafka::rebalance_listener*>(this));
    _consumer->subscribe(_topology.source_topics(app_id));
    _last_commit = std::chrono::steady_clock::now();

    std::vector<kafka::message_ptr> batch;
    batch.reserve(1024);
    while (!_shutdown_requested) {
        batch.clear();
        _consumer->poll_batch(batch, 1000, _config.poll_timeout());
        if (_state == thread_state::partitions_assigned) {
            set_state(thread_state::running);
        }
        for (auto& msg : batch) {
            if (msg->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
                if (msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
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
            auto it = _task_of.find(std::pair<std::string_view, int32_t>(
                rd_kafka_topic_name(msg->rkt), msg->partition));
            // No task: a record fetched before its partition was revoked in this poll. Its
            // offset was not committed, so the partition's next owner reads it again.
            if (it != _task_of.end()) {
                it->second->enqueue(std::move(msg));
            }
        }
        bool commit_requested = false;
        for (auto& [id, task] : _tasks) {
            while (task->process_next()) {
            }
            commit_requested = commit_requested || task->commit_requested();
        }
        _producer->poll(0ms);
        const auto wall_now = std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count();
        for (auto& [id, task] : _tasks) {
            task->punctuate_wall_clock(wall_now);
        }
        if (commit_requested ||
            std::chrono::steady_clock::now() - _last_commit >= _config.commit_interval()) {
            commit_all();
        }
        _produced = _collector->records_sent();
    }

    set_state(thread_state::pending_shutdown);
    commit_all();
    // Leaving the group revokes every partition through on_revoked, which closes the tasks.
    _consumer->close();
    _producer->flush(_config.shutdown_timeout());
    _produced = _collector->records_sent();
}

void stream_thread::commit_all() {
    std::vector<stream_task*> all;
    for (auto& [id, task] : _tasks) {
        all.push_back(task.get());
    }
    commit_tasks(all);
}

void stream_thread::commit_tasks(const std::vector<stream_task*>& tasks) {
    _last_commit = std::chrono::steady_clock::now();
    for (auto* task : tasks) {
        task->flush_stores();
        task->clear_commit_request();
    }
    // At least once: every record the tasks sent must be acknowledged before the offsets
    // of the input that caused them are committed.
    _producer->flush(_config.shutdown_timeout());
    _collector->check_deliveries();

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
    for (auto* task : tasks) {
        task->mark_committed();
    }
    ++_commits;
}

void stream_thread::on_assigned(const rd_kafka_topic_partition_list_t& partitions) {
    const std::string& app_id = _config.application_id();
    task_environment env;
    env.application_id = app_id;
    env.collector = _collector.get();
    env.on_deserialization_error = _config.on_deserialization_error();
    env.dead_letter_topic = _config.dead_letter_topic();
    env.counters = &_counters;
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
            task->init();
            it = _tasks.emplace(id, std::move(task)).first;
        }
        const topic_partition tp{p.topic, p.partition};
        it->second->add_partition(tp);
        _task_of[tp] = it->second.get();
    }
    _task_count = static_cast<int>(_tasks.size());
    set_state(thread_state::partitions_assigned);
}

void stream_thread::on_revoked(const rd_kafka_topic_partition_list_t& partitions) {
    std::vector<stream_task*> affected;
    for (int i = 0; i < partitions.cnt; ++i) {
        auto it = _task_of.find({partitions.elems[i].topic, partitions.elems[i].partition});
        if (it != _task_of.end() &&
            std::find(affected.begin(), affected.end(), it->second) == affected.end()) {
            affected.push_back(it->second);
        }
    }
    // Finish what was queued for the partitions being given up, then commit them while
    // this member still owns them, so the next owner starts exactly after.
    for (auto* task : affected) {
        while (task->process_next()) {
        }
    }
    if (!affected.empty()) {
        commit_tasks(affected);
    }
    release_partitions(partitions);
    if (_state != thread_state::pending_shutdown) {
        set_state(thread_state::partitions_assigned);
    }
}

void stream_thread::on_lost(const rd_kafka_topic_partition_list_t& partitions) {
    // Someone else owns these already: close without committing.
    release_partitions(partitions);
}

void stream_thread::release_partitions(const rd_kafka_topic_partition_list_t& partitions) {
    for (int i = 0; i < partitions.cnt; ++i) {
        const topic_partition tp{partitions.elems[i].topic, partitions.elems[i].partition};
        auto it = _task_of.find(tp);
        if (it == _task_of.end()) {
            continue;
        }
        stream_task* task = it->second;
        _task_of.erase(it);
        if (task->remove_partition(tp)) {
            close_task(task->id());
        }
    }
    _task_count = static_cast<int>(_tasks.size());
}

void stream_thread::close_task(const task_id& id) {
    auto it = _tasks.find(id);
    if (it != _tasks.end()) {
        it->second->close();
        _tasks.erase(it);
    }
}

} // namespace brook
