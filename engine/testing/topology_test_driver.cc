#include "engine/testing/topology_test_driver.h"

#include <cstdlib>

#include <fmt/format.h>

#include "base/log.h"
#include "engine/config/streams_config.h"
#include "engine/errors.h"
#include "state/store_context.h"

namespace brook {

// Keeps every record a sink writes; records for a repartition topic are also queued for
// the sub-topology that reads it. Feeding them at once would re-enter a task that is still
// processing the record that wrote them (a sub-topology may read its own repartition topic),
// which a broker in between never does.
class topology_test_driver::capturing_collector final : public record_collector {
public:
    // `limit`: the producer's message.max.bytes when the driver's config sets one.
    capturing_collector(topology_test_driver& driver, std::optional<size_t> limit)
        : _driver(driver), _limit(limit) {}

    void send(std::string_view topic, nullable_bytes key, nullable_bytes value, int64_t timestamp,
              const headers& hdrs, std::optional<int32_t> partition) override {
        // As the runtime's collector refuses them, so that tests see their production
        // exception handler at work.
        size_t bytes = (key ? key->size() : 0) + (value ? value->size() : 0);
        for (const auto& [name, v] : hdrs) {
            bytes += name.size() + (v ? v->size() : 0);
        }
        if (_limit && bytes > *_limit) {
            throw production_error(fmt::format(
                "the record is {} bytes, more than the producer's message.max.bytes ({})", bytes,
                *_limit));
        }
        captured_record r;
        if (key) {
            r.key.emplace(*key);
        }
        if (value) {
            r.value.emplace(*value);
        }
        r.timestamp = timestamp;
        r.hdrs = hdrs;
        r.partition = partition;
        const std::string name(topic);
        if (_driver.task_reading(name) != nullptr) {
            _driver._internal.push_back({name, r});
        }
        _driver._outputs[name].push_back(std::move(r));
    }

