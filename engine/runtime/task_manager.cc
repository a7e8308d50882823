#include "engine/runtime/task_manager.h"

#include <algorithm>
#include <charconv>
#include <set>

#include <fmt/format.h>

#include "base/log.h"
#include "engine/errors.h"
#include "engine/kafka/kafka_error.h"
#include "engine/runtime/standby_updater.h"
#include "engine/runtime/topic_layout.h"

namespace brook {

using namespace std::chrono_literals;

namespace {

// How often tasks whose event time moved send progress markers, and how often every task
// sends one anyway (so a downstream task that lost what it knew hears from all writers).
constexpr auto progress_interval = 200ms;
constexpr auto progress_heartbeat = 5s;
// Bound on reading committed offsets and seeking.
constexpr auto offsets_timeout = 60s;

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

} // namespace

task_manager::task_manager(int thread_index, const topology& topo, const streams_config& config,
                           task_environment env, consumer_client& consumer, client_factory& clients,
                           kafka::client_config restore, state_restore_listener* restore_listener)
    : _index(thread_index), _topology(topo), _config(config), _env(std::move(env)),
      _consumer(consumer), _pauses(consumer),
      _restorer(clients, std::move(restore), restore_listener, *_env.counters),
      _delayed(topo.has_delayed_sources()), _fetch_lead_ms(fetch_lead_ms(config)),
      _buffer_limit(static_cast<size_t>(config.buffered_records_per_partition())) {
    _env.end_offset = [this](const topic_partition& tp) { return _consumer.cached_end_offset(tp); };
    _env.confirm_idle = [this](int subtopology, int32_t partition, const std::vector<int64_t>& ends,
                               int64_t claim_wall) {
        if (_env.layout == nullptr || _upstream_ends_wall < claim_wall) {
            return false; // not read since the claim: records may have come in meanwhile
        }
        const auto& sources = _env.layout->sources_of(subtopology);
        if (ends.size() != sources.size()) {
            return false;
        }
        for (size_t i = 0; i < sources.size(); ++i) {
            if (ends[i] < 0) {
                continue; // the writer task has no partition of this topic
            }
            auto it = _upstream_ends.find(topic_partition_ref{sources[i], partition});
            if (it == _upstream_ends.end() || it->second > ends[i]) {
                return false;
            }
        }
        return true;
    };
}

task_manager::~task_manager() {
    close_all();
}

stream_task& task_manager::create(const task_id& id) {
    // A standby of the task here closes first: the active task opens the same stores and
    // restores only what the standby had not applied.
    if (_env.standbys != nullptr) {
        _env.standbys->claim(id);
    }
    try {
        auto task = std::make_unique<stream_task>(id, _topology, _env);
        task->open_stores();
        return *_tasks.emplace(id, std::move(task)).first->second;
    } catch (...) {
        if (_env.standbys != nullptr) {
            _env.standbys->release(id);
        }
        throw;
    }
}

void task_manager::assign(const std::vector<topic_partition>& partitions) {
    const std::string& app_id = _config.application_id();
    std::vector<stream_task*> created;
    for (const auto& tp : partitions) {
        const std::optional<int> st = _topology.subtopology_of(tp.topic, app_id);
        if (!st) {
            continue;
        }
        const task_id id{*st, tp.partition};
        auto it = _tasks.find(id);
        stream_task* task = nullptr;
        if (it == _tasks.end()) {
            task = &create(id);
            created.push_back(task);
        } else {
            task = it->second.get();
        }
        task->add_partition(tp);
        _task_of.set(tp, task);
        if (!task->initialized()) {
            // Held back until the task runs: its stores restore first.
            _pauses.set({tp}, input_pauses::restoring, true);
        }
    }
    for (stream_task* task : created) {
        bound_source_restores(*task);
        if (_restorer.add(task->id(), task->changelogs())) {
            _to_start.push_back(task->id());
        }
    }
    // A task that waited for an input partition may have it now.
    for (auto it = _incomplete.begin(); it != _incomplete.end();) {
        auto t = _tasks.find(it->first);
        if (t != _tasks.end() && missing_inputs(*t->second).empty()) {
            // Its stores restored when it was made. A table restored from its source topic
            // stopped at the offset committed then; should the group have committed more
            // since, the rows in between are restored now (the task starts after).
            bool restored = true;
            if (std::any_of(t->second->changelogs().begin(), t->second->changelogs().end(),
                            [](const changelog_partition& cp) { return cp.source != nullptr; })) {
                pause_inputs(*t->second, true);
                bound_source_restores(*t->second);
                restored = _restorer.add(it->first, t->second->changelogs());
            }
            if (restored) {
                _to_start.push_back(it->first);
            }
            it = _incomplete.erase(it);
        } else {
            ++it;
        }
    }
}

std::vector<topic_partition> task_manager::missing_inputs(const stream_task& task) const {
    std::vector<topic_partition> missing;
    if (_env.layout == nullptr) {
        return missing;
    }
    const task_id id = task.id();
    const std::vector<topic_partition> have = task.partitions();
    for (const auto& topic : _env.layout->sources_of(id.subtopology)) {
        auto n = _env.layout->partitions.find(topic);
        if (n == _env.layout->partitions.end() || id.partition >= n->second) {
            continue; // the topic has no such partition: nothing to wait for
        }
        topic_partition tp{topic, id.partition};
        if (std::find(have.begin(), have.end(), tp) == have.end()) {
            missing.push_back(std::move(tp));
        }
    }
    return missing;
}

std::vector<std::string> task_manager::incomplete_tasks() const {
    std::vector<std::string> out;
    for (const auto& [id, missing] : _incomplete) {
        std::string names;
        for (const auto& tp : missing) {
            names += (names.empty() ? "" : ", ") + tp.to_string();
        }
        out.push_back(fmt::format("task {} lacks {}", id.to_string(), names));
    }
    return out;
}

std::vector<stream_task*> task_manager::tasks_of(const std::vector<topic_partition>& partitions) {
    std::vector<stream_task*> out;
    for (const auto& tp : partitions) {
        stream_task* task = _task_of.find(tp);
        if (task != nullptr && std::find(out.begin(), out.end(), task) == out.end()) {
            out.push_back(task);
        }
    }
    return out;
}

void task_manager::drain(const std::vector<stream_task*>& tasks) {
    for (stream_task* task : tasks) {
        while (task->initialized() && task->process_next()) {
        }
    }
}

void task_manager::release(const std::vector<topic_partition>& partitions) {
    for (const auto& tp : partitions) {
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
    _pauses.release(partitions);
}

void task_manager::close_task(const task_id& id) {
    _restorer.remove(id);
    std::erase(_to_start, id);
    _incomplete.erase(id);
    auto it = _tasks.find(id);
    if (it == _tasks.end()) {
        return;
    }
    std::unique_ptr<stream_task> task = std::move(it->second);
    _tasks.erase(it);
    // The stores close before a standby may open them again.
    try {
        task->close();
    } catch (...) {
        task.reset();
        forget(id);
        throw;
    }
    task.reset();
    forget(id);
}

void task_manager::forget(const task_id& id) noexcept {
    if (_env.standbys != nullptr) {
        _env.standbys->release(id);
    }
}

void task_manager::pause_inputs(stream_task& task, bool pause) {
    std::vector<topic_partition> inputs;
    for (const auto& [tp, owner] : _task_of) {
        if (owner == &task) {
            inputs.push_back(tp);
        }
    }
    _pauses.set(inputs, input_pauses::restoring, pause);
}

size_t task_manager::restore_and_start(std::chrono::milliseconds timeout) {
    if (!_restorer.idle()) {
        for (const task_id& id : _restorer.restore(timeout)) {
            if (_tasks.contains(id)) {
                _to_start.push_back(id);
            }
        }
    }
    if (_to_start.empty()) {
        return 0;
    }
    // A task never runs on part of its input: with another member owning one of its
    // partitions, both would process "the same" task with half the records each.
    std::erase_if(_to_start, [&](const task_id& id) {
        std::vector<topic_partition> missing = missing_inputs(*_tasks.at(id));
        if (missing.empty()) {
            return false;
        }
        log_warn(fmt::format("stream thread {}: task {} was given only some of its "
                             "input partitions (not {}); it waits for them instead of "
                             "processing half its input",
                             _index, id.to_string(), missing.front().to_string()));
        _incomplete[id] = std::move(missing);
        return true;
    });
    if (_to_start.empty()) {
        return 0;
    }
    std::vector<topic_partition> inputs;
    for (const task_id& id : _to_start) {
        for (const auto& tp : _tasks.at(id)->partitions()) {
            inputs.push_back(tp);
        }
    }
    // The committed offsets carry each partition's event time (commit_metadata.h).
    const offset_map committed = _consumer.committed(inputs, offsets_timeout);
    size_t started = 0;
    for (const task_id& id : std::exchange(_to_start, {})) {
        stream_task& task = *_tasks.at(id);
        task.initialize_time(committed);
        task.init();
        pause_inputs(task, false);
        ++started;
    }
    return started;
}

void task_manager::add_records(std::vector<consumed_record>& records) {
    for (auto& r : records) {
        // No task: a record fetched before its partition was revoked in this poll. Its
        // offset was not committed, so the partition's next owner reads it again.
        if (stream_task* task = _task_of.of(r)) {
            task->enqueue(std::move(r));
        }
    }
}

void task_manager::handle_events(const std::vector<consumer_event>& events) {
    for (const auto& e : events) {
        if (e.what == consumer_event::kind::end_of_partition) {
            if (stream_task* task = _task_of.find(e.partition)) {
                task->mark_end_of_partition(e.partition, e.offset);
            }
            continue;
        }
        if (e.code == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC ||
            e.code == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
            throw streams_error(fmt::format("a source topic disappeared: {}", e.message));
        }
        if (e.code == RD_KAFKA_RESP_ERR__FATAL) {
            throw streams_error(fmt::format("the consumer failed fatally: {}", e.message));
        }
        // Transport hiccups and the like: librdkafka retries on its own.
    }
}

bool task_manager::process() {
    bool commit_requested = false;
    for (auto& [id, task] : _tasks) {
        if (!task->initialized()) {
            continue; // restoring: its records wait in its queues
        }
        while (task->process_next()) {
        }
        commit_requested = commit_requested || task->commit_requested();
    }
    return commit_requested;
}

void task_manager::limit_fetching() {
    if (!_delayed) {
        return;
    }
    hold_delayed_partitions();
    // Only topologies with delayed sources: elsewhere a task works off all it was given
    // before the next poll, and a buffer pause in a task merging inputs by time could let
    // one input run ahead.
    limit_buffers();
}

void task_manager::punctuate(int64_t wall_clock_ms) {
    for (auto& [id, task] : _tasks) {
        if (task->initialized()) {
            task->punctuate_wall_clock(wall_clock_ms);
        }
    }
}

void task_manager::send_progress_markers(std::chrono::steady_clock::time_point now) {
    if (now - _last_markers < progress_interval) {
        return;
    }
    _last_markers = now;
    const bool heartbeat = now - _last_heartbeat >= progress_heartbeat;
    if (heartbeat) {
        _last_heartbeat = now;
    }
    for (auto& [id, task] : _tasks) {
        task->send_progress_markers(heartbeat);
    }
}

void task_manager::confirm_upstream_idleness(std::chrono::steady_clock::time_point now) {
    if (_env.layout == nullptr || now - _last_upstream_read < progress_interval) {
        return;
    }
    std::vector<stream_task*> waiting;
    std::set<topic_partition> inputs;
    for (auto& [id, task] : _tasks) {
        if (!task->initialized() || !task->awaits_idle_confirmation()) {
            continue;
        }
        waiting.push_back(task.get());
        for (const auto& tp : task->partitions()) {
            for (const auto& group : _env.layout->writer_groups(tp.topic)) {
                for (const auto& topic : _env.layout->sources_of(group.subtopology)) {
                    auto n = _env.layout->partitions.find(topic);
                    const int32_t count = n == _env.layout->partitions.end() ? 0 : n->second;
                    for (int32_t p = 0; p < std::min(count, group.tasks); ++p) {
                        inputs.insert({topic, p});
                    }
                }
            }
        }
    }
    if (waiting.empty()) {
        return;
    }
    _last_upstream_read = now;
    const int64_t wall = wall_clock_ms(); // before the request: what it reads is newer
    partition_map<int64_t> ends = _consumer.end_offsets(
        std::vector<topic_partition>(inputs.begin(), inputs.end()), offsets_timeout);
    if (ends.size() != inputs.size()) {
        return; // not all read: claims stay unconfirmed until the next read
    }
    _upstream_ends = std::move(ends);
    _upstream_ends_wall = wall;
    for (stream_task* task : waiting) {
        task->recheck_watermarks();
    }
}

std::vector<stream_task*> task_manager::all_tasks() {
    std::vector<stream_task*> all;
    all.reserve(_tasks.size());
    for (auto& [id, task] : _tasks) {
        all.push_back(task.get());
    }
    return all;
}

bool task_manager::is_live(const task_id& id, const stream_task* task) const {
    auto it = _tasks.find(id);
    return it != _tasks.end() && it->second.get() == task;
}

void task_manager::rewind_all(const std::function<void()>& between) {
    // Every task is dropped without committing and made again from its stores' last
    // committed state (restored from the changelog tail where needed), and its inputs are
    // rewound to the committed offsets: what the aborted transaction did is redone.
    // The new tasks start with empty queues: nothing is held until they fetch again.
    release_held_partitions();
    _pauses.release_all(); // the new tasks pause again what they need to
    std::map<task_id, std::vector<topic_partition>> inputs;
    std::vector<topic_partition> partitions;
    for (const auto& [tp, task] : _task_of) {
        inputs[task->id()].push_back(tp);
        partitions.push_back(tp);
    }
    close_all();
    if (between) {
        between();
    }
    for (const auto& [id, tps] : inputs) {
        stream_task& task = create(id);
        for (const auto& tp : tps) {
            task.add_partition(tp);
            _task_of.set(tp, &task);
        }
        _pauses.set(tps, input_pauses::restoring, true);
        bound_source_restores(task);
        if (_restorer.add(id, task.changelogs())) {
            _to_start.push_back(id);
        }
    }
    if (partitions.empty()) {
        return;
    }
    const offset_map committed = _consumer.committed(partitions, offsets_timeout);
    for (const auto& tp : partitions) {
        auto it = committed.find(tp);
        _consumer.seek(
            tp, it != committed.end() ? it->second.next : record_offset(RD_KAFKA_OFFSET_BEGINNING),
            offsets_timeout);
    }
}

void task_manager::bound_source_restores(stream_task& task) {
    std::vector<topic_partition> sources;
    for (const changelog_partition& cp : task.changelogs()) {
        if (cp.source != nullptr) {
            sources.push_back({cp.topic, cp.partition});
        }
    }
    if (sources.empty()) {
        return;
    }
    const offset_map committed = _consumer.committed(sources, offsets_timeout);
    for (changelog_partition& cp : task.changelogs()) {
        if (cp.source == nullptr) {
            continue;
        }
        const auto it = committed.find(topic_partition{cp.topic, cp.partition});
        cp.restore_end =
            it != committed.end() ? std::optional<int64_t>(it->second.next.value) : std::nullopt;
    }
}

void task_manager::close_all() noexcept {
    std::vector<task_id> closed;
    for (auto& [id, task] : _tasks) {
        try {
            _restorer.remove(id);
            task->close();
        } catch (const std::exception& e) {
            log_warn(fmt::format("stream thread {}: closing task {}: {}", _index, id.to_string(),
                                 e.what()));
        }
        closed.push_back(id);
    }
    _tasks.clear();
    for (const task_id& id : closed) {
        forget(id); // after the stores are gone, whatever close() did
    }
    _task_of.clear();
    _to_start.clear();
    _incomplete.clear();
}

size_t
task_manager::visit_stores(std::string_view name,
                           const std::function<void(const task_id&, state::state_store&)>& visit) {
    size_t visited = 0;
    for (auto& [id, task] : _tasks) {
        if (!task->initialized()) {
            continue; // restoring: not queryable yet
        }
        if (state::state_store* s = task->find_store(name)) {
            visit(id, *s);
            ++visited;
        }
    }
    return visited;
}

void task_manager::hold_delayed_partitions() {
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
    partition_map<int64_t> held;
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
    _pauses.set(to_pause, input_pauses::not_due, true);
    _pauses.set(to_resume, input_pauses::not_due, false);
    _held = std::move(held);
}

void task_manager::release_held_partitions() {
    _next_wake_ms = std::numeric_limits<int64_t>::max();
    if (_held.empty()) {
        return;
    }
    std::vector<topic_partition> entries;
    for (const auto& [tp, due] : _held) {
        entries.push_back(tp);
    }
    _held.clear();
    _pauses.set(entries, input_pauses::not_due, false);
}

void task_manager::limit_buffers() {
    // Cheap while nothing is full: one look at each task's total.
    if (!_buffers_full && std::none_of(_tasks.begin(), _tasks.end(), [&](const auto& t) {
            return t.second->buffered() >= _buffer_limit;
        })) {
        return;
    }
    std::vector<topic_partition> full;
    std::vector<topic_partition> drained;
    for (const auto& [tp, task] : _task_of) {
        const bool over = task->buffered(tp) >= _buffer_limit;
        if (over != _pauses.has(tp, input_pauses::buffer_full)) {
            (over ? full : drained).push_back(tp);
        }
    }
    _pauses.set(full, input_pauses::buffer_full, true);
    _pauses.set(drained, input_pauses::buffer_full, false);
    _buffers_full = _pauses.any(input_pauses::buffer_full);
}

std::chrono::milliseconds task_manager::poll_wait(std::chrono::milliseconds max) const {
    if (_next_wake_ms == std::numeric_limits<int64_t>::max()) {
        return max;
    }
    return std::clamp(std::chrono::milliseconds(_next_wake_ms - wall_clock_ms()), 0ms, max);
}

} // namespace brook
