#pragma once

// ops_endpoint: the operator HTTP endpoint every Brook example app serves with
// --http-port, over one running kafka_streams:
//
//   GET /metrics                   Prometheus text 0.0.4: every streams_metrics figure as
//                                  brook_* families, then every add_metrics_source()'s
//   GET /health                    200 while alive (not ERROR or NOT_RUNNING), else 503
//   GET /ready                     200 when RUNNING with no store restoring, else 503
//   GET /topology                  the topology description, text
//   GET /stores                    the stores registered for queries, JSON
//   GET /stores/<store>            one of them, JSON
//   GET /stores/<store>/keys/<key>[?from=<ms>&to=<ms>][&stale=true]
//                                  the key's value (key-value store), windows (window
//                                  store: from/to bound the window start, inclusive) or
//                                  sessions (session store: those overlapping [from, to])
//
//   GET /metadata/<store>/<key>    which task holds the key, the instance running it and
//                                  the instances keeping standbys of it
//
// A key's query is answered by the instance running its task; asked elsewhere it is passed
// on once to that instance. With stale=true, when the active task cannot answer (its
// instance is gone and its session not expired yet, it is restoring, the group
// rebalances), a standby replica answers instead, this instance's or the next standby
// instance's: the body then says "stale": true and "standby_lag" (changelog records the
// standby had not applied). A standby further behind than acceptable.recovery.lag does not
// answer (503).
//
// <store> and <key> are percent-decoded path segments ("a%2Fb" is the key "a/b"). Store
// queries answer 404 for a store not registered here (or not in the topology) and for a
// key with no value, windows or sessions; 400 for a key the store's key parser rejects,
// for a malformed or negative from/to or from > to, and for a path of another shape; 503
// while the application cannot answer queries (not RUNNING or REBALANCING). Bodies of
// /health, /ready, /stores and errors of store routes are JSON ({"error": "..."}).
//
// Stores are registered typed and queried as bytes: a registration turns the key text
// into key bytes with the store's key serde and renders value bytes with its value serde,
// so it must name the serdes the store was built with (the defaults are default_serde).
// Which registration fits which store:
//
//   grouped.count/aggregate/reduce, to_table   add_timestamped_key_value_store<K, VR>
//   windowed_by(time_windows).count/...        add_timestamped_window_store<K, VR>
//   windowed_by(sliding_windows).count/...     add_timestamped_window_store<K, VR>
//   windowed_by(session_windows).count/...     add_session_store<K, VR>
//   stores::key_value_store_builder<K, V>      add_key_value_store<K, V>
//   stores::window_store_builder<K, V>         add_window_store<K, V>
//   stores::session_store_builder<K, V>        add_session_store<K, V>
//
// Example (the app runner does this when --http-port is given):
//
//   ops_endpoint ep(streams, {.http = {.address = "127.0.0.1", .port = 8080}});
//   ep.add_timestamped_key_value_store<std::string, int64_t>("counts");
//   ep.add_metrics_source([&](prometheus_writer& w) { router.write_metrics(w); });
//   ep.start();
//   ... ep.port() ...
//   ep.stop(); // before streams is destroyed
//
// Lifecycle: construct -> register stores and metrics sources (before or after start) ->
// start() -> stop() (idempotent; the destructor stops). The kafka_streams must outlive the
// endpoint, or at least its stop().
// Threading: requests are answered one at a time on the HTTP server's thread; a store
// query waits up to options.query_timeout for the stream threads. Registration and
// add_metrics_source may be called from any thread. Key parsers, value renderers and
// metrics sources run on the server's thread and must not block.
// Ownership: borrows the kafka_streams; owns the HTTP server and the registrations.

#include <charconv>
#include <chrono>
#include <concepts>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/runtime/kafka_streams.h"
#include "engine/serde/json_serde.h"
#include "engine/store/metered_key_value_store.h"
#include "engine/store/metered_session_store.h"
#include "engine/store/metered_window_store.h"
#include "engine/store/value_and_timestamp.h"
#include "ops/http_server.h"
#include "ops/prometheus_text.h"
#include "state/state_store.h"