    // The driver runs everything on partition 0 of one-partition topics.
    int32_t partition_count(std::string_view /*topic*/) override { return 1; }
    std::optional<size_t> record_size_limit() const override { return _limit; }

private:
    topology_test_driver& _driver;
    std::optional<size_t> _limit;
};

topology_test_driver::topology_test_driver(topology topo, std::map<std::string, std::string> config,
                                           int64_t initial_wall_clock_ms)
    : _topology(std::move(topo)), _wall_clock_ms(initial_wall_clock_ms) {
    config.try_emplace("application.id", "topology-test-driver");
    config.try_emplace("bootstrap.servers", "unused-by-the-test-driver:9092");
    const streams_config parsed(std::move(config));
    std::optional<size_t> limit;
    if (const auto max = parsed.producer_config().get("message.max.bytes")) {
        limit = static_cast<size_t>(std::stoull(*max)); // checked by streams_config
    }
    _collector = std::make_unique<capturing_collector>(*this, limit);
    _application_id = parsed.application_id();
    std::string pattern =
        (std::filesystem::temp_directory_path() / "brook-test-driver-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
        throw state::state_error(
            fmt::format("cannot create a temporary state directory {}", pattern));
    }
    _state_dir = pattern;
    _cache = std::make_unique<state::cache_budget>(static_cast<size_t>(parsed.cache_max_bytes()));

    task_environment env;
    env.application_id = _application_id;
    env.collector = _collector.get();
    env.wall_clock = [this] { return _wall_clock_ms; };
    env.on_deserialization_error = parsed.on_deserialization_error();
    env.on_processing_error = parsed.on_processing_error();
    env.on_production_error = parsed.on_production_error();
    env.max_event_time_future = parsed.max_event_time_future();
    env.dead_letter_topic = parsed.dead_letter_topic();
    env.counters = &_counters;
    env.state_dir = _state_dir;
    env.cache = _cache.get();
    // Global stores: a full copy each, written by what is piped into their topics.
    for (const auto& spec : _topology.global_stores()) {
        std::unique_ptr<state::state_store> store = spec.store.factory();
        state::store_context context;
        context.directory = _state_dir / "global" / spec.store.name;
        store->init(context);
        _global_stores.emplace(spec.topic, global_entry{&spec, std::move(store)});
    }
    env.global_store = [this](std::string_view name) -> state::state_store* {
        for (auto& [topic, g] : _global_stores) {
            if (g.spec->store.name == name) {
                return g.store.get();
            }
        }
        return nullptr;
    };
    for (const auto& st : _topology.subtopologies()) {
        auto task = std::make_unique<stream_task>(task_id{st.id, 0}, _topology, env);
        task->open_stores();
        task->init();
        _tasks.push_back(std::move(task));
    }
    for (const auto& topic : _topology.source_topics(_application_id)) {
        const auto st = _topology.subtopology_of(topic, _application_id);
        _task_of_topic.emplace(topic, _tasks.at(static_cast<size_t>(*st)).get());
    }
}

topology_test_driver::~topology_test_driver() {
    for (auto& t : _tasks) {
        try {
            t->close();
        } catch (const std::exception& e) {
            log_warn(fmt::format("test driver: closing a task: {}", e.what()));
        }
    }
    _tasks.clear();
    for (auto& [topic, g] : _global_stores) {
        try {
            g.store->close();
        } catch (const std::exception& e) {
            log_warn(fmt::format("test driver: closing a global store: {}", e.what()));
        }
    }
    std::error_code ec;
    std::filesystem::remove_all(_state_dir, ec);
}

void topology_test_driver::commit() {
    try {
        for (auto& t : _tasks) {
            (void)t->prepare_commit(false); // flushes the caches; offsets mean nothing here
            process_internal_records();
        }
    } catch (...) {
        _internal.clear();
        throw;
    }
}

void topology_test_driver::pipe_raw(const std::string& topic, nullable_bytes key,
                                    nullable_bytes value, int64_t timestamp, const headers& hdrs) {
    if (auto g = _global_stores.find(topic); g != _global_stores.end()) {
        raw_record r;
        r.key = key;
        r.value = value;
        r.timestamp = timestamp;
        r.headers = &hdrs;
        r.metadata.topic = topic;
        r.metadata.partition = 0;
        try {
            g->second.spec->apply(*g->second.store, r);
        } catch (const serde_error& e) {
            // As the runtime's global updater: skipped, with a warning.
            log_warn(fmt::format("test driver: global store '{}' skips a record of '{}' that "
                                 "cannot be read: {}",
                                 g->second.spec->store.name, topic, e.what()));
        }
        return;
    }
    try {
        process_one(topic, key, value, timestamp, hdrs);
        process_internal_records();
        if (_auto_commit) {
            commit();
        }
    } catch (...) {
        // What the failed record wrote to repartition topics is dropped with it, so that the
        // next pipe starts clean instead of finishing half of a failed one.
        _internal.clear();
        throw;
    }
}

void topology_test_driver::process_internal_records() {
    while (!_internal.empty()) {
        const internal_record next = std::move(_internal.front());
        _internal.pop_front();
        const captured_record& r = next.record;
        process_one(next.topic, r.key ? nullable_bytes(*r.key) : std::nullopt,
                    r.value ? nullable_bytes(*r.value) : std::nullopt, r.timestamp, r.hdrs);
    }
}

stream_task* topology_test_driver::task_reading(std::string_view topic) const {
    auto it = _task_of_topic.find(topic);
    return it == _task_of_topic.end() ? nullptr : it->second;
}

void topology_test_driver::process_one(const std::string& topic, nullable_bytes key,
                                       nullable_bytes value, int64_t timestamp,
                                       const headers& hdrs) {
    stream_task* task = task_reading(topic);
    if (task == nullptr) {
        throw topology_error(fmt::format("no source of the topology reads topic '{}'", topic));
    }
    raw_record r;
    r.key = key;
    r.value = value;
    r.timestamp = timestamp;
    r.headers = hdrs.empty() ? nullptr : &hdrs;
    r.metadata = {topic, 0, _next_offset[topic]++};
    const std::optional<int64_t> due = task->due_time(r);
    auto waiting = _held.find(topic);
    // A delayed source's topic is a FIFO: behind a held record, every record waits.
    if (due && (*due > _wall_clock_ms || (waiting != _held.end() && !waiting->second.empty()))) {
        held_record h;
        h.record.key = key ? std::optional<std::string>(*key) : std::nullopt;
        h.record.value = value ? std::optional<std::string>(*value) : std::nullopt;
        h.record.timestamp = timestamp;
        h.record.hdrs = hdrs;
        h.offset = r.metadata.offset;
        h.due_ms = *due;
        _held[topic].push_back(std::move(h));
        return;
    }
    task->process(r);
}

void topology_test_driver::process_due_records() {
    for (;;) {
        // The topic whose head is due first, so that time passes in order across topics.
        std::deque<held_record>* next = nullptr;
        std::string_view next_topic;
        for (auto& [topic, queue] : _held) {
            if (!queue.empty() && queue.front().due_ms <= _wall_clock_ms &&
                (next == nullptr || queue.front().due_ms < next->front().due_ms)) {
                next = &queue;
                next_topic = topic;
            }
        }
        if (next == nullptr) {
            return;
        }
        const held_record h = std::move(next->front());
        next->pop_front();
        const std::string topic(next_topic);
        raw_record r;
        r.key = h.record.key ? nullable_bytes(*h.record.key) : std::nullopt;
        r.value = h.record.value ? nullable_bytes(*h.record.value) : std::nullopt;
        r.timestamp = h.record.timestamp;
        r.headers = h.record.hdrs.empty() ? nullptr : &h.record.hdrs;
        r.metadata = {topic, 0, h.offset};
        task_reading(topic)->process(r);
        process_internal_records();
    }
}

size_t topology_test_driver::held(const std::string& topic) const {
    const auto it = _held.find(topic);
    return it == _held.end() ? 0 : it->second.size();
}

void topology_test_driver::advance_wall_clock_time(std::chrono::milliseconds by) {
    _wall_clock_ms += by.count();
    try {
        process_due_records();
        for (auto& t : _tasks) {
            t->punctuate_wall_clock(_wall_clock_ms);
            process_internal_records();
        }
        if (_auto_commit) {
            commit();
        }
    } catch (...) {
        _internal.clear();
        throw;
    }
}

state::state_store& topology_test_driver::state_store(const std::string& name) {
    for (auto& t : _tasks) {
        if (state::state_store* store = t->find_store(name)) {
            return *store;
        }
    }
    for (auto& [topic, g] : _global_stores) {
        if (g.spec->store.name == name) {
            return *g.store;
        }
    }
    throw topology_error(fmt::format("the topology has no store named '{}'", name));
}

size_t topology_test_driver::unread(const std::string& topic) const {
    const auto it = _outputs.find(topic);
    return it == _outputs.end() ? 0 : it->second.size();
}

captured_record topology_test_driver::take(const std::string& topic) {
    const auto it = _outputs.find(topic);
    if (it == _outputs.end() || it->second.empty()) {
        throw std::out_of_range(fmt::format("no record left in output topic '{}'", topic));
    }
    captured_record r = std::move(it->second.front());
    it->second.pop_front();
    return r;
}

std::vector<std::string> topology_test_driver::produced_topics() const {
    std::vector<std::string> out;
    for (const auto& [topic, records] : _outputs) {
        out.push_back(topic);
    }
    return out;
}

} // namespace brook
