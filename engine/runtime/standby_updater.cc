#include "engine/runtime/standby_updater.h"

#include <algorithm>

#include <fmt/format.h>

#include "base/log.h"
#include "engine/kafka/kafka_error.h"
#include "engine/runtime/changelog_reader.h"

namespace brook {

using namespace std::chrono_literals;

namespace {

constexpr auto reconcile_interval = 1s;
constexpr auto poll_timeout = 200ms;
constexpr auto request_timeout = 5s;
constexpr size_t max_batch = 10000;

} // namespace

standby_updater::standby_updater(options opts)
    : _opts(std::move(opts)), _replicas(_opts.config->num_standby_replicas()) {
    _batch.reserve(max_batch);
    _entries.reserve(max_batch);
}

standby_updater::~standby_updater() {
    stop();
}

void standby_updater::start() {
    _thread = std::thread([this] { run(); });
}

void standby_updater::stop() noexcept {
    _stopping = true;
    _wake.notify_all();
    if (_thread.joinable()) {
        _thread.join();
    }
    std::lock_guard lock(_mutex);
    for (auto& [id, s] : _standbys) {
        close(s);
    }
    _standbys.clear();
}

consumer_client& standby_updater::consumer() {
    if (!_consumer) {
        _consumer = _opts.clients->restore_consumer(changelog_consumer_config(_opts.consumer));
    }
    return *_consumer;
}

int64_t standby_updater::standby::lag() const {
    int64_t total = 0;
    for (size_t i = 0; i < stores.size(); ++i) {
        if (ends[i] < 0) {
            return -1;
        }
        total += std::max<int64_t>(0, ends[i] - positions[i]);
    }
    return total;
}

void standby_updater::claim(const task_id& id) {
    std::lock_guard lock(_mutex);
    ++_claimed[id];
    _warmups.erase(id);
    auto it = _standbys.find(id);
    if (it == _standbys.end()) {
        return;
    }
    const int64_t lag = it->second.lag();
    log_info(fmt::format("standby of task {} becomes active here; it hands over at "
                         "changelog lag {}",
                         id.to_string(), lag < 0 ? std::string("unknown") : std::to_string(lag)));
    close(it->second);
    _standbys.erase(it);
    _assignment_stale = true;
}

void standby_updater::release(const task_id& id) {
    std::lock_guard lock(_mutex);
    auto it = _claimed.find(id);
    if (it != _claimed.end() && --it->second <= 0) {
        _claimed.erase(it);
    }
}

std::optional<int64_t>
standby_updater::visit_store(const task_id& id, std::string_view name,
                             const std::function<void(state::state_store&)>& visit) {
    std::lock_guard lock(_mutex);
    auto it = _standbys.find(id);
    if (it == _standbys.end()) {
        return std::nullopt;
    }
    state::state_store* store = it->second.task->find_store(name);
    if (store == nullptr) {
        return std::nullopt;
    }
    const int64_t lag = it->second.lag();
    if (lag < 0) {
        return std::nullopt; // not known how far behind: not served
    }
    visit(*store);
    return lag;
}

std::vector<standby_lag> standby_updater::lags() const {
    std::lock_guard lock(_mutex);
    std::vector<standby_lag> out;
    for (const auto& [id, s] : _standbys) {
        out.push_back(standby_lag{id.subtopology, id.partition, s.lag()});
    }
    return out;
}

void standby_updater::warm_up(const std::set<task_id>& tasks,
                              std::chrono::steady_clock::time_point until) {
    {
        std::lock_guard lock(_mutex);
        for (const task_id& id : tasks) {
            _warmups[id] = until;
        }
    }
    _wake.notify_all();
}

std::optional<int64_t> standby_updater::warm_up_lag() const {
    std::lock_guard lock(_mutex);
    int64_t most = 0;
    for (const auto& [id, until] : _warmups) {
        auto it = _standbys.find(id);
        if (it == _standbys.end()) {
            return std::nullopt;
        }
        const int64_t lag = it->second.lag();
        if (lag < 0) {
            return std::nullopt;
        }
        most = std::max(most, lag);
    }
    return most;
}

void standby_updater::run() {
    auto next_reconcile = std::chrono::steady_clock::now();
    while (!_stopping) {
        try {
            if (std::chrono::steady_clock::now() >= next_reconcile) {
                reconcile();
                read_ends();
                next_reconcile = std::chrono::steady_clock::now() + reconcile_interval;
            }
            {
                std::unique_lock lock(_mutex);
                if (_assignment_stale) {
                    reassign();
                }
                if (_standbys.empty()) {
                    const size_t warmups = _warmups.size();
                    if (_wake.wait_until(lock, next_reconcile, [&] {
                            return _stopping.load() || _warmups.size() != warmups;
                        })) {
                        next_reconcile = std::chrono::steady_clock::now(); // new warm-ups
                    }
                    continue;
                }
            }
            _batch.clear();
            _events.clear();
            consumer().poll(_batch, _events, max_batch, poll_timeout);
            apply();
            _last_failure.clear();
        } catch (const std::exception& e) {
            // A standby is a copy: when it cannot be kept up (the broker unreachable, a store
            // that failed) it is dropped and made again at the next reconcile. The active
            // task is never affected.
            // Said once per distinct failure: a broker outage fails every second.
            if (e.what() != _last_failure) {
                _last_failure = e.what();
                log_warn(fmt::format("standby replicas: {}; closing them (they keep "
                                     "their checkpoints) and trying again every {} ms",
                                     e.what(), reconcile_interval.count()));
            }
            std::lock_guard lock(_mutex);
            for (auto& [id, s] : _standbys) {
                close(s);
            }
            _standbys.clear();
            _assignment_stale = true;
            next_reconcile = std::chrono::steady_clock::now() + reconcile_interval;
        }
    }
}

void standby_updater::reconcile() {
    // The placement's standbys, when there are any to keep and the group is settled
    // enough to place by (no stable assignment while it rebalances: keep what is warm).
    std::optional<std::set<task_id>> placed_here;
    if (_replicas == 0) {
        placed_here.emplace(); // none: only warm-ups are kept
    } else {
        try {
            const std::shared_ptr<const kafka::group_description> group = _opts.describe_group();
            if (group->stable) {
                placed_here.emplace();
                for (const auto& [id, hosts] :
                     place_tasks(group->members, _opts.subtopologies, _replicas)) {
                    for (const auto& p : hosts.standbys) {
                        if (p.process_id == _opts.process_id) {
                            placed_here->insert(id);
                        }
                    }
                }
            }
        } catch (const kafka::kafka_error& e) {
            if (e.what() != _last_failure) {
                _last_failure = e.what();
                log_warn(fmt::format("standby replicas: cannot describe the group: "
                                     "{}; the standbys stay as they are",
                                     e.what()));
            }
        }
    }
    const auto now = std::chrono::steady_clock::now();
    std::lock_guard lock(_mutex);
    std::erase_if(_warmups, [&](const auto& w) { return w.second <= now; });
    std::set<task_id> wanted = placed_here.value_or(std::set<task_id>{});
    for (const auto& [id, until] : _warmups) {
        wanted.insert(id);
    }
    for (auto it = _standbys.begin(); it != _standbys.end();) {
        const bool unwanted = placed_here && !wanted.contains(it->first);
        if (unwanted || _claimed.contains(it->first)) {
            close(it->second);
            it = _standbys.erase(it);
            _assignment_stale = true;
        } else {
            ++it;
        }
    }
    for (const task_id& id : wanted) {
        if (_standbys.contains(id) || _claimed.contains(id) || _stopping) {
            continue;
        }
        if (open(id)) {
            _assignment_stale = true;
        }
    }
}

bool standby_updater::open(const task_id& id) {
    task_environment env;
    env.application_id = _opts.config->application_id();
    env.counters = &_counters;
    env.state_dir = _opts.state_dir;
    env.rocksdb = _opts.rocksdb;
    standby s;
    s.task = std::make_unique<stream_task>(id, *_opts.topo, std::move(env));
    s.task->open_stores();
    for (auto& cp : s.task->changelogs()) {
        if (!cp.persistent) {
            continue; // in-memory: lost at hand-over, so not kept
        }
        if (cp.source != nullptr) {
            // A table's source topic runs ahead of what the active task committed; a copy
            // read to its end would hold rows the task has not processed yet. Its owner
            // restores it up to the committed offset instead.
            continue;
        }
        const auto [low, high] =
            consumer().query_watermarks({cp.topic, cp.partition}, request_timeout);
        int64_t start = low;
        if (cp.checkpoint && *cp.checkpoint >= low && *cp.checkpoint <= high) {
            start = *cp.checkpoint;
        } else {
            cp.target->wipe();
            cp.checkpoint.reset();
        }
        cp.target->begin_restore();
        s.stores.push_back(&cp);
        s.positions.push_back(start);
        s.ends.push_back(high);
    }
    if (s.stores.empty()) {
        s.task->close();
        return false;
    }
    log_info(fmt::format("keeping a standby of task {} ({} changelog records "
                         "behind)",
                         id.to_string(), s.lag()));
    _standbys.emplace(id, std::move(s));
    return true;
}

void standby_updater::close(standby& s) noexcept {
    try {
        for (size_t i = 0; i < s.stores.size(); ++i) {
            s.stores[i]->target->end_restore();
            s.stores[i]->target->write_checkpoint(s.positions[i]);
        }
        s.task->close();
    } catch (const std::exception& e) {
        log_warn(
            fmt::format("closing the standby of task {}: {}", s.task->id().to_string(), e.what()));
    }
}

void standby_updater::reassign() {
    _assignment_stale = false;
    std::vector<std::pair<topic_partition, record_offset>> positions;
    for (const auto& [id, s] : _standbys) {
        for (size_t i = 0; i < s.stores.size(); ++i) {
            positions.emplace_back(topic_partition{s.stores[i]->topic, s.stores[i]->partition},
                                   record_offset(s.positions[i]));
        }
    }
    consumer().assign(positions);
}

void standby_updater::apply() {
    std::lock_guard lock(_mutex);
    // Where each fetched partition's records go; records of standbys closed since the
    // fetch are skipped.
    const auto find = [&](std::string_view topic,
                          int32_t partition) -> std::pair<standby*, size_t> {
        for (auto& [id, s] : _standbys) {
            if (id.partition != partition) {
                continue;
            }
            for (size_t i = 0; i < s.stores.size(); ++i) {
                if (s.stores[i]->topic == topic) {
                    return {&s, i};
                }
            }
        }
        return {nullptr, 0};
    };
    std::pair<standby*, size_t> run{nullptr, 0};
    std::set<std::pair<standby*, size_t>> touched;
    const auto flush = [&] {
        if (run.first == nullptr || _entries.empty()) {
            _entries.clear();
            return;
        }
        run.first->stores[run.second]->target->restore_batch(_entries);
        _applied.fetch_add(_entries.size(), std::memory_order_relaxed);
        touched.insert(run);
        _entries.clear();
    };
    // Records come in runs of one partition: look the standby up once per run.
    const consumed_record* previous = nullptr;
    for (const auto& msg : _batch) {
        if (previous == nullptr || msg.partition() != previous->partition() ||
            msg.topic() != previous->topic()) {
            flush();
            run = find(msg.topic(), msg.partition());
        }
        previous = &msg;
        if (run.first == nullptr || msg.offset() < run.first->positions[run.second]) {
            continue;
        }
        state::changelog_entry e;
        e.key = msg.key().value_or(std::string_view());
        e.value = msg.value();
        _entries.push_back(e);
        run.first->positions[run.second] = msg.offset() + 1;
    }
    flush();
    for (const auto& e : _events) {
        const auto at = find(e.partition.topic, e.partition.partition);
        if (at.first == nullptr) {
            continue;
        }
        if (e.what == consumer_event::kind::end_of_partition) {
            // Past transaction markers and aborted records: the standby is at the end.
            auto& pos = at.first->positions[at.second];
            if (e.offset > pos) {
                pos = e.offset;
                touched.insert(at);
            }
            at.first->ends[at.second] = std::max(at.first->ends[at.second], pos);
            continue;
        }
        throw streams_error(fmt::format("reading changelog {}-{}: {}", e.partition.topic,
                                        e.partition.partition, e.message));
    }
    // The checkpoint follows the data it covers: a crash keeps a prefix of both (WAL off,
    // atomic flush), and replaying from an older checkpoint gives the same state.
    for (const auto& [s, i] : touched) {
        s->stores[i]->target->write_checkpoint(s->positions[i]);
    }
}

void standby_updater::read_ends() {
    std::vector<topic_partition> partitions;
    {
        std::lock_guard lock(_mutex);
        for (const auto& [id, s] : _standbys) {
            for (const auto* cp : s.stores) {
                partitions.push_back({cp->topic, cp->partition});
            }
        }
    }
    if (partitions.empty()) {
        return;
    }
    const partition_map<int64_t> ends = consumer().end_offsets(partitions, request_timeout);
    std::lock_guard lock(_mutex);
    for (auto& [id, s] : _standbys) {
        for (size_t i = 0; i < s.stores.size(); ++i) {
            auto it = ends.find(topic_partition{s.stores[i]->topic, s.stores[i]->partition});
            if (it != ends.end()) {
                s.ends[i] = it->second;
            }
        }
    }
}

} // namespace brook