namespace brook {

struct ops_endpoint_options {
    // Where to listen (127.0.0.1 by default; port 0 picks a free one), limits, timeouts.
    http_server_options http;
    // How long a store query waits for the stream threads before answering 503.
    std::chrono::milliseconds query_timeout{2000};
    // At most this many windows or sessions in one answer ("truncated": true beyond).
    size_t max_results = 10000;
    // How long a query passed on to the instance that owns the key may take.
    std::chrono::milliseconds forward_timeout{2000};
};

enum class queryable_kind { key_value, window, session };

namespace detail {

// A registered store as the byte-level query code sees it (built by the typed
// registrations below).
struct queryable_store {
    std::string name;
    queryable_kind kind = queryable_kind::key_value;
    bool timestamped = false;
    // Window stores: window end = start + this; 0 when not given at registration, then
    // store_window_size reads it from the store's typed top.
    int64_t window_size_ms = 0;
    std::function<int64_t(state::state_store&)> store_window_size; // -1: not that store
    // The key text from the URL as the store's key bytes, or nullopt with the reason in
    // `error` (answered 400).
    std::function<std::optional<std::string>(std::string_view text, std::string& error)> encode_key;
    // Sets out["value"] (and out["timestamp"] for timestamped stores) from value bytes.
    // Throws what the value serde throws.
    std::function<void(std::string_view bytes, nlohmann::json& out)> render_value;
    // The byte-level stack of a store kafka_streams hands over: the typed (metered) top
    // unwrapped when it is handed over, else the store itself.
    std::function<state::state_store&(state::state_store&)> byte_stack;
};

// The window size a typed window store was built with, or -1 for another store.
template <class Typed>
int64_t typed_window_size(state::state_store& store) {
    if (auto* w = dynamic_cast<Typed*>(&store)) {
        return w->window_size_ms();
    }
    return -1;
}

// The typed top of a DSL or builder store, unwrapped to its byte-level stack.
template <class Metered>
state::state_store& unwrap_metered(state::state_store& store) {
    if (auto* m = dynamic_cast<Metered*>(&store)) {
        return m->inner();
    }
    return store;
}

template <class KS, class K>
std::function<std::optional<std::string>(std::string_view, std::string&)>
make_key_encoder(std::function<std::optional<K>(std::string_view)> parse_key, KS key_serde) {
    return [parse_key = std::move(parse_key), key_serde = std::move(key_serde)](
               std::string_view text, std::string& error) -> std::optional<std::string> {
        std::optional<K> key;
        try {
            key = parse_key(text);
        } catch (const std::exception& e) {
            error = e.what();
            return std::nullopt;
        }
        if (!key) {
            error = "the store's key parser does not accept it";
            return std::nullopt;
        }
        std::string buffer;
        nullable_bytes bytes;
        try {
            bytes = key_serde.serialize(*key, buffer);
        } catch (const std::exception& e) {
            error = std::string("the key cannot be serialized: ") + e.what();
            return std::nullopt;
        }
        if (!bytes) {
            error = "the key serializes to null, which no store holds";
            return std::nullopt;
        }
        return std::string(*bytes);
    };
}

template <class VS, class V>
std::function<void(std::string_view, nlohmann::json&)>
make_value_renderer(std::function<nlohmann::json(const V&)> render, VS value_serde) {
    return [render = std::move(render),
            value_serde = std::move(value_serde)](std::string_view bytes, nlohmann::json& out) {
        out["value"] = render(value_serde.deserialize(nullable_bytes(bytes)));
    };
}

template <class VS, class V>
std::function<void(std::string_view, nlohmann::json&)>
make_timestamped_value_renderer(std::function<nlohmann::json(const V&)> render, VS value_serde) {
    return [render = std::move(render),
            serde = value_and_timestamp_serde<VS>(std::move(value_serde))](std::string_view bytes,
                                                                           nlohmann::json& out) {
        const auto v = serde.deserialize(nullable_bytes(bytes));
        out["value"] = render(v.value);
        out["timestamp"] = v.timestamp;
    };
}

} // namespace detail

class ops_endpoint {
public:
    // Turns the key text of a URL into a key; nullopt (or an exception) answers 400.
    template <class K>
    using key_parser = std::function<std::optional<K>(std::string_view)>;
    // Renders a value as JSON.
    template <class V>
    using value_renderer = std::function<nlohmann::json(const V&)>;

