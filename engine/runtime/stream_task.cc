#include "engine/runtime/stream_task.h"

#include <algorithm>
#include <filesystem>
#include <iostream>

#include <fmt/format.h>

#include "engine/errors.h"
#include "engine/serde/serde.h"

namespace brook {

namespace {

// Copies a librdkafka message's headers; only called for messages that carry some.
headers copy_headers(rd_kafka_headers_t* raw) {
    headers out;
    const char* name = nullptr;
    const void* value = nullptr;
    size_t size = 0;
    for (size_t i = 0;
         rd_kafka_header_get_all(raw, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; ++i) {
        if (value == nullptr) {
            out.add(name, std::nullopt);
        } else {
            out.add(name, std::string(static_cast<const char*>(value), size));
        }
    }
    return out;
}

// The bytes of a queued message as a raw record; `storage` keeps its headers, if it has any.
raw_record read_message(const rd_kafka_message_t& msg, std::string_view topic, headers& storage) {
    raw_record r;
    if (msg.key != nullptr) {
        r.key.emplace(static_cast<const char*>(msg.key), msg.key_len);
    }
    if (msg.payload != nullptr) {
        r.value.emplace(static_cast<const char*>(msg.payload), msg.len);
    }
    // -1: the record carries no timestamp
    r.timestamp = std::max<int64_t>(rd_kafka_message_timestamp(&msg, nullptr), 0);
    rd_kafka_headers_t* raw_headers = nullptr;
    if (rd_kafka_message_headers(&msg, &raw_headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        storage = copy_headers(raw_headers);
        r.headers = &storage;
    }
    r.metadata = {topic, msg.partition, msg.offset};
    return r;
}

} // namespace

stream_task::stream_task(task_id id, const topology& topo, task_environment env)
    : _id(id), _env(std::move(env)),
      _instance(topo.instantiate(id.subtopology, _env.application_id)) {
    if (_env.counters == nullptr) {
        _env.counters = &_own_counters;
    }
    if (!_env.wall_clock) {
        _env.wall_clock = [] {
            return std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                .count();
        };
    }
}

stream_task::~stream_task() {
    try {
        close();
    } catch (const std::exception& e) {
        std::cerr << fmt::format("brook: task {} failed to close: {}\n", _id.to_string(), e.what());
    }
}

std::string stream_task::changelog_topic(const std::string& application_id,
                                         std::string_view store) {
    return fmt::format("{}-{}-changelog", application_id, store);
}

void stream_task::open_stores() {
    if (_stores_open) {
        return;
    }
    const std::filesystem::path task_dir =
        _env.state_dir.empty() ? std::filesystem::path() : _env.state_dir / _id.to_string();
    bool any_persistent = false;
    for (auto& [name, store] : _instance.stores) {
        any_persistent = any_persistent || store->persistent();
    }
    if (any_persistent) {
        if (task_dir.empty()) {
            throw topology_error(
                fmt::format("task {} has persistent stores but no state directory; set state.dir",
                            _id.to_string()));
        }
        std::error_code ec;
        std::filesystem::create_directories(task_dir, ec);
        if (ec) {
            throw state::state_error(fmt::format("cannot create the state directory {}: {} "
                                                 "(check state.dir and its permissions)",
                                                 task_dir.string(), ec.message()));
        }
    }
    state::store_context context;
    context.directory = task_dir;
    context.rocksdb = _env.rocksdb;
    context.changelog = this;
    context.cache = _env.cache;
    context.timestamp = [this] { return _current_timestamp; };
    for (auto& [name, store] : _instance.stores) {
        store->init(context);
        if (_env.exactly_once) {
            store->restore_target().stage_writes();
        }
        if (store->logged()) {
            changelog_partition cp;
            cp.store = name;
            cp.topic = changelog_topic(_env.application_id, name);
            cp.partition = _id.partition;
            cp.persistent = store->persistent();
            cp.target = &store->restore_target();
            cp.checkpoint = cp.target->checkpoint();
            _changelogs.push_back(std::move(cp));
        }
    }
    _stores_open = true;
}

void stream_task::log(std::string_view store, std::string_view key,
                      std::optional<std::string_view> value, int64_t timestamp) {
    static const headers no_headers;
    for (const auto& cp : _changelogs) {
        if (cp.store == store) {
            _env.collector->send(cp.topic, key, value, timestamp, no_headers, cp.partition);
            return;
        }
    }
    throw topology_error(
        fmt::format("task {}: store '{}' logs a change but is not a logged store of this task",
                    _id.to_string(), store));
}

void stream_task::commit_stores(
    const std::function<std::optional<int64_t>(std::string_view, int32_t)>& acked_next_offset) {
    for (auto& [name, store] : _instance.stores) {
        std::optional<int64_t> checkpoint;
        for (auto& cp : _changelogs) {
            if (cp.store != name) {
                continue;
            }
            const std::optional<int64_t> acked = acked_next_offset(cp.topic, cp.partition);
            // Only forward: an acknowledgement older than the checkpoint is left from an
            // earlier time this thread owned the task, before another instance wrote more.
            if (acked && (!cp.checkpoint || *acked > *cp.checkpoint)) {
                cp.checkpoint = acked;
                if (cp.persistent) {
                    checkpoint = acked;
                }
            }
        }
        if (checkpoint || _env.exactly_once) {
            store->restore_target().commit_sealed(checkpoint);
        }
    }
}

void stream_task::init() {
    if (!_stores_open) {
        open_stores();
    }
    for (auto& node : _instance.nodes) {
        node->init(*this);
    }
    _initialized = true;
}

void stream_task::close() {
    if (_closed) {
        return;
    }
    _closed = true;
    for (auto& p : _stream_punctuators) {
        *p.cancelled = true;
    }
    for (auto& p : _wall_punctuators) {
        *p.cancelled = true;
    }
    if (_initialized) {
        for (auto& node : _instance.nodes) {
            node->close();
        }
    }
    for (auto& [name, store] : _instance.stores) {
        store->close();
    }
    _inputs.clear();
    _last_enqueued = {};
    _buffered = 0;
}

stream_task::input_partition& stream_task::input(std::string_view topic, int32_t partition) {
    for (auto& in : _inputs) {
        if (in.partition == partition && in.topic == topic) {
            return in;
        }
    }
    auto source = _instance.sources_by_topic.find(topic);
    if (source == _instance.sources_by_topic.end()) {
        throw topology_error(
            fmt::format("task {} has no source for topic '{}'", _id.to_string(), topic));
    }
    return _inputs.emplace_back(input_partition{std::string(topic), partition, source->second});
}

void stream_task::add_partition(const topic_partition& tp) {
    input(tp.first, tp.second);
}

bool stream_task::remove_partition(const topic_partition& tp) {
    _last_enqueued = {}; // erasing from a deque may move the other inputs
    std::erase_if(_inputs, [&](const input_partition& in) {
        if (in.partition != tp.second || in.topic != tp.first) {
            return false;
        }
        _buffered -= in.queue.size();
        return true;
    });
    return _inputs.empty();
}

void stream_task::enqueue(kafka::message_ptr msg) {
    // Messages come in runs of one partition: remember the last one's input.
    if (_last_enqueued.handle != msg->rkt || _last_enqueued.in->partition != msg->partition) {
        _last_enqueued = {msg->rkt, &input(rd_kafka_topic_name(msg->rkt), msg->partition)};
    }
    input_partition& in = *_last_enqueued.in;
    in.at_end = false;
    in.queue.push_back(std::move(msg));
    ++_buffered;
}

void stream_task::mark_end_of_partition(std::string_view topic, int32_t partition) {
    for (auto& in : _inputs) {
        if (in.partition == partition && in.topic == topic) {
            in.at_end = true;
        }
    }
}

bool stream_task::may_process() {
    if (_inputs.size() < 2 || _env.max_task_idle.count() < 0) {
        return true;
    }
    const bool waiting = std::any_of(_inputs.begin(), _inputs.end(), [](const input_partition& in) {
        return in.queue.empty() && !in.at_end;
    });
    if (!waiting) {
        _idle_since.reset();
        return true;
    }
    if (_env.max_task_idle.count() == 0) {
        return false;
    }
    const auto now = std::chrono::steady_clock::now();
    if (!_idle_since) {
        _idle_since = now;
    }
    return now - *_idle_since >= _env.max_task_idle;
}

bool stream_task::process_next() {
    if (!may_process()) {
        return false;
    }
    std::optional<int64_t> now; // read once, and only when a delayed input has a record
    input_partition* best = nullptr;
    int64_t best_ts = 0;
    for (auto& in : _inputs) {
        if (in.queue.empty()) {
            continue;
        }
        if (in.source->due_time()) {
            if (!now) {
                now = _env.wall_clock();
            }
            if (head_due(in) > *now) {
                continue; // held: the thread pauses its partition until the head is due
            }
        }
        const int64_t ts = rd_kafka_message_timestamp(in.queue.front().get(), nullptr);
        if (best == nullptr || ts < best_ts) {
            best = &in;
            best_ts = ts;
        }
    }
    if (best == nullptr) {
        return false;
    }
    kafka::message_ptr msg = std::move(best->queue.front());
    best->queue.pop_front();
    best->head_due.reset();
    const std::optional<std::string> unreadable = std::exchange(best->head_unreadable, {});
    --_buffered;

    headers hdrs;
    const raw_record r = read_message(*msg, best->topic, hdrs);
    process_from(*best, r, unreadable);
    return true;
}

namespace {

// Runs a delayed source's extractor; what it throws is the reason the record is unreadable.
int64_t extract_due(const due_time_extractor& due, const raw_record& r,
                    std::optional<std::string>& unreadable) {
    try {
        return due(r);
    } catch (const std::exception& e) {
        unreadable = e.what();
    } catch (...) {
        unreadable = "the due-time extractor threw a non-standard exception";
    }
    return 0;
}

} // namespace

int64_t stream_task::head_due(input_partition& in) {
    if (!in.head_due) {
        headers hdrs;
        in.head_due =
            extract_due(in.source->due_time(), read_message(*in.queue.front(), in.topic, hdrs),
                        in.head_unreadable);
    }
    return *in.head_due;
}

std::optional<int64_t> stream_task::due_time(const raw_record& r) {
    const due_time_extractor& due =
        input(r.metadata.topic, r.metadata.partition).source->due_time();
    if (!due) {
        return std::nullopt;
    }
    std::optional<std::string> unreadable;
    return extract_due(due, r, unreadable);
}

void stream_task::delayed_heads(std::vector<held_input>& out) {
    for (auto& in : _inputs) {
        if (!in.queue.empty() && in.source->due_time()) {
            out.push_back({{in.topic, in.partition}, head_due(in)});
        }
    }
}

size_t stream_task::buffered(std::string_view topic, int32_t partition) const {
    for (const auto& in : _inputs) {
        if (in.partition == partition && in.topic == topic) {
            return in.queue.size();
        }
    }
    return 0;
}

void stream_task::process(const raw_record& r) {
    input_partition& in = input(r.metadata.topic, r.metadata.partition);
    std::optional<std::string> unreadable;
    if (const due_time_extractor& due = in.source->due_time()) {
        (void)extract_due(due, r, unreadable);
    }
    process_from(in, r, unreadable);
}

void stream_task::process_from(input_partition& in, const raw_record& r,
                               const std::optional<std::string>& unreadable) {
    _current = &r.metadata;
    try {
        if (unreadable) {
            throw serde_error(*unreadable);
        }
        in.source->process_raw(r);
    } catch (const serde_error& e) {
        _current = nullptr;
        handle_deserialization_error(r, e);
    } catch (...) {
        _current = nullptr;
        throw;
    }
    _current = nullptr;
    in.next_offset = r.metadata.offset + 1;
    in.dirty = true;
    if (_env.counters != nullptr) {
        _env.counters->records_processed.fetch_add(1, std::memory_order_relaxed);
    }
    // As in Kafka Streams, stream-time punctuation runs after the record that advanced
    // stream time has been processed.
    punctuate(_stream_punctuators, _stream_time);
}

void stream_task::handle_deserialization_error(const raw_record& r, const std::exception& e) {
    if (_env.counters != nullptr) {
        _env.counters->deserialization_errors.fetch_add(1, std::memory_order_relaxed);
    }
    const std::string where =
        fmt::format("{}-{} offset {}", r.metadata.topic, r.metadata.partition, r.metadata.offset);
    switch (_env.on_deserialization_error) {
    case deserialization_handler::fail:
        throw streams_error(fmt::format(
            "cannot read the record at {}: {} (set default.deserialization.exception.handler "
            "to log_and_continue or dead_letter to skip such records)",
            where, e.what()));
    case deserialization_handler::log_and_continue:
        std::cerr << fmt::format("brook: skipping unreadable record at {}: {}\n", where, e.what());
        return;
    case deserialization_handler::dead_letter: {
        headers hdrs = r.headers != nullptr ? *r.headers : headers{};
        hdrs.set("error", std::string(e.what()));
        hdrs.set("source-topic", std::string(r.metadata.topic));
        hdrs.set("source-partition", std::to_string(r.metadata.partition));
        hdrs.set("source-offset", std::to_string(r.metadata.offset));
        const std::string& topic =
            _env.dead_letter_topic.empty() ? _env.application_id + "-dlq" : _env.dead_letter_topic;
        _env.collector->send(topic, r.key, r.value, r.timestamp, hdrs, std::nullopt);
        if (_env.counters != nullptr) {
            _env.counters->dead_lettered.fetch_add(1, std::memory_order_relaxed);
        }
        return;
    }
    }
}

void stream_task::observe_record_timestamp(int64_t timestamp) {
    _current_timestamp = timestamp;
    if (timestamp > _stream_time) {
        _stream_time = timestamp;
    }
}

void stream_task::punctuate(std::vector<scheduled>& list, int64_t now) {
    if (now < 0 || list.empty()) {
        return;
    }
    std::erase_if(list, [](const scheduled& s) { return *s.cancelled; });
    // Index loop: a punctuator may schedule more punctuators.
    for (size_t i = 0; i < list.size(); ++i) {
        if (list[i].next_ms < 0) {
            list[i].next_ms = now + list[i].interval_ms;
            continue;
        }
        if (*list[i].cancelled || now < list[i].next_ms) {
            continue;
        }
        // Fire once even if several intervals passed, then realign to the schedule.
        const int64_t interval = list[i].interval_ms;
        list[i].next_ms += ((now - list[i].next_ms) / interval + 1) * interval;
        punctuator fn = list[i].fn; // the list may grow while fn runs
        _current_timestamp = now;
        fn(now);
        if (_env.counters != nullptr) {
            _env.counters->punctuations.fetch_add(1, std::memory_order_relaxed);
        }
    }
}

void stream_task::punctuate_wall_clock(int64_t now_ms) {
    punctuate(_wall_punctuators, now_ms);
}

cancellable stream_task::schedule(std::chrono::milliseconds interval, punctuation_type type,
                                  punctuator fn) {
    if (interval.count() < 1) {
        throw topology_error(
            fmt::format("punctuation interval must be at least 1 ms, got {}", interval.count()));
    }
    auto cancelled = std::make_shared<bool>(false);
    const bool stream = type == punctuation_type::stream_time;
    const int64_t start = stream ? _stream_time : _env.wall_clock();
    scheduled s{interval.count(), start < 0 ? -1 : start + interval.count(), std::move(fn),
                cancelled};
    (stream ? _stream_punctuators : _wall_punctuators).push_back(std::move(s));
    return cancellable(cancelled);
}

state::state_store* stream_task::find_store(std::string_view name) {
    auto it = _instance.stores.find(name);
    return it == _instance.stores.end() ? nullptr : it->second.get();
}

state::state_store& stream_task::store(std::string_view name) {
    if (state::state_store* found = find_store(name)) {
        return *found;
    }
    throw topology_error(fmt::format("task {} has no store named '{}'; connect it to the "
                                     "processor with add_state_store/connect_store",
                                     _id.to_string(), name));
}

std::map<topic_partition, int64_t, topic_partition_less> stream_task::committable_offsets() const {
    std::map<topic_partition, int64_t, topic_partition_less> out;
    for (const auto& in : _inputs) {
        if (in.dirty) {
            out.emplace(topic_partition{in.topic, in.partition}, in.next_offset);
        }
    }
    return out;
}

void stream_task::mark_committed(
    const std::map<topic_partition, int64_t, topic_partition_less>& committed) {
    for (auto& in : _inputs) {
        const auto it = committed.find(topic_partition{in.topic, in.partition});
        if (it != committed.end() && it->second == in.next_offset) {
            in.dirty = false;
        }
    }
}

void stream_task::flush_stores() {
    for (auto& [name, store] : _instance.stores) {
        store->flush();
    }
}

void stream_task::seal_stores() {
    for (auto& [name, store] : _instance.stores) {
        store->restore_target().seal();
    }
}

} // namespace brook
