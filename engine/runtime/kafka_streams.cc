#include "engine/runtime/kafka_streams.h"

#include <algorithm>
#include <map>
#include <set>
#include <thread>
#include <tuple>

#include <fmt/format.h>

#include "base/log.h"
#include "engine/errors.h"
#include "engine/kafka/admin_client.h"
#include "engine/kafka/embedded_cluster.h"
#include "engine/kafka/kafka_error.h"
#include "engine/runtime/global_store_updater.h"
#include "engine/runtime/member_identity.h"
#include "engine/runtime/process_id.h"
#include "engine/runtime/standby_updater.h"
#include "engine/runtime/topic_provisioning.h"
#include "engine/serde/partitioner.h"

namespace brook {

namespace {

// A DSL topology built with other optimizations than the config names would run another
// layout (other repartition topics) than the operator configured: refuse it.
void check_optimization(const topology& topo, const streams_config& config) {
    const std::optional<topology_optimization>& built = topo.optimization();
    if (built && *built != config.topology_optimization()) {
        throw config_error(fmt::format(
            "topology.optimization is {}, but the topology was built with {}: build it with "
            "stream_builder::build(config) so that both agree",
            config.topology_optimization().to_string(), built->to_string()));
    }
    // A table restored from its source topic gets every record there that its serdes read,
    // including those refused for their event time when they were processed.
    const bool reuses = std::any_of(topo.stores().begin(), topo.stores().end(),
                                    [](const store_spec& s) { return s.source.has_value(); });
    if (reuses && config.max_event_time_future().count() >= 0) {
        throw config_error(
            "topology.optimization reuses tables' source topics as their changelogs, and "
            "max.event.time.future.ms refuses records by event time: a restore from the topic "
            "would bring back the refused ones. Unset max.event.time.future.ms, or leave "
            "reuse.ktable.source.topics out of topology.optimization");
    }
}

} // namespace

kafka_streams::kafka_streams(const topology& topo, streams_config config)
    : _topology(topo), _config(std::move(config)) {
    check_optimization(_topology, _config);
}

kafka_streams::kafka_streams(topology&& topo, streams_config config)
    : _owned_topology(std::make_unique<const topology>(std::move(topo))),
      _topology(*_owned_topology), _config(std::move(config)) {
    check_optimization(_topology, _config);
}

kafka_streams::~kafka_streams() {
    try {
        close();
    } catch (const std::exception& e) {
        log_error(fmt::format("closing the application failed: {}", e.what()));
    }
}

void kafka_streams::set_state_listener(state_listener listener) {
    _state.set_listener(std::move(listener));
}

streams_state kafka_streams::state() const {
    return _state.state();
}

std::string kafka_streams::error_reason() const {
    return _state.error();
}

void kafka_streams::start(const std::function<bool()>& cancelled) {
    if (state() != streams_state::created) {
        throw streams_error(fmt::format("start() called in state {}; an application starts once",
                                        to_string(state())));
    }
    _state_lock = std::make_unique<state_dir_lock>(_config.state_dir() / _config.application_id());
    try {
        _instance_id = load_or_create_process_id(_config.state_dir() / _config.application_id());
        if (_config.guarantee() == processing_guarantee::exactly_once_v2) {
            // Transactional ids are "<application.id>-<process id>-<thread>": stable for
            // this state directory, so a restarted instance fences its killed predecessor.
            _transactional_id_prefix = fmt::format("{}-{}", _config.application_id(), _instance_id);
        }
        _bootstrap = kafka::resolve_bootstrap(_config.bootstrap_servers());
        _state.transition(streams_state::rebalancing);
        check_topics_and_create_internal(cancelled);
    } catch (const operation_cancelled&) {
        _state.transition(streams_state::not_running);
        throw;
    } catch (const config_error& e) {
        _state.fail(e.what());
        throw; // a configuration error keeps its class (programs exit 2 on it)
    } catch (const std::exception& e) {
        _state.fail(e.what());
        throw streams_error(e.what());
    }
    state::rocksdb_environment::settings rocks;
    rocks.block_cache_bytes = static_cast<size_t>(_config.rocksdb_block_cache_bytes());
    rocks.write_buffer_manager_bytes = static_cast<size_t>(_config.rocksdb_write_buffer_bytes());
    rocks.write_buffer_size =
        std::min(rocks.write_buffer_size, rocks.write_buffer_manager_bytes / 4);
    _rocksdb = std::make_unique<state::rocksdb_environment>(rocks);
    {
        kafka::client_config ac = _config.admin_config();
        ac.set("bootstrap.servers", _bootstrap)
            .set("client.id", fmt::format("{}-{}-group-view", _config.client_id(), _instance_id));
        _group = std::make_unique<group_view>(std::move(ac), _config.application_id(),
                                              std::chrono::seconds(1), std::chrono::seconds(5));
    }
    _stateful = stateful_subtopologies();
    const bool keeps_copies = _config.num_standby_replicas() > 0 ||
                              _config.warmup_timeout() > std::chrono::milliseconds(0);
    // The embedded mock lives in this process, so no other instance can share its group
    // (and it cannot describe groups: librdkafka 2.0's admin client then hangs in its
    // destructor).
    if (keeps_copies && !_stateful.empty() && !embedded()) {
        standby_updater::options so;
        so.topo = &_topology;
        so.config = &_config;
        so.clients = &_clients;
        so.consumer = _config.restore_consumer_config();
        so.consumer.set("bootstrap.servers", _bootstrap)
            .set("client.id",
                 fmt::format("{}-{}-standby-consumer", _config.client_id(), _instance_id));
        so.describe_group = [group = _group.get()] { return group->describe(); };
        so.subtopologies = _stateful;
        so.process_id = _instance_id;
        so.state_dir = _config.state_dir() / _config.application_id();
        so.rocksdb = _rocksdb.get();
        _standbys = std::make_unique<standby_updater>(std::move(so));
    }
    if (!_topology.global_stores().empty()) {
        global_store_updater::options go;
        go.topo = &_topology;
        go.consumer = _config.restore_consumer_config();
        go.consumer.set("bootstrap.servers", _bootstrap)
            .set("client.id",
                 fmt::format("{}-{}-global-consumer", _config.client_id(), _instance_id));
        go.state_dir = _config.state_dir() / _config.application_id();
        go.rocksdb = _rocksdb.get();
        go.on_failure = [this](const std::string& message) { _state.fail(message); };
        _global = std::make_unique<global_store_updater>(std::move(go));
        try {
            // Every global table is complete before any task looks a key up in it.
            _global->bootstrap(cancelled);
        } catch (const operation_cancelled&) {
            _global.reset();
            _state.transition(streams_state::not_running);
            throw;
        } catch (const std::exception& e) {
            _global.reset();
            _state.fail(e.what());
            throw streams_error(e.what());
        }
        _global->start();
    }
    for (int i = 0; i < _config.num_stream_threads(); ++i) {
        stream_thread_options options;
        options.bootstrap = _bootstrap;
        options.on_change = [this] { on_thread_change(); };
        options.clients = &_clients;
        options.layout = &_layout;
        options.rocksdb = _rocksdb.get();
        options.restore_listener = _restore_listener;
        options.transactional_id_prefix = _transactional_id_prefix;
        options.instance_id = _instance_id;
        options.standbys = _standbys.get();
        options.global_stores = _global.get();
        _threads.push_back(
            std::make_unique<stream_thread>(i + 1, _topology, _config, std::move(options)));
    }
    if (_standbys) {
        _standbys->start();
        try {
            warm_up_before_join(cancelled);
        } catch (const operation_cancelled&) {
            _standbys->stop();
            _state.transition(streams_state::not_running);
            throw;
        }
    }
    for (auto& t : _threads) {
        t->start();
    }
}

bool kafka_streams::embedded() const {
    return _config.bootstrap_servers() == kafka::embedded_bootstrap;
}

void kafka_streams::warm_up_before_join(const std::function<bool()>& cancelled) {
    const auto timeout = _config.warmup_timeout();
    if (timeout <= std::chrono::milliseconds(0)) {
        return;
    }
    std::shared_ptr<const kafka::group_description> group;
    try {
        group = _group->describe();
    } catch (const kafka::kafka_error& e) {
        log_warn(fmt::format("not warming up before joining: cannot describe group "
                             "'{}': {}",
                             _config.application_id(), e.what()));
        return;
    }
    if (!group->stable || group->members.empty()) {
        return; // a new group, or one rebalancing: nothing runs that could go on meanwhile
    }
    std::vector<kafka::group_member> members = group->members;
    for (const auto& m : members) {
        const auto identity = parse_member_identity(m.client_id);
        if (identity && identity->process_id == _instance_id) {
            return; // this instance's earlier member is still in: it gets its tasks back
        }
    }
    // This instance's members as range will sort them (the broker appends "-<uuid>").
    for (int i = 1; i <= _config.num_stream_threads(); ++i) {
        kafka::group_member m;
        m.client_id =
            consumer_client_id(_config.client_id(), _instance_id, i, _config.application_server());
        m.member_id = m.client_id + "-";
        if (!_config.group_instance_id().empty()) {
            m.group_instance_id = fmt::format("{}-{}", _config.group_instance_id(), i);
        }
        members.push_back(std::move(m));
    }
    std::set<task_id> mine;
    for (const auto& [id, owner] : range_owners(members, _stateful)) {
        if (owner.process_id == _instance_id) {
            mine.insert(id);
        }
    }
    if (mine.empty()) {
        return;
    }
    const int64_t acceptable = _config.acceptable_recovery_lag();
    const auto started = std::chrono::steady_clock::now();
    const auto deadline = started + timeout;
    // Kept a while past the join, until the stream threads claim them.
    _standbys->warm_up(mine, deadline + std::chrono::minutes(2));
    std::string names;
    for (const task_id& id : mine) {
        names += (names.empty() ? "" : ",") + id.to_string();
    }
    log_info(fmt::format("warming up tasks [{}] before joining group '{}' (until "
                         "within acceptable.recovery.lag={}, at most {} ms)",
                         names, _config.application_id(), acceptable, timeout.count()));
    std::optional<int64_t> lag;
    while (std::chrono::steady_clock::now() < deadline) {
        if (cancelled && cancelled()) {
            throw operation_cancelled("stopped while warming up tasks before joining the group");
        }
        lag = _standbys->warm_up_lag();
        if (lag && *lag <= acceptable) {
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    if (lag && *lag <= acceptable) {
        log_info(fmt::format("warmed up tasks [{}] in {} ms (lag {}); joining", names, took.count(),
                             *lag));
    } else {
        log_warn(fmt::format("warming up tasks [{}] did not catch up within "
                             "warmup.timeout.ms ({} ms, lag {}); joining anyway, the tasks "
                             "restore the rest",
                             names, timeout.count(), lag ? std::to_string(*lag) : "unknown"));
    }
}

std::vector<stateful_subtopology> kafka_streams::stateful_subtopologies() const {
    std::vector<stateful_subtopology> out;
    for (const auto& st : _topology.subtopologies()) {
        const bool logged = std::any_of(st.stores.begin(), st.stores.end(), [&](const auto& name) {
            const auto& specs = _topology.stores();
            return std::any_of(specs.begin(), specs.end(), [&](const store_spec& spec) {
                return spec.name == name && spec.logged;
            });
        });
        const std::vector<std::string>& sources = _layout.sources_of(st.id);
        if (!logged || sources.empty()) {
            continue;
        }
        auto n = _layout.partitions.find(sources.front());
        if (n != _layout.partitions.end()) {
            out.push_back({st.id, sources.front(), n->second});
        }
    }
    return out;
}

void kafka_streams::check_topics_and_create_internal(const std::function<bool()>& cancelled) {
    kafka::client_config ac = _config.admin_config();
    ac.set("bootstrap.servers", _bootstrap);
    kafka::admin_client admin(ac);
    const auto wait = _config.broker_wait_timeout();
    const std::string& app_id = _config.application_id();
    std::map<std::string, int32_t, std::less<>>
        partitions_of; // resolved source topic -> partitions
    int max_partitions = 0;
    for (const auto& topic : _topology.external_source_topics()) {
        std::optional<int> count;
        try {
            count = admin.partition_count(topic, wait, cancelled);
        } catch (const kafka::kafka_error& e) {
            throw streams_error(fmt::format(
                "cannot reach the Kafka cluster at {} within {} ms (broker.wait.timeout.ms): {}",
                _config.bootstrap_servers(), wait.count(), e.what()));
        }
        if (!count) {
            throw streams_error(fmt::format(
                "source topic '{}' does not exist on {}: create it, or fix the topic name", topic,
                _config.bootstrap_servers()));
        }
        partitions_of[topic] = *count;
        max_partitions = std::max(max_partitions, *count);
    }
    // A repartition topic read beside user topics (a join's re-keyed side) must be
    // co-partitioned with them, so it takes their partition count, as Kafka Streams
    // makes it; one read alone takes the widest source's.
    std::map<int, int32_t> external_partitions_of_subtopology;
    for (const auto& [topic, count] : partitions_of) {
        if (const auto st = _topology.subtopology_of(topic, app_id)) {
            int32_t& n = external_partitions_of_subtopology[*st];
            n = std::max(n, count);
        }
    }
    std::vector<kafka::topic_spec> internal;
    for (const auto& spec : _topology.internal_topics()) {
        const std::string name = topology::resolve(spec.name, true, app_id);
        int partitions = std::max(max_partitions, 1);
        if (const auto st = _topology.subtopology_of(name, app_id)) {
            if (auto it = external_partitions_of_subtopology.find(*st);
                it != external_partitions_of_subtopology.end()) {
                partitions = it->second;
            }
        }
        partitions = spec.partitions.value_or(partitions);
        partitions_of[name] = partitions;
        // As Kafka Streams makes them: no retention, so a record is never deleted before
        // it is read, whatever its timestamp; the stream threads purge what they have
        // committed (repartition_purger.h). 50 MB segments let a purge free disk early.
        internal.push_back({name,
                            partitions,
                            _config.replication_factor(),
                            {{"cleanup.policy", "delete"},
                             {"retention.ms", "-1"},
                             {"segment.bytes", "52428800"}}});
    }
    _layout = topic_layout::make(_topology, app_id, partitions_of);
    // A task is one sub-topology over one partition number of all its inputs, so those
    // inputs must be co-partitioned: the same number of partitions (and the same
    // partitioner, which for Brook's own writes is Kafka's murmur2). Otherwise records of
    // one key would meet in different tasks, and the range assignor could not keep a
    // task's partitions on one member.
    for (const auto& [st, sources] : _layout.sources) {
        for (const auto& topic : sources) {
            const int32_t n = partitions_of.at(topic);
            const int32_t first = partitions_of.at(sources.front());
            if (n != first) {
                throw config_error(fmt::format(
                    "sub-topology {} reads '{}' ({} partitions) and '{}' ({} partitions): the "
                    "inputs of one task must be co-partitioned. Give them the same number of "
                    "partitions (recreate one, or repartition it into a new topic), or read "
                    "them in separate sub-topologies",
                    st, sources.front(), first, topic, n));
            }
        }
    }
    // reuse.ktable.source.topics: a table restores from its source topic, which must keep
    // every key's latest record as a changelog does. A topic that deletes by age (delete,
    // or compact,delete) would restore a table missing every row older than its retention.
    for (const store_spec& spec : _topology.stores()) {
        if (!spec.source || embedded()) {
            continue;
        }
        const std::string policy = admin.topic_configs(spec.source->topic, wait)["cleanup.policy"];
        // "compact,delete" deletes by age as well.
        if (policy.find("compact") == std::string::npos ||
            policy.find("delete") != std::string::npos) {
            throw config_error(fmt::format(
                "topology.optimization reuses topic '{}' as the changelog of table store '{}', "
                "but the topic has cleanup.policy={}: its records expire, and a restore would "
                "lose the rows they held. Make it compacted only (cleanup.policy=compact), or "
                "leave "
                "reuse.ktable.source.topics out of topology.optimization",
                spec.source->topic, spec.name, policy.empty() ? "(unknown)" : policy));
        }
    }
    // A changelog has one partition per task of the sub-topology that owns the store:
    // as many as that sub-topology's widest source topic.
    for (const auto& st : _topology.subtopologies()) {
        int tasks = 1;
        for (const auto& t : _topology.source_topics(app_id)) {
            if (_topology.subtopology_of(t, app_id) == st.id) {
                tasks = std::max(tasks, partitions_of.count(t) ? partitions_of.at(t) : 1);
            }
        }
        for (const auto& store : st.stores) {
            for (const auto& spec : _topology.stores()) {
                if (spec.name != store || !spec.logged) {
                    continue;
                }
                const std::string name = stream_task::changelog_topic(app_id, store);
                const std::optional<int> existing = admin.partition_count(name, wait);
                if (existing && *existing < tasks) {
                    throw streams_error(fmt::format(
                        "changelog topic '{}' has {} partitions but store '{}' needs {} (one "
                        "per task): delete the topic (and the application's local state) or "
                        "give it {} partitions",
                        name, *existing, store, tasks, tasks));
                }
                internal.push_back(
                    {name, tasks, _config.replication_factor(), spec.changelog_config});
            }
        }
    }
    std::vector<new_topic> missing;
    missing.reserve(internal.size());
    for (kafka::topic_spec& spec : internal) {
        missing.push_back(
            {spec.name, spec.partitions, spec.replication_factor, std::move(spec.configs)});
    }
    provision_topics(_config, missing, cancelled);
}

void kafka_streams::on_thread_change() {
    _state.derive([this] {
        threads_summary summary;
        for (const auto& t : _threads) {
            const thread_state s = t->state();
            if (s == thread_state::dead) {
                if (auto e = t->error()) {
                    summary.error = e->empty() ? "a stream thread died of an error" : *e;
                }
            } else {
                summary.all_dead = false;
            }
            summary.any_assigning = summary.any_assigning || s == thread_state::starting ||
                                    s == thread_state::partitions_revoked ||
                                    s == thread_state::partitions_assigned;
        }
        return summary;
    });
}

bool kafka_streams::close(std::chrono::milliseconds timeout) {
    if (!_state.begin_close()) {
        return true;
    }
    _state.transition(streams_state::pending_shutdown); // ignored after ERROR
    for (auto& t : _threads) {
        t->request_shutdown();
    }
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    bool all_stopped = true;
    for (auto& t : _threads) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        all_stopped =
            t->wait_until_dead(std::max(left, std::chrono::milliseconds(0))) && all_stopped;
    }
    if (_global && all_stopped) {
        _global->close(); // no task is left to look a key up in a global table
    }
    if (_standbys) {
        _standbys->stop(); // closes every standby, checkpointed
    }
    if (all_stopped) {
        _state.transition(streams_state::not_running);
    }
    return all_stopped;
}

uint64_t kafka_streams::records_processed() const {
    uint64_t n = 0;
    for (const auto& t : _threads) {
        n += t->counters().records_processed.load();
    }
    return n;
}

uint64_t kafka_streams::records_produced() const {
    uint64_t n = 0;
    for (const auto& t : _threads) {
        n += t->records_produced();
    }
    return n;
}

uint64_t kafka_streams::deserialization_errors() const {
    uint64_t n = 0;
    for (const auto& t : _threads) {
        n += t->counters().deserialization_errors.load();
    }
    if (_global) {
        n += _global->skipped(); // unreadable records of global tables' topics
    }
    return n;
}

uint64_t kafka_streams::records_restored() const {
    uint64_t n = 0;
    for (const auto& t : _threads) {
        n += t->counters().records_restored.load();
    }
    return n;
}

uint64_t kafka_streams::late_records_dropped() const {
    uint64_t n = 0;
    for (const auto& t : _threads) {
        n += t->counters().late_records_dropped.load();
    }
    return n;
}

uint64_t kafka_streams::transactions_committed() const {
    uint64_t n = 0;
    for (const auto& t : _threads) {
        n += t->transactions_committed();
    }
    return n;
}

uint64_t kafka_streams::transactions_aborted() const {
    uint64_t n = 0;
    for (const auto& t : _threads) {
        n += t->transactions_aborted();
    }
    return n;
}

int kafka_streams::task_count() const {
    int n = 0;
    for (const auto& t : _threads) {
        n += t->task_count();
    }
    return n;
}

streams_metrics kafka_streams::metrics() const {
    streams_metrics total;
    for (const auto& t : _threads) {
        streams_metrics m = t->metrics();
        for (const auto& [topic, n] : m.records_consumed) {
            total.records_consumed[topic] += n;
        }
        for (const auto& [topic, n] : m.records_produced) {
            total.records_produced[topic] += n;
        }
        total.records_processed += m.records_processed;
        total.process_latency.count += m.process_latency.count;
        total.process_latency.sum_us += m.process_latency.sum_us;
        total.commit_latency.count += m.commit_latency.count;
        total.commit_latency.sum_us += m.commit_latency.sum_us;
        total.commits += m.commits;
        total.lag.insert(total.lag.end(), std::make_move_iterator(m.lag.begin()),
                         std::make_move_iterator(m.lag.end()));
        total.records_restored += m.records_restored;
        total.restore_remaining += m.restore_remaining;
        total.stores_restoring += m.stores_restoring;
        total.late_records_dropped += m.late_records_dropped;
        total.null_records_skipped += m.null_records_skipped;
        total.dead_lettered += m.dead_lettered;
        total.deserialization_errors += m.deserialization_errors;
        total.processing_errors += m.processing_errors;
        total.production_errors += m.production_errors;
        total.transactions_committed += m.transactions_committed;
        total.transactions_aborted += m.transactions_aborted;
        total.tasks += m.tasks;
        total.threads += m.threads;
    }
    if (_global) {
        total.deserialization_errors += _global->skipped();
    }
    std::sort(total.lag.begin(), total.lag.end(), [](const auto& a, const auto& b) {
        return std::tie(a.topic, a.partition) < std::tie(b.topic, b.partition);
    });
    if (_standbys) {
        total.standbys = _standbys->lags();
        total.standby_records_applied = _standbys->records_applied();
    }
    return total;
}

bool kafka_streams::ready() const {
    if (state() != streams_state::running) {
        return false;
    }
    return std::none_of(_threads.begin(), _threads.end(), [](const auto& t) {
        return t->restoring() || !t->health().alive || t->health().stuck;
    });
}

std::vector<thread_health> kafka_streams::thread_healths() const {
    std::vector<thread_health> out;
    for (const auto& t : _threads) {
        out.push_back(t->health());
    }
    return out;
}

bool kafka_streams::live() const {
    const streams_state s = state();
    if (s == streams_state::error || s == streams_state::not_running) {
        return false;
    }
    return std::none_of(_threads.begin(), _threads.end(), [](const auto& t) {
        const thread_health h = t->health();
        return !h.alive || h.stuck;
    });
}

std::optional<size_t> kafka_streams::query_store(std::string_view store, const store_visitor& visit,
                                                 std::chrono::milliseconds timeout) {
    const auto& specs = _topology.stores();
    if (std::none_of(specs.begin(), specs.end(),
                     [&](const store_spec& s) { return s.name == store; })) {
        return std::nullopt;
    }
    const streams_state now = state();
    if (now != streams_state::running && now != streams_state::rebalancing) {
        throw streams_error(fmt::format("the application is {}: stores can be queried while it "
                                        "is RUNNING or REBALANCING",
                                        to_string(now)));
    }
    // One thread at a time, so `visit` never runs concurrently with itself.
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    size_t visited = 0;
    for (const auto& t : _threads) {
        const auto left = std::max(std::chrono::milliseconds(1),
                                   std::chrono::duration_cast<std::chrono::milliseconds>(
                                       deadline - std::chrono::steady_clock::now()));
        visited += t->visit_stores(store, visit, left);
    }
    return visited;
}

std::optional<key_query_metadata> kafka_streams::query_metadata_for_key(std::string_view store,
                                                                        std::string_view key) {
    const topology::subtopology* owner = nullptr;
    for (const auto& st : _topology.subtopologies()) {
        if (std::find(st.stores.begin(), st.stores.end(), store) != st.stores.end()) {
            owner = &st;
        }
    }
    if (owner == nullptr) {
        return std::nullopt;
    }
    if (!_group) {
        throw streams_error("query_metadata_for_key() before start(): the application has not "
                            "joined its group yet");
    }
    if (embedded()) {
        // Only this process can be a member of the in-process mock's group.
        key_query_metadata md;
        const std::vector<std::string>& sources = _layout.sources_of(owner->id);
        if (!sources.empty()) {
            md.partition = default_partition(key, _layout.partitions.at(sources.front()));
        }
        md.task = task_id{owner->id, md.partition};
        md.active_process_id = _instance_id;
        md.active_server = _config.application_server();
        md.active_is_local = true;
        return md;
    }
    const std::vector<std::string>& sources = _layout.sources_of(owner->id);
    if (sources.empty()) {
        throw streams_error(fmt::format("store '{}' belongs to sub-topology {}, which reads no "
                                        "topic",
                                        store, owner->id));
    }
    const std::string& topic = sources.front();
    key_query_metadata md;
    md.partition = default_partition(key, _layout.partitions.at(topic));
    md.task = task_id{owner->id, md.partition};
    std::shared_ptr<const kafka::group_description> group;
    try {
        group = _group->describe();
    } catch (const kafka::kafka_error& e) {
        throw streams_error(fmt::format("cannot describe consumer group '{}': {}",
                                        _config.application_id(), e.what()));
    }
    const int replicas = _config.num_standby_replicas();
    const std::map<task_id, task_hosts> placed =
        place_tasks(group->members, {{owner->id, topic, _layout.partitions.at(topic)}}, replicas);
    const auto hosts = placed.find(md.task);
    if (hosts != placed.end()) {
        for (const auto& standby : hosts->second.standbys) {
            md.standby_process_ids.push_back(standby.process_id);
            md.standby_servers.push_back(standby.application_server);
            md.standby_is_local = md.standby_is_local || standby.process_id == _instance_id;
        }
    }
    for (const auto& member : group->members) {
        for (const auto& [t, p] : member.assignment) {
            if (p != md.partition || t != topic) {
                continue;
            }
            if (const auto identity = parse_member_identity(member.client_id)) {
                md.active_process_id = identity->process_id;
                md.active_server = identity->application_server;
                md.active_is_local = identity->process_id == _instance_id;
            } else {
                md.reason = fmt::format("task {} runs in member '{}', which is not a Brook "
                                        "stream thread of this version",
                                        md.task.to_string(), member.client_id);
            }
            return md;
        }
    }
    md.reason = fmt::format("no member of group '{}' holds task {} (partition {} of '{}') now: "
                            "the group is rebalancing, or the instance that ran it left",
                            _config.application_id(), md.task.to_string(), md.partition, topic);
    return md;
}

std::optional<int64_t> kafka_streams::query_standby_store(std::string_view store,
                                                          const task_id& task,
                                                          const store_visitor& visit) {
    if (!_standbys) {
        return std::nullopt;
    }
    return _standbys->visit_store(task, store, [&](state::state_store& s) { visit(task, s); });
}

} // namespace brook