    // The key parser used when none is given: strings and bytes as they are; integers and
    // floating point in decimal (the whole text, nothing else). Other key types need their
    // own parser.
    template <class K>
    static key_parser<K> default_key_parser();
    // The value renderer used when none is given: nlohmann's conversion of V.
    template <class V>
    static value_renderer<V> default_value_renderer();

    // Throws std::invalid_argument for bad options (see http_server). Binds nothing yet.
    explicit ops_endpoint(kafka_streams& streams, ops_endpoint_options options = {});
    ~ops_endpoint();
    ops_endpoint(const ops_endpoint&) = delete;
    ops_endpoint& operator=(const ops_endpoint&) = delete;

    // Binds and serves. Throws std::runtime_error naming the address and port when it
    // cannot bind; std::logic_error after stop().
    void start();
    // Closes the listener and every connection; idempotent.
    void stop();
    // The bound port (the chosen one when options.http.port was 0); 0 before start().
    uint16_t port() const;

    // Registers a store for /stores/<name>/keys/<key>. Each throws std::invalid_argument
    // when `name` is empty or registered already. The serdes must be those the store was
    // built with.
    template <class K, class V, class KS = default_serde<K>, class VS = default_serde<V>>
    void add_key_value_store(std::string name, key_parser<K> parse_key = default_key_parser<K>(),
                             value_renderer<V> render_value = default_value_renderer<V>(),
                             KS key_serde = {}, VS value_serde = {});
    template <class K, class V, class KS = default_serde<K>, class VS = default_serde<V>>
    void
    add_timestamped_key_value_store(std::string name,
                                    key_parser<K> parse_key = default_key_parser<K>(),
                                    value_renderer<V> render_value = default_value_renderer<V>(),
                                    KS key_serde = {}, VS value_serde = {});
    //
    // Window stores: `window_size` is the windows' size (sliding windows: their time
    // difference), so that window_end = window_start + window_size. Without it, the size is
    // read from the store's typed top (stores built by the DSL or stores:: builders have
    // one); a store without one then answers 500 saying to give the size.
    template <class K, class V, class KS = default_serde<K>, class VS = default_serde<V>>
    void add_window_store(std::string name, std::chrono::milliseconds window_size,
                          key_parser<K> parse_key = default_key_parser<K>(),
                          value_renderer<V> render_value = default_value_renderer<V>(),
                          KS key_serde = {}, VS value_serde = {});
    template <class K, class V, class KS = default_serde<K>, class VS = default_serde<V>>
    void add_window_store(std::string name, key_parser<K> parse_key = default_key_parser<K>(),
                          value_renderer<V> render_value = default_value_renderer<V>(),
                          KS key_serde = {}, VS value_serde = {}) {
        add_window_store<K, V, KS, VS>(std::move(name), std::chrono::milliseconds(0),
                                       std::move(parse_key), std::move(render_value),
                                       std::move(key_serde), std::move(value_serde));
    }
    template <class K, class V, class KS = default_serde<K>, class VS = default_serde<V>>
    void add_timestamped_window_store(std::string name, std::chrono::milliseconds window_size,
                                      key_parser<K> parse_key = default_key_parser<K>(),
                                      value_renderer<V> render_value = default_value_renderer<V>(),
                                      KS key_serde = {}, VS value_serde = {});
    template <class K, class V, class KS = default_serde<K>, class VS = default_serde<V>>
    void add_timestamped_window_store(std::string name,
                                      key_parser<K> parse_key = default_key_parser<K>(),
                                      value_renderer<V> render_value = default_value_renderer<V>(),
                                      KS key_serde = {}, VS value_serde = {}) {
        add_timestamped_window_store<K, V, KS, VS>(std::move(name), std::chrono::milliseconds(0),
                                                   std::move(parse_key), std::move(render_value),
                                                   std::move(key_serde), std::move(value_serde));
    }
    template <class K, class V, class KS = default_serde<K>, class VS = default_serde<V>>
    void add_session_store(std::string name, key_parser<K> parse_key = default_key_parser<K>(),
                           value_renderer<V> render_value = default_value_renderer<V>(),
                           KS key_serde = {}, VS value_serde = {});

