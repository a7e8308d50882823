#include "ops/ops_endpoint.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <stdexcept>

#include <fmt/format.h>

#include "base/log.h"
#include "engine/errors.h"
#include "engine/text/safe_text.h"
#include "ops/http_client.h"
#include "state/key_value_store.h"
#include "state/session_store.h"
#include "state/window_store.h"

namespace brook {

namespace {

using nlohmann::json;

// Keys come from URLs and values from user serdes: neither need be UTF-8, and dump()
// would throw on invalid sequences, so they are replaced instead.
std::string dump(const json& doc) {
    return doc.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

http_response json_response(int status, const json& doc) {
    http_response r;
    r.status = status;
    r.content_type = "application/json";
    r.body = dump(doc);
    return r;
}

http_response json_error(int status, const std::string& message) {
    return json_response(status, json{{"error", message}});
}

// 503 with the reason, and when to ask again: the answer may come once a rebalance or a
// restore is over.
http_response unavailable(const std::string& why) {
    http_response r = json_error(503, why);
    r.headers.emplace_back("Retry-After", "1");
    return r;
}

const char* kind_name(queryable_kind k) {
    switch (k) {
    case queryable_kind::key_value:
        return "key-value";
    case queryable_kind::window:
        return "window";
    case queryable_kind::session:
        return "session";
    }
    return "unknown";
}

// A time bound from the query: absent -> `fallback`; otherwise a decimal count of epoch
// milliseconds >= 0, or an error message.
std::optional<int64_t> time_param(const http_request& request, std::string_view name,
                                  int64_t fallback, std::string& error) {
    const std::optional<std::string_view> text = request.param(name);
    if (!text) {
        return fallback;
    }
    int64_t value = 0;
    const char* end = text->data() + text->size();
    const auto [ptr, ec] = std::from_chars(text->data(), end, value);
    if (text->empty() || ec != std::errc() || ptr != end || value < 0) {
        error = fmt::format("'{}' must be epoch milliseconds, a whole number >= 0; got '{}'", name,
                            *text);
        return std::nullopt;
    }
    return value;
}

// What a visit found, copied out of the store on the stream thread (rendered later, on
// the server's thread).
struct found_entry {
    int64_t start = 0;
    int64_t end = 0;
    std::string value;
};

constexpr std::array<streams_state, 6> all_states = {
    streams_state::created,          streams_state::rebalancing, streams_state::running,
    streams_state::pending_shutdown, streams_state::not_running, streams_state::error};

bool alive(streams_state s) {
    return s != streams_state::error && s != streams_state::not_running;
}

} // namespace

ops_endpoint::ops_endpoint(kafka_streams& streams, ops_endpoint_options options)
    : _streams(streams), _options(std::move(options)) {
    if (_options.query_timeout.count() <= 0) {
        throw std::invalid_argument("ops_endpoint: query_timeout must be positive");
    }
    if (_options.max_results == 0) {
        throw std::invalid_argument("ops_endpoint: max_results must be positive");
    }
    _server = std::make_unique<http_server>(
        _options.http, [this](const http_request& request) { return handle(request); });
}

ops_endpoint::~ops_endpoint() {
    stop();
}

void ops_endpoint::start() {
    _server->start();
}

void ops_endpoint::stop() {
    _server->stop();
}

uint16_t ops_endpoint::port() const {
    return _server->port();
}

void ops_endpoint::add_store(detail::queryable_store store) {
    if (store.name.empty()) {
        throw std::invalid_argument("ops_endpoint: a queryable store needs a name");
    }
    if (store.kind == queryable_kind::window && store.window_size_ms < 0) {
        throw std::invalid_argument(fmt::format(
            "ops_endpoint: window store '{}' needs a positive window size", store.name));
    }
    std::lock_guard lock(_mutex);
    for (const auto& s : _stores) {
        if (s->name == store.name) {
            throw std::invalid_argument(
                fmt::format("ops_endpoint: store '{}' is registered already", store.name));
        }
    }
    _stores.push_back(std::make_shared<const detail::queryable_store>(std::move(store)));
}

std::shared_ptr<const detail::queryable_store>
ops_endpoint::find_store(std::string_view name) const {
    std::lock_guard lock(_mutex);
    for (const auto& s : _stores) {
        if (s->name == name) {
            return s;
        }
    }
    return nullptr;
}

void ops_endpoint::add_metrics_source(std::function<void(prometheus_writer&)> source) {
    if (!source) {
        throw std::invalid_argument("ops_endpoint: add_metrics_source needs a function");
    }
    std::lock_guard lock(_mutex);
    _sources.push_back(std::move(source));
    _source_errors.emplace_back();
}

http_response ops_endpoint::handle(const http_request& request) {
    const auto& seg = request.segments;
    if (seg.size() == 1) {
        const std::string& route = seg[0];
        if (route == "metrics") {
            return metrics();
        }
        if (route == "health") {
            return health();
        }
        if (route == "ready") {
            return ready();
        }
        if (route == "topology") {
            return http_response::text(200, _streams.get_topology().describe());
        }
        if (route == "stores") {
            return stores();
        }
        if (route.empty()) {
            return json_response(
                200, json{{"routes",
                           {"/metrics", "/health", "/ready", "/topology", "/stores",
                            "/stores/<store>", "/stores/<store>/keys/<key>[?from=<ms>&to=<ms>]",
                            "/metadata/<store>/<key>"}}});
        }
    }
    if (seg.size() == 3 && seg[0] == "metadata" && !seg[1].empty()) {
        return metadata(seg[1], seg[2]);
    }
    if (!seg.empty() && seg[0] == "stores") {
        if (seg.size() == 2) {
            if (seg[1].empty()) {
                return stores();
            }
            return store_info(seg[1]);
        }
        if (seg.size() == 4 && seg[2] == "keys" && !seg[1].empty()) {
            return query(seg[1], seg[3], request);
        }
        return json_error(400, "malformed store path: use /stores/<store>/keys/<key> with the "
                               "store and key percent-encoded (a '/' in a key is %2F)");
    }
    return json_error(404, fmt::format("no route {}; GET / lists the routes", request.path));
}

http_response ops_endpoint::metrics() {
    const streams_metrics m = _streams.metrics();
    const streams_state state = _streams.state();
    prometheus_writer w;
    using t = prometheus_type;

    w.family("brook_records_consumed_total", t::counter, "Records read from each input topic.");
    for (const auto& [topic, n] : m.records_consumed) {
        w.sample("brook_records_consumed_total", {{"topic", topic}}, n);
    }
    w.family("brook_records_produced_total", t::counter,
             "Records written to each topic and acknowledged by the broker (output, "
             "repartition, changelog and dead-letter topics).");
    for (const auto& [topic, n] : m.records_produced) {
        w.sample("brook_records_produced_total", {{"topic", topic}}, n);
    }
    w.single("brook_records_processed_total", t::counter, "Records processed by the topology.",
             m.records_processed);

    const auto summary = [&](const char* name, const char* help, const latency_total& l) {
        w.family(name, t::summary, help);
        w.sample(std::string(name) + "_count", {}, l.count);
        w.sample(std::string(name) + "_sum", {}, static_cast<double>(l.sum_us) / 1e6);
    };
    summary("brook_process_latency_seconds", "Time spent processing records, one per record.",
            m.process_latency);
    summary("brook_commit_latency_seconds",
            "Time each commit took (offsets, or the transaction, end to end).", m.commit_latency);
    w.single("brook_commits_total", t::counter, "Commits completed.", m.commits);

    w.family("brook_consumer_lag", t::gauge,
             "Records between the consumer's position and the end of each input partition "
             "(absent while not known).");
    for (const auto& l : m.lag) {
        if (l.lag >= 0) {
            const std::string partition = std::to_string(l.partition);
            w.sample("brook_consumer_lag", {{"topic", l.topic}, {"partition", partition}}, l.lag);
        }
    }
    w.family("brook_consumer_position", t::gauge,
             "The next offset the consumer fetches from each input partition.");
    for (const auto& l : m.lag) {
        if (l.position >= 0) {
            const std::string partition = std::to_string(l.partition);
            w.sample("brook_consumer_position", {{"topic", l.topic}, {"partition", partition}},
                     l.position);
        }
    }
    w.family("brook_consumer_end_offset", t::gauge,
             "The end of each input partition (last stable offset under read_committed).");
    for (const auto& l : m.lag) {
        if (l.end_offset >= 0) {
            const std::string partition = std::to_string(l.partition);
            w.sample("brook_consumer_end_offset", {{"topic", l.topic}, {"partition", partition}},
                     l.end_offset);
        }
    }

    w.single("brook_records_restored_total", t::counter,
             "Records replayed from changelog topics into local stores.", m.records_restored);
    w.single("brook_restore_remaining_records", t::gauge,
             "Records still to replay for the stores restoring now.", m.restore_remaining);
    w.single("brook_stores_restoring", t::gauge, "Task stores restoring now.", m.stores_restoring);
    w.single("brook_standby_tasks", t::gauge,
             "Standby replicas of other instances' tasks kept here (num.standby.replicas).",
             m.standbys.size());
    w.family("brook_standby_lag_records", t::gauge,
             "Changelog records each standby replica has not applied yet (absent while its "
             "changelog's end is not known).");
    for (const auto& s : m.standbys) {
        if (s.lag >= 0) {
            w.sample("brook_standby_lag_records",
                     {{"task", task_id{s.subtopology, s.partition}.to_string()}}, s.lag);
        }
    }
    w.single("brook_standby_records_applied_total", t::counter,
             "Changelog records applied to standby replicas.", m.standby_records_applied);
    w.single("brook_late_records_dropped_total", t::counter,
             "Records dropped because their window had closed.", m.late_records_dropped);
    w.single("brook_null_records_skipped_total", t::counter,
             "Records skipped for a null key or value where they have no meaning (KIP-962).",
             m.null_records_skipped);
    w.single("brook_dead_lettered_total", t::counter, "Records sent to a dead-letter topic.",
             m.dead_lettered);
    w.single("brook_deserialization_errors_total", t::counter,
             "Records whose key or value could not be deserialized.", m.deserialization_errors);
    w.single("brook_processing_errors_total", t::counter,
             "Records a processor threw on (processing.exception.handler decided).",
             m.processing_errors);
    w.single("brook_production_errors_total", t::counter,
             "Records that could not be produced (default.production.exception.handler decided).",
             m.production_errors);
    w.single("brook_transactions_committed_total", t::counter, "Kafka transactions committed.",
             m.transactions_committed);
    w.single("brook_transactions_aborted_total", t::counter, "Kafka transactions aborted.",
             m.transactions_aborted);
    w.single("brook_tasks", t::gauge, "Tasks assigned to this instance.", m.tasks);
    w.single("brook_threads", t::gauge, "Stream threads of this instance.", m.threads);
    w.family("brook_state", t::gauge, "The application's state: 1 for the current one, else 0.");
    for (const streams_state s : all_states) {
        w.sample("brook_state", {{"state", to_string(s)}}, s == state ? 1 : 0);
    }
    w.single("brook_ready", t::gauge,
             "1 when RUNNING with no store restoring and no stream thread stuck, else 0.",
             _streams.ready() ? 1 : 0);
    w.single("brook_live", t::gauge,
             "1 while no stream thread is dead or stuck and the state is not ERROR, else 0.",
             _streams.live() ? 1 : 0);
    w.family("brook_thread_stuck", t::gauge,
             "1 for a stream thread whose loop has not come around for stall.timeout.ms or whose "
             "commits keep failing (see /health for why), else 0.");
    for (const auto& h : _streams.thread_healths()) {
        w.sample("brook_thread_stuck", {{"thread", std::to_string(h.thread)}},
                 h.stuck || !h.alive ? 1 : 0);
    }

    std::vector<std::function<void(prometheus_writer&)>> sources;
    {
        std::lock_guard lock(_mutex);
        sources = _sources;
    }
    int failed = 0;
    for (size_t i = 0; i < sources.size(); ++i) {
        prometheus_writer part;
        std::string error;
        try {
            sources[i](part);
            w.merge(std::move(part));
        } catch (const std::exception& e) {
            ++failed;
            error = e.what();
        }
        std::lock_guard lock(_mutex);
        if (_source_errors[i] != error && !error.empty()) {
            log_warn(fmt::format("http: metrics source {} failed and is left out of /metrics "
                                 "(logged again only when the error changes): {}",
                                 i, error));
        }
        _source_errors[i] = std::move(error);
    }
    w.single("brook_metrics_sources_failed", t::gauge,
             "Metrics sources left out of this answer because they failed.", failed);

    http_response r;
    r.content_type = std::string(prometheus_content_type);
    r.body = w.take();
    return r;
}

namespace {

// The threads that are not well, and why, for /health and /ready.
json thread_problems(const std::vector<thread_health>& healths) {
    json out = json::array();
    for (const auto& h : healths) {
        if (!h.alive || h.stuck) {
            out.push_back({{"thread", h.thread},
                           {"alive", h.alive},
                           {"stuck", h.stuck},
                           {"reason", h.reason}});
        }
    }
    return out;
}

} // namespace

http_response ops_endpoint::health() const {
    const streams_state s = _streams.state();
    const bool live = alive(s) && _streams.live();
    json body{{"status", live ? "UP" : "DOWN"}, {"state", to_string(s)}};
    if (s == streams_state::error) {
        body["reason"] = _streams.error_reason();
    }
    const json problems = thread_problems(_streams.thread_healths());
    if (!problems.empty()) {
        body["threads"] = problems;
        if (!body.contains("reason")) {
            body["reason"] = problems.front()["reason"];
        }
    }
    return json_response(live ? 200 : 503, body);
}

http_response ops_endpoint::ready() const {
    const bool is_ready = _streams.ready();
    const streams_metrics m = _streams.metrics();
    json body{{"ready", is_ready},
              {"state", to_string(_streams.state())},
              {"stores_restoring", m.stores_restoring},
              {"restore_remaining", m.restore_remaining}};
    const json problems = thread_problems(_streams.thread_healths());
    if (!problems.empty()) {
        body["threads"] = problems;
        body["reason"] = problems.front()["reason"];
    }
    return json_response(is_ready ? 200 : 503, body);
}

namespace {

json describe(const detail::queryable_store& s) {
    json out{{"name", s.name}, {"kind", kind_name(s.kind)}, {"timestamped", s.timestamped}};
    if (s.kind == queryable_kind::window && s.window_size_ms > 0) {
        out["window_size_ms"] = s.window_size_ms; // else known only to the store
    }
    return out;
}

} // namespace

http_response ops_endpoint::stores() const {
    json list = json::array();
    {
        std::lock_guard lock(_mutex);
        for (const auto& s : _stores) {
            list.push_back(describe(*s));
        }
    }
    return json_response(200, json{{"stores", std::move(list)}});
}

http_response ops_endpoint::store_info(std::string_view name) const {
    const auto s = find_store(name);
    if (!s) {
        return json_error(404,
                          fmt::format("no queryable store '{}'; GET /stores lists them", name));
    }
    return json_response(200, describe(*s));
}

std::optional<http_response>
ops_endpoint::find_key(std::string_view store_name, std::string_view key_text,
                       std::shared_ptr<const detail::queryable_store>& store,
                       std::string& key) const {
    store = find_store(store_name);
    if (!store) {
        return json_error(
            404, fmt::format("no queryable store '{}'; GET /stores lists them", store_name));
    }
    std::string error;
    std::optional<std::string> encoded = store->encode_key(key_text, error);
    if (!encoded) {
        return json_error(
            400, fmt::format("'{}' is not a key of store '{}': {}", key_text, store_name, error));
    }
    key = std::move(*encoded);
    return std::nullopt;
}

http_response ops_endpoint::query(std::string_view store_name, std::string_view key_text,
                                  const http_request& request) {
    std::shared_ptr<const detail::queryable_store> s;
    std::string key;
    if (auto refused = find_key(store_name, key_text, s, key)) {
        return std::move(*refused);
    }
    // Which instance runs the task that holds the key (query_metadata_for_key). This one's
    // tasks are searched first, all of them: the key's task is where Kafka's default
    // partitioner puts it, but a store fed straight from a topic another partitioner wrote
    // (librdkafka's own, say) holds it where that one put it, and a value found here is
    // the store's value either way. Not found here, the query is passed on once to the
    // owner ("forwarded" marks it), or answered 503 with the reason when there is none.
    std::optional<key_query_metadata> md;
    std::string unknown_owner;
    try {
        md = _streams.query_metadata_for_key(s->name, key);
    } catch (const streams_error& e) {
        unknown_owner = e.what();
    }

    constexpr int64_t forever = std::numeric_limits<int64_t>::max();
    int64_t from = 0;
    int64_t to = forever;
    if (s->kind != queryable_kind::key_value) {
        std::string error;
        const std::optional<int64_t> f = time_param(request, "from", 0, error);
        const std::optional<int64_t> t = f ? time_param(request, "to", forever, error) : f;
        if (!f || !t) {
            return json_error(400, error);
        }
        if (*f > *t) {
            return json_error(400, fmt::format("'from' ({}) is after 'to' ({})", *f, *t));
        }
        from = *f;
        to = *t;
    }

    // Runs on the stream threads: copy bytes out, nothing else; errors are kept, not
    // thrown across threads.
    std::vector<found_entry> found;
    bool truncated = false;
    std::string visit_error;
    const size_t limit = _options.max_results;
    bool visited_owner = false;
    const auto visit = [&](const task_id& task, state::state_store& handed) {
        if (!visit_error.empty()) {
            return;
        }
        if (md && task == md->task) {
            visited_owner = true;
        }
        try {
            state::state_store& store = s->byte_stack ? s->byte_stack(handed) : handed;
            const auto add = [&](int64_t start, int64_t end, std::string_view value) {
                if (found.size() >= limit) {
                    truncated = true;
                    return false;
                }
                found.push_back({start, end, std::string(value)});
                return true;
            };
            switch (s->kind) {
            case queryable_kind::key_value:
                if (auto* kv = dynamic_cast<state::key_value_store*>(&store)) {
                    if (std::optional<std::string> v = kv->get(key)) {
                        found.push_back({0, 0, std::move(*v)});
                    }
                    return;
                }
                break;
            case queryable_kind::window:
                if (auto* ws = dynamic_cast<state::window_store*>(&store)) {
                    int64_t size = s->window_size_ms;
                    if (size <= 0 && s->store_window_size) {
                        size = s->store_window_size(handed);
                    }
                    if (size <= 0) {
                        visit_error = fmt::format(
                            "the window size of store '{}' is not known: register it with its "
                            "window size",
                            s->name);
                        return;
                    }
                    ws->fetch(key, from, to, [&](int64_t start, std::string_view value) {
                        return add(start, start + size, value);
                    });
                    return;
                }
                break;
            case queryable_kind::session:
                if (auto* ss = dynamic_cast<state::session_store*>(&store)) {
                    ss->find_sessions(key, from, to,
                                      [&](int64_t start, int64_t end, std::string_view value) {
                                          return add(start, end, value);
                                      });
                    return;
                }
                break;
            }
            visit_error = fmt::format(
                "store '{}' is not a {} store with the key, value and serde types it was "
                "registered with; register it with the add_*_store that matches how it was "
                "built (DSL aggregations keep timestamped stores)",
                s->name, kind_name(s->kind));
        } catch (const std::exception& e) {
            visit_error = fmt::format("reading store '{}' failed: {}", s->name, e.what());
        }
    };

    std::optional<size_t> visited;
    try {
        visited = _streams.query_store(s->name, visit, _options.query_timeout);
    } catch (const streams_error& e) {
        return unavailable(fmt::format("store '{}' cannot be queried now: {}", s->name, e.what()));
    }
    if (!visited) {
        return json_error(404, fmt::format("store '{}' is registered here but the topology has "
                                           "no store by that name",
                                           s->name));
    }
    if (!visit_error.empty()) {
        return json_error(500, visit_error);
    }
    // ?stale=true: the caller accepts an answer from a standby replica (Kafka Streams'
    // stale stores) when the active task cannot answer; the answer says so, with its lag.
    const std::optional<std::string_view> stale_param = request.param("stale");
    const bool stale_ok = stale_param && (*stale_param == "true" || *stale_param == "1");
    std::optional<int64_t> standby_lag;
    if (found.empty() && md) {
        std::optional<http_response> refused;
        if (!md->has_active()) {
            refused = unavailable(
                fmt::format("key '{}' of store '{}': {}; retry", key_text, s->name, md->reason));
        } else if (!md->active_is_local) {
            if (request.param("forwarded")) {
                refused = unavailable(fmt::format(
                    "key '{}' of store '{}' was passed on to this instance, but task {} runs in "
                    "process {} now (it moved); retry",
                    key_text, s->name, md->task.to_string(), md->active_process_id));
            } else {
                http_response answer = forward(*md, request);
                if (answer.status != 503 || !stale_ok) {
                    return answer;
                }
                refused = std::move(answer);
            }
        } else if (!visited_owner) {
            refused = unavailable(fmt::format(
                "task {}, which holds key '{}' of store '{}', runs here but is not processing "
                "yet (restoring or starting); retry",
                md->task.to_string(), key_text, s->name));
        }
        if (refused && !stale_ok) {
            return std::move(*refused);
        }
        if (refused && md->standby_is_local) {
            found.clear();
            truncated = false;
            standby_lag = _streams.query_standby_store(s->name, md->task, visit);
            if (!standby_lag) {
                return std::move(*refused); // the standby here is not open or not measured yet
            }
            if (!visit_error.empty()) {
                return json_error(500, visit_error);
            }
            const int64_t acceptable = _streams.config().acceptable_recovery_lag();
            if (*standby_lag > acceptable) {
                return unavailable(fmt::format(
                    "the active task {} cannot answer ({}), and this instance's standby of it "
                    "is {} changelog records behind, more than acceptable.recovery.lag ({}); "
                    "retry",
                    md->task.to_string(), refused->body, *standby_lag, acceptable));
            }
        } else if (refused) {
            if (!request.param("forwarded")) {
                for (size_t i = 0; i < md->standby_servers.size(); ++i) {
                    http_response answer = forward_to(md->task, md->standby_servers[i],
                                                      md->standby_process_ids[i], request);
                    if (answer.status != 503) {
                        return answer;
                    }
                }
            }
            return std::move(*refused);
        }
    }
    if (found.empty() && !unknown_owner.empty()) {
        return unavailable(fmt::format("key '{}' has no value in store '{}' on this instance, and "
                                       "which instance holds it cannot be told: {}",
                                       key_text, s->name, unknown_owner));
    }
    if (found.empty() && standby_lag) {
        return json_error(404, fmt::format("key '{}' has no value in store '{}' in this "
                                           "instance's standby of task {}, which is {} changelog "
                                           "records behind",
                                           key_text, s->name, md->task.to_string(), *standby_lag));
    }
    if (found.empty()) {
        return json_error(
            404, s->kind == queryable_kind::key_value
                     ? fmt::format("key '{}' has no value in store '{}' on this instance", key_text,
                                   s->name)
                     : fmt::format(
                           "key '{}' has no {} in store '{}' on this instance{}", key_text,
                           s->kind == queryable_kind::window ? "windows" : "sessions", s->name,
                           request.param("from") || request.param("to") ? " between 'from' and 'to'"
                                                                        : ""));
    }

    json body{{"store", s->name}, {"key", std::string(key_text)}};
    if (standby_lag) {
        // Not the active task's answer: a standby's, up to its lag behind.
        body["stale"] = true;
        body["standby_lag"] = *standby_lag;
    }
    try {
        if (s->kind == queryable_kind::key_value) {
            // A key lives in one partition, so in one instance; the first one found wins.
            s->render_value(found.front().value, body);
            return json_response(200, body);
        }
        const bool windows = s->kind == queryable_kind::window;
        std::stable_sort(found.begin(), found.end(), [&](const auto& a, const auto& b) {
            return windows ? a.start < b.start
                           : std::pair(a.end, a.start) < std::pair(b.end, b.start);
        });
        json list = json::array();
        for (const auto& f : found) {
            json entry = windows ? json{{"window_start", f.start}, {"window_end", f.end}}
                                 : json{{"session_start", f.start}, {"session_end", f.end}};
            s->render_value(f.value, entry);
            list.push_back(std::move(entry));
        }
        if (request.param("from")) {
            body["from"] = from;
        }
        if (request.param("to")) {
            body["to"] = to;
        }
        body[windows ? "windows" : "sessions"] = std::move(list);
        body["truncated"] = truncated;
        return json_response(200, body);
    } catch (const std::exception& e) {
        return json_error(500, fmt::format("store '{}' holds a value its value serde or renderer "
                                           "cannot read: {}",
                                           s->name, e.what()));
    }
}

http_response ops_endpoint::metadata(std::string_view store_name, std::string_view key_text) {
    std::shared_ptr<const detail::queryable_store> s;
    std::string key;
    if (auto refused = find_key(store_name, key_text, s, key)) {
        return std::move(*refused);
    }
    std::optional<key_query_metadata> md;
    try {
        md = _streams.query_metadata_for_key(s->name, key);
    } catch (const streams_error& e) {
        return unavailable(e.what());
    }
    if (!md) {
        return json_error(404, fmt::format("store '{}' is registered here but the topology has "
                                           "no store by that name",
                                           s->name));
    }
    json body{{"store", s->name},
              {"key", std::string(key_text)},
              {"task", md->task.to_string()},
              {"partition", md->partition}};
    json standbys = json::array();
    for (size_t i = 0; i < md->standby_process_ids.size(); ++i) {
        standbys.push_back(json{{"process_id", md->standby_process_ids[i]},
                                {"application_server", md->standby_servers[i]},
                                {"local", md->standby_process_ids[i] == _streams.process_id()}});
    }
    body["standbys"] = std::move(standbys);
    if (md->has_active()) {
        body["active"] = json{{"process_id", md->active_process_id},
                              {"application_server", md->active_server},
                              {"local", md->active_is_local}};
    } else {
        body["active"] = nullptr;
        body["reason"] = md->reason;
    }
    return json_response(200, body);
}

http_response ops_endpoint::forward(const key_query_metadata& md, const http_request& request) {
    return forward_to(md.task, md.active_server, md.active_process_id, request);
}

http_response ops_endpoint::forward_to(const task_id& task, const std::string& server,
                                       const std::string& process_id, const http_request& request) {
    if (server.empty()) {
        return unavailable(fmt::format(
            "task {} is kept in process {}, which advertises no endpoint: set "
            "application.server (host:port of its HTTP endpoint) on every instance to query "
            "across them",
            task.to_string(), process_id));
    }
    const size_t colon = server.rfind(':');
    const std::string host = server.substr(0, colon);
    const int port = colon == std::string::npos ? 0 : std::atoi(server.c_str() + colon + 1);
    if (host.empty() || port <= 0 || port > 65535) {
        return unavailable(fmt::format("task {} is kept in process {}, whose application.server "
                                       "'{}' is not host:port",
                                       task.to_string(), process_id, text::safe(server)));
    }
    const std::string target = request.target +
                               (request.target.find('?') == std::string::npos ? "?" : "&") +
                               "forwarded=1";
    const http_client_reply reply =
        http_fetch(host, static_cast<uint16_t>(port), target, _options.forward_timeout);
    if (reply.status == 0) {
        return unavailable(fmt::format("task {} is kept in the instance at {}, which did not "
                                       "answer ({}); if it just stopped, its tasks move when its "
                                       "session expires",
                                       task.to_string(), server, reply.error));
    }
    http_response r;
    r.status = reply.status;
    r.content_type = reply.content_type.empty() ? "application/json" : reply.content_type;
    r.body = reply.body;
    r.headers.emplace_back("X-Brook-Served-By", server);
    return r;
}

} // namespace brook
