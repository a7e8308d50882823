#include "engine/runtime/stream_task.h"

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>

#include "base/log.h"
#include "engine/errors.h"
#include "engine/runtime/commit_metadata.h"
#include "engine/runtime/progress_marker.h"
#include "engine/runtime/topic_layout.h"
#include "engine/serde/serde.h"
#include "engine/text/safe_text.h"

namespace brook {

namespace {

// The bytes of a queued record as a raw record; `storage` keeps its headers, if it has any.
raw_record read_message(const consumed_record& msg, headers& storage) {
    raw_record r;
    r.key = msg.key();
    r.value = msg.value();
    // -1: the record carries no timestamp
    r.timestamp = std::max<int64_t>(msg.timestamp(), 0);
    if (msg.read_headers(storage)) {
        r.headers = &storage;
    }
    r.metadata = {msg.topic(), msg.partition(), msg.offset()};
    return r;
}

} // namespace

stream_task::stream_task(task_id id, const topology& topo, task_environment env)
    : _id(id), _env(std::move(env)),
      _instance(topo.instantiate(id.subtopology, _env.application_id)),
      _output(_env.collector, this) {
    for (const store_spec& spec : topo.stores()) {
        if (spec.source && _instance.stores.contains(spec.name)) {
            _source_changelogs.emplace(spec.name, &*spec.source);
        }
    }
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
    _output.bound_event_time(_env.max_event_time_future, _env.wall_clock);
    if (_env.layout != nullptr) {
        const auto targets = _env.layout->written_by(_id.subtopology);
        _output.track(targets);
        for (const auto& [topic, partitions] : targets) {
            _marker_targets.push_back({topic, partitions});
        }
        _subtopology_tasks = _env.layout->tasks_of(_id.subtopology);
    }
}

stream_task::~stream_task() {
    try {
        close();
    } catch (const std::exception& e) {
        log_error(fmt::format("task {} failed to close: {}", _id.to_string(), e.what()));
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
    context.stream_time = [this] { return _store_time; };
    for (auto& [name, store] : _instance.stores) {
        store->init(context);
        if (_env.exactly_once) {
            store->restore_target().stage_writes();
        }
        const auto found = _source_changelogs.find(name);
        const source_changelog* source =
            found == _source_changelogs.end() ? nullptr : found->second;
        if (store->logged() || source != nullptr) {
            changelog_partition cp;
            cp.store = name;
            cp.topic =
                source != nullptr ? source->topic : changelog_topic(_env.application_id, name);
            cp.partition = _id.partition;
            cp.persistent = store->persistent();
            cp.target = &store->restore_target();
            cp.checkpoint = cp.target->checkpoint();
            cp.source = source;
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

void stream_task::commit_stores(const offset_map& committed, const acked_offsets& acked) {
    for (auto& [name, store] : _instance.stores) {
        std::optional<int64_t> checkpoint;
        for (auto& cp : _changelogs) {
            if (cp.store != name) {
                continue;
            }
            // A changelog: what the broker acknowledged. A table's source topic: the input
            // offset just committed, which the store's rows now reflect.
            std::optional<int64_t> next;
            if (cp.source != nullptr) {
                const auto it = committed.find(topic_partition{cp.topic, cp.partition});
                if (it != committed.end()) {
                    next = it->second.next.value;
                }
            } else {
                next = acked(cp.topic, cp.partition);
            }
            // Only forward: an acknowledgement older than the checkpoint is left from an
            // earlier time this thread owned the task, before another instance wrote more.
            if (next && (!cp.checkpoint || *next > *cp.checkpoint)) {
                cp.checkpoint = next;
                if (cp.persistent) {
                    checkpoint = next;
                }
            }
        }
        if (checkpoint || _env.exactly_once) {
            store->restore_target().commit_sealed(checkpoint);
        }
    }
}

void stream_task::initialize_time(const offset_map& committed) {
    for (auto& in : _inputs) {
        auto it = committed.find(in.tp);
        if (it == committed.end()) {
            continue;
        }
        const std::optional<commit_metadata> md = commit_metadata::decode(it->second.metadata);
        if (!md) {
            continue; // committed by something else: time starts unknown, as before
        }
        in.partition_time = std::max(in.partition_time, md->partition_time);
        if (in.watermark) {
            if (!md->watermark.empty() && !in.watermark->restore(md->watermark)) {
                log_warn(
                    fmt::format("task {}: the committed progress of {}'s writers does not match "
                                "this topology; learning it again from their next markers",
                                _id.to_string(), in.tp.to_string()));
            }
            in.watermark->raise_to(md->partition_time);
            in.partition_time = std::max(in.partition_time, in.watermark->value());
        }
        _stream_time = std::max(_stream_time, in.partition_time);
    }
    _store_time = _stream_time;
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
    _current_input = nullptr;
    _buffered = 0;
}

stream_task::input_partition& stream_task::input(std::string_view topic, int32_t partition) {
    for (auto& in : _inputs) {
        if (in.tp.partition == partition && in.tp.topic == topic) {
            return in;
        }
    }
    auto source = _instance.sources_by_topic.find(topic);
    if (source == _instance.sources_by_topic.end()) {
        throw topology_error(
            fmt::format("task {} has no source for topic '{}'", _id.to_string(), topic));
    }
    input_partition& in = _inputs.emplace_back();
    in.tp = {std::string(topic), partition};
    in.source = source->second;
    if (_env.layout != nullptr) {
        const auto groups = _env.layout->writer_groups(topic);
        if (!groups.empty()) {
            in.watermark = std::make_unique<fan_in_watermark>(groups);
        }
    }
    return in;
}

void stream_task::add_partition(const topic_partition& tp) {
    input(tp.topic, tp.partition);
}

bool stream_task::remove_partition(const topic_partition& tp) {
    _last_enqueued = {}; // erasing from a deque may move the other inputs
    _current_input = nullptr;
    std::erase_if(_inputs, [&](const input_partition& in) {
        if (in.tp != tp) {
            return false;
        }
        _buffered -= in.queue.size();
        return true;
    });
    return _inputs.empty();
}

std::vector<topic_partition> stream_task::partitions() const {
    std::vector<topic_partition> out;
    out.reserve(_inputs.size());
    for (const auto& in : _inputs) {
        out.push_back(in.tp);
    }
    return out;
}

void stream_task::enqueue(consumed_record r) {
    // Records come in runs of one partition: remember the last one's input.
    if (_last_enqueued.topic_key != r.topic_key() ||
        _last_enqueued.in->tp.partition != r.partition()) {
        _last_enqueued = {r.topic_key(), &input(r.topic(), r.partition())};
    }
    input_partition& in = *_last_enqueued.in;
    if (r.offset() < in.queued_to) {
        // Seen with librdkafka 2.0.x, which could fetch a partition again from an older
        // position after a pause and resume; kept as a guard with any client. The record
        // is queued or processed already: taking it again would count it twice, under
        // exactly-once too.
        if (_redelivered++ == 0) {
            log_warn(fmt::format("task {}: the consumer handed out offset {} of {} "
                                 "again (queued up to {}); dropping such repeats",
                                 _id.to_string(), r.offset(), in.tp.to_string(), in.queued_to));
        }
        return;
    }
    in.queued_to = r.offset() + 1;
    in.fetched_to = std::max(in.fetched_to, r.offset() + 1);
    in.queue.push_back(std::move(r));
    ++_buffered;
}

void stream_task::mark_end_of_partition(const topic_partition& tp, int64_t end) {
    for (auto& in : _inputs) {
        if (in.tp == tp) {
            in.fetched_to = std::max(in.fetched_to, end);
        }
    }
}

std::optional<int64_t> stream_task::lag(const input_partition& in) const {
    if (!_env.end_offset) {
        return 0; // ends never known: records are handed over as they come
    }
    if (in.fetched_to < 0) {
        return std::nullopt;
    }
    const std::optional<int64_t> end = _env.end_offset(in.tp);
    if (!end) {
        return std::nullopt;
    }
    return std::max<int64_t>(0, *end - in.fetched_to);
}

bool stream_task::ready_to_process() {
    if (_inputs.size() < 2 || _env.max_task_idle.count() < 0) {
        return true;
    }
    // As Kafka Streams' PartitionGroup#readyToProcess: an empty input whose lag is unknown
    // or positive holds the task; a caught-up one holds it until its idle deadline, which
    // stays passed (so the task goes on) until the input gets records again.
    //
    // Beyond Kafka Streams: a deadline that passed while the whole task was idle is not
    // spent on the next burst. Kafka Streams keeps it, so after an idle spell the first
    // input to get a burst is processed at once, and a burst that reaches the other input
    // a moment later (a backlog written input by input, an upstream catching up) is all
    // late. Here a task that had nothing queued on any input for max.task.idle.ms waits
    // for its empty inputs again, up to max.task.idle.ms, when records come. A steady
    // stream on one input never leaves the task empty that long, so it does not wait again.
    const auto now = std::chrono::steady_clock::now();
    const bool nothing_queued = std::all_of(
        _inputs.begin(), _inputs.end(), [](const input_partition& in) { return in.queue.empty(); });
    if (nothing_queued) {
        if (!_all_empty_since) {
            _all_empty_since = now;
        }
    } else if (_all_empty_since) {
        if (now - *_all_empty_since >= _env.max_task_idle) {
            for (auto& in : _inputs) {
                in.idle_deadline.reset();
            }
        }
        _all_empty_since.reset();
    }
    bool any_queued = false;
    for (auto& in : _inputs) {
        if (!in.queue.empty()) {
            in.idle_deadline.reset();
            any_queued = true;
            continue;
        }
        const std::optional<int64_t> behind = lag(in);
        if (!behind || *behind > 0) {
            in.idle_deadline.reset();
            return false;
        }
        if (!in.idle_deadline) {
            in.idle_deadline = now + _env.max_task_idle;
        }
        if (now < *in.idle_deadline) {
            return false;
        }
    }
    return any_queued;
}

bool stream_task::caught_up() {
    return std::all_of(_inputs.begin(), _inputs.end(), [&](const input_partition& in) {
        if (!in.queue.empty()) {
            return false;
        }
        const std::optional<int64_t> behind = lag(in);
        return behind && *behind == 0;
    });
}

void stream_task::take_markers(input_partition& in) {
    while (!in.queue.empty()) {
        const consumed_record& head = in.queue.front();
        if (!progress_marker::may_be_marker(head.key(), head.value())) {
            return;
        }
        headers hdrs;
        std::optional<progress_marker> marker;
        if (head.read_headers(hdrs)) {
            if (const auto value = hdrs.last(progress_marker::header)) {
                marker = progress_marker::parse(*value);
            }
        }
        if (!marker) {
            return; // a record with a null key and value: the source processes it
        }
        in.next_offset = head.offset() + 1;
        in.dirty = true;
        in.queue.pop_front();
        --_buffered;
        if (in.watermark->observe(*marker, _env.confirm_idle)) {
            in.partition_time = std::max(in.partition_time, in.watermark->value());
            advance_stream_time(in.partition_time);
        }
    }
}

bool stream_task::awaits_idle_confirmation() const {
    return std::any_of(_inputs.begin(), _inputs.end(), [](const input_partition& in) {
        return in.watermark && in.watermark->waits_on_idle_writers();
    });
}

void stream_task::recheck_watermarks() {
    for (auto& in : _inputs) {
        if (in.watermark && in.watermark->recompute(_env.confirm_idle)) {
            in.partition_time = std::max(in.partition_time, in.watermark->value());
            advance_stream_time(in.partition_time);
        }
    }
}

bool stream_task::process_next() {
    for (auto& in : _inputs) {
        if (in.watermark && !in.queue.empty()) {
            take_markers(in);
        }
    }
    if (!ready_to_process()) {
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
        const int64_t ts = in.queue.front().timestamp();
        if (best == nullptr || ts < best_ts) {
            best = &in;
            best_ts = ts;
        }
    }
    if (best == nullptr) {
        return false;
    }
    consumed_record msg = std::move(best->queue.front());
    best->queue.pop_front();
    best->head_due.reset();
    const std::optional<std::string> unreadable = std::exchange(best->head_unreadable, {});
    --_buffered;

    headers hdrs;
    const raw_record r = read_message(msg, hdrs);
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
        in.head_due = extract_due(in.source->due_time(), read_message(in.queue.front(), hdrs),
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
            out.push_back({in.tp, head_due(in)});
        }
    }
}

size_t stream_task::buffered(const topic_partition& tp) const {
    for (const auto& in : _inputs) {
        if (in.tp == tp) {
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
    _current_raw = &r;
    _current_input = &in;
    try {
        if (unreadable) {
            throw serde_error(*unreadable);
        }
        in.source->process_raw(r);
    } catch (const serde_error& e) {
        handle_deserialization_error(r, e);
    } catch (...) {
        _current = nullptr;
        _current_raw = nullptr;
        _current_input = nullptr;
        throw;
    }
    _current = nullptr;
    _current_raw = nullptr;
    _current_input = nullptr;
    in.next_offset = r.metadata.offset + 1;
    in.dirty = true;
    if (_env.counters != nullptr) {
        _env.counters->records_processed.fetch_add(1, std::memory_order_relaxed);
    }
    // As in Kafka Streams, stream-time punctuation runs after the record that advanced
    // stream time has been processed.
    punctuate(_stream_punctuators, _stream_time);
    _store_time = _stream_time;
}

void stream_task::handle_deserialization_error(const raw_record& r, const std::exception& e) {
    if (_env.counters != nullptr) {
        _env.counters->deserialization_errors.fetch_add(1, std::memory_order_relaxed);
    }
    headers hdrs = r.headers != nullptr ? *r.headers : headers{};
    handle_failure(
        _env.on_deserialization_error, "default.deserialization.exception.handler",
        fmt::format("cannot read the record at {}: {}", current_position(), text::safe(e.what())),
        r.key, r.value, r.timestamp, std::move(hdrs));
}

void stream_task::processing_failed(std::string_view node, const std::exception& e) {
    if (_env.counters != nullptr) {
        _env.counters->processing_errors.fetch_add(1, std::memory_order_relaxed);
    }
    const std::string reason =
        fmt::format("processor '{}' failed on the record at {}: {}", text::safe(node, 100),
                    current_position(), text::safe(e.what()));
    headers hdrs;
    nullable_bytes key;
    nullable_bytes value;
    int64_t timestamp = _stream_time > 0 ? _stream_time : _env.wall_clock();
    if (_current_raw != nullptr) {
        key = _current_raw->key;
        value = _current_raw->value;
        timestamp = _current_raw->timestamp;
        if (_current_raw->headers != nullptr) {
            hdrs = *_current_raw->headers;
        }
    }
    handle_failure(_env.on_processing_error, "processing.exception.handler", reason, key, value,
                   timestamp, std::move(hdrs));
}

void stream_task::production_failed(std::string_view topic, nullable_bytes key,
                                    nullable_bytes value, int64_t timestamp, const headers& hdrs,
                                    std::string_view reason) {
    if (_env.counters != nullptr) {
        _env.counters->production_errors.fetch_add(1, std::memory_order_relaxed);
    }
    const std::string why =
        fmt::format("cannot produce a record to '{}' (from the record at {}): {}",
                    text::safe(topic, 260), current_position(), text::safe(reason));
    headers dead_headers = hdrs;
    dead_headers.set("target-topic", text::safe(topic, 260));
    if (!key && !value && _current_raw != nullptr) {
        // It could not even be serialized: dead-letter the record that made it.
        key = _current_raw->key;
        value = _current_raw->value;
    }
    handle_failure(_env.on_production_error, "default.production.exception.handler", why, key,
                   value, timestamp, std::move(dead_headers));
}

void stream_task::event_time_refused(std::string_view topic, nullable_bytes key,
                                     nullable_bytes value, int64_t timestamp, const headers& hdrs,
                                     int64_t ahead_ms) {
    if (_env.counters != nullptr) {
        _env.counters->deserialization_errors.fetch_add(1, std::memory_order_relaxed);
    }
    const std::string reason = fmt::format(
        "cannot read the record at {}: the topology gave it the event time {} for '{}', {} ms "
        "ahead of the wall clock, more than max.event.time.future.ms ({})",
        current_position(), timestamp, text::safe(topic, 260), ahead_ms,
        _env.max_event_time_future.count());
    if (_current_raw != nullptr) {
        // The record as it came in, as the check at a source sends it.
        handle_failure(_env.on_deserialization_error, "default.deserialization.exception.handler",
                       reason, _current_raw->key, _current_raw->value, _current_raw->timestamp,
                       _current_raw->headers != nullptr ? *_current_raw->headers : headers{});
        return;
    }
    // A punctuator's record: there is no input record, so the one it made.
    handle_failure(_env.on_deserialization_error, "default.deserialization.exception.handler",
                   reason, key, value, timestamp, hdrs);
}

std::string stream_task::current_position() const {
    if (_current == nullptr) {
        return "a punctuator";
    }
    return fmt::format("{}-{} offset {}", text::safe(_current->topic, 260), _current->partition,
                       _current->offset);
}

void stream_task::handle_failure(error_handler handler, std::string_view what,
                                 const std::string& reason, nullable_bytes key,
                                 nullable_bytes value, int64_t timestamp, headers hdrs) {
    switch (handler) {
    case error_handler::fail:
        throw handler_failure(fmt::format("task {}: {} (set {} to log_and_continue or "
                                          "dead_letter to skip such records)",
                                          _id.to_string(), reason, what));
    case error_handler::log_and_continue:
        // The first few, then one in a thousand: a stream of bad records must not flood
        // the log (the counters have every one).
        if (_failures_logged < 10 || _failures_logged % 1000 == 0) {
            log_warn(fmt::format("task {}: skipping a record: {}", _id.to_string(), reason));
        }
        ++_failures_logged;
        return;
    case error_handler::dead_letter:
        break;
    }
    hdrs.set("error", reason);
    if (_current != nullptr) {
        hdrs.set("source-topic", text::safe(_current->topic, 260));
        hdrs.set("source-partition", std::to_string(_current->partition));
        hdrs.set("source-offset", std::to_string(_current->offset));
    }
    // A record the producer would refuse again is cut down to what fits, the reason kept:
    // the largest of its value, key and headers is left out first (a value or key replaced
    // by a note of its size, the headers by the few this handler writes), then the next.
    // Largest first, so that a 1 MB header does not cost the record its key, which is
    // often what tells which record it was.
    if (const std::optional<size_t> limit = _env.collector->record_size_limit()) {
        constexpr size_t overhead = 512; // record framing and the headers added here
        const auto headers_size = [](const headers& h) {
            size_t n = 0;
            for (const auto& [name, v] : h) {
                n += name.size() + (v ? v->size() : 0) + 8;
            }
            return n;
        };
        const auto total = [&] {
            return (key ? key->size() : 0) + (value ? value->size() : 0) + headers_size(hdrs) +
                   overhead;
        };
        std::string value_note;
        std::string key_note;
        bool headers_cut = false;
        while (total() > *limit) {
            // What each part would free; 0 once it is left out (or absent).
            const size_t value_part = value && value_note.empty() ? value->size() : 0;
            const size_t key_part = key && key_note.empty() ? key->size() : 0;
            const size_t headers_part = headers_cut ? 0 : headers_size(hdrs);
            if (value_part == 0 && key_part == 0 && headers_part == 0) {
                break; // nothing left to leave out: the producer decides
            }
            if (value_part >= key_part && value_part >= headers_part) {
                hdrs.set("value-bytes", std::to_string(value->size()));
                value_note =
                    fmt::format("[value of {} bytes left out: too large to write]", value->size());
                value = value_note;
            } else if (key_part >= headers_part) {
                hdrs.set("key-bytes", std::to_string(key->size()));
                key_note =
                    fmt::format("[key of {} bytes left out: too large to write]", key->size());
                key = key_note;
            } else {
                headers kept;
                for (const char* name :
                     {"error", "source-topic", "source-partition", "source-offset", "target-topic",
                      "value-bytes", "key-bytes"}) {
                    if (auto v = hdrs.last(name)) {
                        kept.add(name, std::string(*v));
                    }
                }
                kept.add("headers-left-out", std::to_string(hdrs.size() - kept.size()));
                hdrs = std::move(kept);
                headers_cut = true;
            }
        }
        send_dead_letter(key, value, timestamp, hdrs, reason);
        return;
    }
    send_dead_letter(key, value, timestamp, hdrs, reason);
}

void stream_task::send_dead_letter(nullable_bytes key, nullable_bytes value, int64_t timestamp,
                                   const headers& hdrs, const std::string& reason) {
    const std::string& topic =
        _env.dead_letter_topic.empty() ? _env.application_id + "-dlq" : _env.dead_letter_topic;
    // A record whose own time cannot be written (0 or negative) is dead-lettered at the
    // time it failed; its reason says what the time was.
    const int64_t stamped = timestamp > 0 ? timestamp : _env.wall_clock();
    try {
        _env.collector->send(topic, key, value, stamped, hdrs, std::nullopt);
    } catch (const production_error& e) {
        throw handler_failure(fmt::format("task {}: the dead-letter record for '{}' could not "
                                          "be written to '{}' either: {}",
                                          _id.to_string(), reason, topic, e.what()));
    }
    if (_env.counters != nullptr) {
        _env.counters->dead_lettered.fetch_add(1, std::memory_order_relaxed);
    }
}

void stream_task::observe_record_timestamp(int64_t timestamp) {
    if (_env.max_event_time_future.count() >= 0 && _current != nullptr) {
        const int64_t now = _env.wall_clock();
        if (timestamp > now && timestamp - now > _env.max_event_time_future.count()) {
            // Before stream time moves: one record from year 33658 would make every later
            // record of the task late.
            throw serde_error(
                fmt::format("its event time {} is {} ms ahead of the wall clock, more than "
                            "max.event.time.future.ms ({})",
                            timestamp, timestamp - now, _env.max_event_time_future.count()));
        }
    }
    _current_timestamp = timestamp;
    if (_current_input != nullptr) {
        if (_current_input->watermark) {
            return; // a repartition input's time is its watermark, not its records'
        }
        _current_input->partition_time = std::max(_current_input->partition_time, timestamp);
    }
    _stream_time = std::max(_stream_time, timestamp);
}

void stream_task::advance_stream_time(int64_t time) {
    if (time <= _stream_time) {
        return;
    }
    _stream_time = time;
    if (_initialized) {
        punctuate(_stream_punctuators, _stream_time);
    }
    _store_time = _stream_time;
}

void stream_task::punctuate(std::vector<scheduled>& list, int64_t now) {
    if (now < 0 || list.empty()) {
        return;
    }
    std::erase_if(list, [](const scheduled& s) { return *s.cancelled; });
    // Index loop: a punctuator may schedule more punctuators.
    for (size_t i = 0; i < list.size(); ++i) {
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

void stream_task::send_progress_markers(bool heartbeat) {
    if (_marker_targets.empty() || !_initialized) {
        return;
    }
    const bool idle = caught_up();
    std::vector<int64_t> ends;
    if (idle) {
        // How far each input was consumed, in the order of the sub-topology's sources, so
        // that readers can tell whether records came in since (fan_in_watermark.h).
        for (const auto& topic : _env.layout->sources_of(_id.subtopology)) {
            int64_t end = -1;
            for (const auto& in : _inputs) {
                if (in.tp.topic == topic) {
                    end = in.fetched_to;
                }
            }
            ends.push_back(end);
        }
    }
    const int64_t wall = _env.wall_clock();
    for (auto& target : _marker_targets) {
        // The time of the records this task wrote there, not its input's: processors may
        // give records other timestamps than their inputs had.
        const int64_t time = _output.largest_timestamp(target.topic);
        if (!heartbeat && time == target.marked_time && idle == target.marked_idle) {
            continue;
        }
        progress_marker m;
        m.subtopology = _id.subtopology;
        m.partition = _id.partition;
        m.tasks = _subtopology_tasks;
        m.stream_time = time;
        m.idle = idle;
        m.wall_ms = wall;
        m.ends = ends;
        headers hdrs;
        hdrs.add(std::string(progress_marker::header), m.encode());
        // A marker's own timestamp means nothing; 0 would make librdkafka stamp it "now".
        const int64_t timestamp = time > 0 ? time : wall;
        for (int32_t p = 0; p < target.partitions; ++p) {
            _env.collector->send(target.topic, std::nullopt, std::nullopt, timestamp, hdrs, p);
        }
        target.marked_time = time;
        target.marked_idle = idle;
    }
}

cancellable stream_task::schedule(std::chrono::milliseconds interval, punctuation_type type,
                                  punctuator fn) {
    if (interval.count() < 1) {
        throw topology_error(
            fmt::format("punctuation interval must be at least 1 ms, got {}", interval.count()));
    }
    auto cancelled = std::make_shared<bool>(false);
    const bool stream = type == punctuation_type::stream_time;
    // As Kafka Streams: a stream-time schedule is aligned to 0, so it fires as soon as the
    // task has a stream time (the next record, or a watermark that moves it), then at each
    // multiple of the interval; a wall-clock one first fires an interval from now.
    const int64_t first = stream ? 0 : _env.wall_clock() + interval.count();
    scheduled s{interval.count(), first, std::move(fn), cancelled};
    (stream ? _stream_punctuators : _wall_punctuators).push_back(std::move(s));
    return cancellable(cancelled);
}

state::state_store* stream_task::find_store(std::string_view name) {
    auto it = _instance.stores.find(name);
    if (it != _instance.stores.end()) {
        return it->second.get();
    }
    return _env.global_store ? _env.global_store(name) : nullptr;
}

state::state_store& stream_task::store(std::string_view name) {
    if (state::state_store* found = find_store(name)) {
        return *found;
    }
    throw topology_error(fmt::format("task {} has no store named '{}'; connect it to the "
                                     "processor with add_state_store/connect_store",
                                     _id.to_string(), name));
}

offset_map stream_task::prepare_commit(bool seal) {
    for (auto& [name, store] : _instance.stores) {
        store->flush();
    }
    _commit_requested = false;
    offset_map out;
    for (const auto& in : _inputs) {
        if (!in.dirty) {
            continue;
        }
        commit_metadata md;
        md.partition_time = in.partition_time;
        if (in.watermark) {
            md.watermark = in.watermark->encode();
        }
        out.emplace(in.tp, committed_position{record_offset(in.next_offset), md.encode()});
    }
    if (seal) {
        for (auto& [name, store] : _instance.stores) {
            store->restore_target().seal();
        }
    }
    return out;
}

void stream_task::post_commit(const offset_map& committed, const acked_offsets& acked) {
    commit_stores(committed, acked);
    for (auto& in : _inputs) {
        const auto it = committed.find(in.tp);
        if (it != committed.end() && it->second.next.value == in.next_offset) {
            in.dirty = false;
        }
    }
}

} // namespace brook