    // Adds families to every /metrics answer, after Brook's own. A source that throws (or
    // writes a family another source wrote) is left out of that answer, logged on stderr
    // and counted in brook_metrics_sources_failed; the rest of the scrape still works.
    void add_metrics_source(std::function<void(prometheus_writer&)> source);

    // The answer to one request, without going through HTTP (the server calls this).
    http_response handle(const http_request& request);

private:
    void add_store(detail::queryable_store store);
    std::shared_ptr<const detail::queryable_store> find_store(std::string_view name) const;

    http_response metrics();
    http_response health() const;
    http_response ready() const;
    http_response stores() const;
    http_response store_info(std::string_view name) const;
    http_response query(std::string_view store, std::string_view key, const http_request& request);
    // The registered store `store_name` and the key bytes of `key_text` (404 or 400 when
    // there is no such store or it is not one of its keys).
    std::optional<http_response> find_key(std::string_view store_name, std::string_view key_text,
                                          std::shared_ptr<const detail::queryable_store>& store,
                                          std::string& key) const;
    http_response metadata(std::string_view store, std::string_view key);
    // The query passed on to the instance `md` names, or 503 saying why it cannot be.
    http_response forward(const key_query_metadata& md, const http_request& request);
    // The query passed on to the instance at `server` (process `process_id`), which runs or
    // keeps a standby of `task`; 503 saying why when it cannot be.
    http_response forward_to(const task_id& task, const std::string& server,
                             const std::string& process_id, const http_request& request);

    kafka_streams& _streams;
    ops_endpoint_options _options;
    mutable std::mutex _mutex; // guards _stores and _sources
    std::vector<std::shared_ptr<const detail::queryable_store>> _stores;
    std::vector<std::function<void(prometheus_writer&)>> _sources;
    // The last failure of each source (by index), so a source failing on every scrape is
    // logged once per distinct message rather than once per scrape.
    std::vector<std::string> _source_errors;
    // Last: stopped (by its destructor) before the registrations it serves go away.
    std::unique_ptr<http_server> _server;
};

// ---- the typed top ----------------------------------------------------------------------

template <class K>
ops_endpoint::key_parser<K> ops_endpoint::default_key_parser() {
    if constexpr (std::is_same_v<K, std::string>) {
        return [](std::string_view text) { return std::optional<K>(std::string(text)); };
    } else if constexpr (std::is_same_v<K, bytes>) {
        return [](std::string_view text) { return std::optional<K>(bytes(text)); };
    } else if constexpr ((std::integral<K> && !std::is_same_v<K, bool>) || std::floating_point<K>) {
        return [](std::string_view text) -> std::optional<K> {
            K value{};
            const char* end = text.data() + text.size();
            const auto [ptr, ec] = std::from_chars(text.data(), end, value);
            if (text.empty() || ec != std::errc() || ptr != end) {
                return std::nullopt;
            }
            return value;
        };
    } else {
        static_assert(::brook::detail::dependent_false<K>,
                      "ops_endpoint: no default key parser for this key type; pass one that "
                      "turns the URL's key text into a K");
    }
}

template <class V>
ops_endpoint::value_renderer<V> ops_endpoint::default_value_renderer() {
    if constexpr (std::is_same_v<V, bytes>) {
        // Bytes are not text: render them as a JSON array of byte values.
        return [](const V& v) {
            nlohmann::json out = nlohmann::json::array();
            for (const char c : v.view()) {
                out.push_back(static_cast<unsigned char>(c));
            }
            return out;
        };
    } else if constexpr (std::is_constructible_v<nlohmann::json, const V&>) {
        return [](const V& v) { return nlohmann::json(v); };
    } else {
        static_assert(::brook::detail::dependent_false<V>,
                      "ops_endpoint: V does not convert to nlohmann::json; pass a renderer or "
                      "define to_json for it");
    }
}

template <class K, class V, class KS, class VS>
void ops_endpoint::add_key_value_store(std::string name, key_parser<K> parse_key,
                                       value_renderer<V> render_value, KS key_serde,
                                       VS value_serde) {
    detail::queryable_store s;
    s.name = std::move(name);
    s.kind = queryable_kind::key_value;
    s.encode_key = detail::make_key_encoder<KS, K>(std::move(parse_key), key_serde);
    s.render_value = detail::make_value_renderer<VS, V>(std::move(render_value), value_serde);
    s.byte_stack = &detail::unwrap_metered<metered_key_value_store<K, V, KS, VS>>;
    add_store(std::move(s));
}

template <class K, class V, class KS, class VS>
void ops_endpoint::add_timestamped_key_value_store(std::string name, key_parser<K> parse_key,
                                                   value_renderer<V> render_value, KS key_serde,
                                                   VS value_serde) {
    detail::queryable_store s;
    s.name = std::move(name);
    s.kind = queryable_kind::key_value;
    s.timestamped = true;
    s.encode_key = detail::make_key_encoder<KS, K>(std::move(parse_key), key_serde);
    s.render_value =
        detail::make_timestamped_value_renderer<VS, V>(std::move(render_value), value_serde);
    s.byte_stack = &detail::unwrap_metered<
        metered_key_value_store<K, value_and_timestamp<V>, KS, value_and_timestamp_serde<VS>>>;
    add_store(std::move(s));
}

template <class K, class V, class KS, class VS>
void ops_endpoint::add_window_store(std::string name, std::chrono::milliseconds window_size,
                                    key_parser<K> parse_key, value_renderer<V> render_value,
                                    KS key_serde, VS value_serde) {
    detail::queryable_store s;
    s.name = std::move(name);
    s.kind = queryable_kind::window;
    s.window_size_ms = window_size.count();
    s.encode_key = detail::make_key_encoder<KS, K>(std::move(parse_key), key_serde);
    s.render_value = detail::make_value_renderer<VS, V>(std::move(render_value), value_serde);
    s.store_window_size = &detail::typed_window_size<window_store<K, V>>;
    s.byte_stack = &detail::unwrap_metered<metered_window_store<K, V, KS, VS>>;
    add_store(std::move(s));
}

template <class K, class V, class KS, class VS>
void ops_endpoint::add_timestamped_window_store(std::string name,
                                                std::chrono::milliseconds window_size,
                                                key_parser<K> parse_key,
                                                value_renderer<V> render_value, KS key_serde,
                                                VS value_serde) {
    detail::queryable_store s;
    s.name = std::move(name);
    s.kind = queryable_kind::window;
    s.timestamped = true;
    s.window_size_ms = window_size.count();
    s.encode_key = detail::make_key_encoder<KS, K>(std::move(parse_key), key_serde);
    s.render_value =
        detail::make_timestamped_value_renderer<VS, V>(std::move(render_value), value_serde);
    s.store_window_size = &detail::typed_window_size<timestamped_window_store<K, V>>;
    s.byte_stack = &detail::unwrap_metered<
        metered_window_store<K, value_and_timestamp<V>, KS, value_and_timestamp_serde<VS>>>;
    add_store(std::move(s));
}

template <class K, class V, class KS, class VS>
void ops_endpoint::add_session_store(std::string name, key_parser<K> parse_key,
                                     value_renderer<V> render_value, KS key_serde, VS value_serde) {
    detail::queryable_store s;
    s.name = std::move(name);
    s.kind = queryable_kind::session;
    s.encode_key = detail::make_key_encoder<KS, K>(std::move(parse_key), key_serde);
    s.render_value = detail::make_value_renderer<VS, V>(std::move(render_value), value_serde);
    s.byte_stack = &detail::unwrap_metered<metered_session_store<K, V, KS, VS>>;
    add_store(std::move(s));
}

} // namespace brook
