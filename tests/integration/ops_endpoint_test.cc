// The operator endpoint of a real application on the real broker: a topology with a
// key-value count, a windowed count and a session count, served on an ephemeral port and
// asked every route with a real HTTP client (Boost.Beast): /metrics parses as Prometheus
// text and counts what the test produced, /health and /ready follow the application's
// state, /topology describes it, and store queries answer the produced counts, 404 for
// unknown stores and keys, 400 for malformed keys, paths and time bounds, 503 when the
// application is not running.

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "engine/config/streams_config.h"
#include "engine/kafka/admin_client.h"
#include "engine/kafka/producer.h"
#include "engine/runtime/kafka_streams.h"
#include "engine/serde/json_serde.h"
#include "operators/stream_builder.h"
#include "ops/ops_endpoint.h"
#include "tests/support/broker.h"

namespace brook {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using nlohmann::json;
using namespace std::chrono_literals;

constexpr int partitions = 2;

// ---- a real HTTP client ------------------------------------------------------------------

struct reply {
    int status = 0;
    std::string content_type;
    std::string body;
    json doc() const { return json::parse(body); }
};

// GET (or another method) on one fresh connection, every step bounded by a deadline so a
// misbehaving server fails the test instead of hanging it.
reply http_request(uint16_t port, const std::string& target, http::verb verb = http::verb::get) {
    asio::io_context io;
    beast::tcp_stream stream(io);
    beast::flat_buffer buffer;
    http::request<http::empty_body> req{verb, target, 11};
    req.set(http::field::host, "127.0.0.1");
    req.keep_alive(false);
    http::response_parser<http::string_body> parser;
    parser.skip(verb == http::verb::head); // a HEAD response has Content-Length but no body
    beast::error_code result;
    stream.expires_after(30s);
    stream.async_connect(
        tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), [&](beast::error_code ec) {
            if (ec) {
                result = ec;
                return;
            }
            http::async_write(stream, req, [&](beast::error_code wec, size_t) {
                if (wec) {
                    result = wec;
                    return;
                }
                http::async_read(stream, buffer, parser,
                                 [&](beast::error_code rec, size_t) { result = rec; });
            });
        });
    io.run();
    if (result) {
        throw beast::system_error(result, "GET " + target);
    }
    const auto& res = parser.get();
    return {static_cast<int>(res.result_int()), std::string(res[http::field::content_type]),
            res.body()};
}

// ---- a strict parser of the Prometheus text format ---------------------------------------

struct prom_sample {
    std::string name;
    std::map<std::string, std::string> labels;
    double value = 0;
};

struct prom_text {
    std::map<std::string, std::string> types; // family -> counter, gauge, ...
    std::vector<prom_sample> samples;

    std::optional<double> value(const std::string& name,
                                const std::map<std::string, std::string>& labels = {}) const {
        for (const auto& s : samples) {
            if (s.name == name && s.labels == labels) {
                return s.value;
            }
        }
        return std::nullopt;
    }
};

bool metric_name(std::string_view s) {
    if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) {
        return false;
    }
    for (const char c : s) {
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != ':') {
            return false;
        }
    }
    return true;
}

std::optional<double> number(const std::string& s) {
    if (s == "NaN") {
        return std::nan("");
    }
    if (s == "+Inf") {
        return INFINITY;
    }
    if (s == "-Inf") {
        return -INFINITY;
    }
    if (s.empty()) {
        return std::nullopt;
    }
    char* end = nullptr;
    const double d = std::strtod(s.c_str(), &end);
    if (end != s.c_str() + s.size()) {
        return std::nullopt;
    }
    return d;
}

// Every line is "# HELP name text", "# TYPE name type" (once per family, before its
// samples) or `name{label="value",...} number`, with each sample in the family TYPE'd last.
// Returns nullopt after reporting the first offending line.
std::optional<prom_text> parse_prometheus(const std::string& text) {
    prom_text out;
    std::string family;
    std::string family_type;
    size_t pos = 0;
    int line_no = 0;
    const auto fail = [&](const std::string& line, const std::string& why) {
        ADD_FAILURE() << "line " << line_no << " '" << line << "': " << why;
        return std::nullopt;
    };
    if (text.empty() || text.back() != '\n') {
        ADD_FAILURE() << "the text must end with a newline";
        return std::nullopt;
    }
    while (pos < text.size()) {
        const size_t nl = text.find('\n', pos);
        const std::string line = text.substr(pos, nl - pos);
        pos = nl + 1;
        ++line_no;
        if (line.starts_with("# HELP ")) {
            const std::string rest = line.substr(7);
            const std::string name = rest.substr(0, rest.find(' '));
            if (!metric_name(name)) {
                return fail(line, "bad metric name in HELP");
            }
            continue;
        }
        if (line.starts_with("# TYPE ")) {
            const std::string rest = line.substr(7);
            const size_t space = rest.find(' ');
            if (space == std::string::npos) {
                return fail(line, "TYPE without a type");
            }
            family = rest.substr(0, space);
            family_type = rest.substr(space + 1);
            if (!metric_name(family)) {
                return fail(line, "bad metric name in TYPE");
            }
            if (family_type != "counter" && family_type != "gauge" && family_type != "summary" &&
                family_type != "histogram" && family_type != "untyped") {
                return fail(line, "unknown type");
            }
            if (!out.types.emplace(family, family_type).second) {
                return fail(line, "family TYPE'd twice");
            }
            continue;
        }
        if (line.empty() || line[0] == '#') {
            return fail(line, "neither HELP, TYPE nor a sample");
        }
        prom_sample s;
        size_t i = 0;
        while (i < line.size() && line[i] != '{' && line[i] != ' ') {
            ++i;
        }
        s.name = line.substr(0, i);
        if (!metric_name(s.name)) {
            return fail(line, "bad sample name");
        }
        const bool belongs =
            s.name == family || (family_type == "summary" &&
                                 (s.name == family + "_sum" || s.name == family + "_count"));
        if (!belongs) {
            return fail(line, "sample outside its family '" + family + "'");
        }
        if (i < line.size() && line[i] == '{') {
            ++i;
            while (i < line.size() && line[i] != '}') {
                const size_t eq = line.find('=', i);
                if (eq == std::string::npos || eq + 1 >= line.size() || line[eq + 1] != '"') {
                    return fail(line, "label without =\"");
                }
                const std::string label = line.substr(i, eq - i);
                if (!metric_name(label) || label.find(':') != std::string::npos) {
                    return fail(line, "bad label name");
                }
                std::string value;
                size_t j = eq + 2;
                for (; j < line.size() && line[j] != '"'; ++j) {
                    if (line[j] == '\\') {
                        if (j + 1 >= line.size()) {
                            return fail(line, "dangling escape");
                        }
                        const char e = line[++j];
                        if (e == 'n') {
                            value += '\n';
                        } else if (e == '\\' || e == '"') {
                            value += e;
                        } else {
                            return fail(line, "unknown escape");
                        }
                    } else {
                        value += line[j];
                    }
                }
                if (j >= line.size()) {
                    return fail(line, "unterminated label value");
                }
                s.labels[label] = value;
                i = j + 1;
                if (i < line.size() && line[i] == ',') {
                    ++i;
                }
            }
            if (i >= line.size()) {
                return fail(line, "unterminated labels");
            }
            ++i; // '}'
        }
        if (i >= line.size() || line[i] != ' ') {
            return fail(line, "no space before the value");
        }
        const std::string rest = line.substr(i + 1);
        const std::string value_text = rest.substr(0, rest.find(' ')); // an optional timestamp
        const std::optional<double> v = number(value_text);
        if (!v) {
            return fail(line, "the value is not a number");
        }
        s.value = *v;
        out.samples.push_back(std::move(s));
    }
    return out;
}

// ---- the application -----------------------------------------------------------------------

void create_topic(const std::string& name) {
    kafka::admin_client admin(testing::real_client_config());
    admin.create_topics({{name, partitions, 1, {}}}, 30s);
}

struct produced {
    std::string key;
    int64_t timestamp;
};

void produce_all(const std::string& topic, const std::vector<produced>& records) {
    kafka::client_config pc = testing::real_client_config();
    pc.set("linger.ms", "5");
    kafka::producer p(pc);
    for (const auto& r : records) {
        p.produce(topic, RD_KAFKA_PARTITION_UA, r.key, std::string("v"), r.timestamp);
    }
    p.flush(60s);
    ASSERT_EQ(p.failed_deliveries(), 0U);
}

topology counting_topology(const std::string& input) {
    stream_builder b;
    auto s = b.stream<std::string, std::string>({input});
    s.group_by_key().count(materialized<std::string, int64_t>::as("counts"));
    s.group_by_key()
        .windowed_by(time_windows::of_size_and_grace(60s, 1h))
        .count(materialized<std::string, int64_t>::as("windowed-counts"));
    s.group_by_key()
        .windowed_by(session_windows::of_inactivity_gap_and_grace(10s, 1h))
        .count(materialized<std::string, int64_t>::as("sessions"));
    return b.build();
}

class ops_endpoint_test : public ::testing::Test {
protected:
    void TearDown() override {
        std::error_code ignored;
        std::filesystem::remove_all(_state_dir, ignored);
    }

    std::filesystem::path _state_dir =
        std::filesystem::temp_directory_path() / testing::unique_name("ops-endpoint-state");
};

// Polls `done` every 250 ms for up to `timeout`.
template <class Done>
bool eventually(Done done, std::chrono::seconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (done()) {
            return true;
        }
        std::this_thread::sleep_for(250ms);
    }
    return done();
}

TEST_F(ops_endpoint_test, every_route_answers_a_real_client_for_a_running_application) {
    const std::string input = testing::unique_name("ops-in");
    create_topic(input);

    // Five minutes ago, on a minute boundary: every window below is whole and closed by
    // nothing (grace is an hour), so the counts are exact.
    const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    const int64_t t0 = now / 60000 * 60000 - 5 * 60000;
    std::vector<produced> records = {{"alice", t0 + 1000}, {"alice", t0 + 2000},
                                     {"bob", t0 + 3000},   {"bob", t0 + 4000},
                                     {"c/d", t0 + 5000},   {"x y", t0 + 6000}};
    for (int i = 0; i < 200; ++i) {
        records.push_back({fmt::format("k{}", i % 20), t0 + 10000 + i});
    }
    records.push_back({"alice", t0 + 61000});
    produce_all(input, records);

    const topology topo = counting_topology(input);
    kafka_streams app(topo, streams_config({{"application.id", testing::unique_name("ops-app")},
                                            {"bootstrap.servers", testing::real_bootstrap()},
                                            {"state.dir", _state_dir.string()},
                                            {"commit.interval.ms", "100"},
                                            {"consumer.session.timeout.ms", "10000"},
                                            {"consumer.heartbeat.interval.ms", "1000"}}));

    brook::ops_endpoint ep(app);
    // Keys of "counts" must not be empty; keys of the windowed stores have no spaces.
    ep.add_timestamped_key_value_store<std::string, int64_t>(
        "counts", [](std::string_view k) -> std::optional<std::string> {
            if (k.empty()) {
                return std::nullopt;
            }
            return std::string(k);
        });
    const auto no_spaces = [](std::string_view k) -> std::optional<std::string> {
        if (k.empty() || k.find(' ') != std::string_view::npos) {
            return std::nullopt;
        }
        return std::string(k);
    };
    // The window size comes from the store itself (the DSL built it with 60 s windows).
    ep.add_timestamped_window_store<std::string, int64_t>("windowed-counts", no_spaces);
    ep.add_session_store<std::string, int64_t>("sessions", no_spaces);
    ep.add_metrics_source([](brook::prometheus_writer& w) {
        w.single("test_widgets_total", brook::prometheus_type::counter, "Widgets \"made\".", 7);
    });
    ep.add_metrics_source([](brook::prometheus_writer& w) {
        w.single("test_partial", brook::prometheus_type::gauge, "Written, then a failure.", 1);
        throw std::runtime_error("this source always fails");
    });
    EXPECT_THROW((ep.add_key_value_store<std::string, int64_t>("counts")), std::invalid_argument);
    ep.start();
    const uint16_t port = ep.port();
    ASSERT_NE(port, 0);

    // Before start(): alive, not ready, stores not queryable.
    {
        const reply health = http_request(port, "/health");
        EXPECT_EQ(health.status, 200);
        EXPECT_EQ(health.content_type, "application/json");
        EXPECT_EQ(health.doc()["state"], "CREATED");
        const reply ready = http_request(port, "/ready");
        EXPECT_EQ(ready.status, 503);
        EXPECT_EQ(ready.doc()["ready"], false);
        EXPECT_EQ(http_request(port, "/stores/counts/keys/alice").status, 503);
    }

    app.start();
    const auto consumed = [&]() -> double {
        const reply m = http_request(port, "/metrics");
        const auto parsed = parse_prometheus(m.body);
        if (!parsed) {
            return -1;
        }
        return parsed->value("brook_records_consumed_total", {{"topic", input}}).value_or(0);
    };
    const auto count_of = [&](const std::string& target) -> std::optional<int64_t> {
        const reply r = http_request(port, target);
        if (r.status != 200) {
            return std::nullopt;
        }
        return r.doc()["value"].get<int64_t>();
    };
    ASSERT_TRUE(eventually(
        [&] {
            EXPECT_NE(app.state(), streams_state::error) << app.error_reason();
            return app.state() == streams_state::error ||
                   (consumed() == static_cast<double>(records.size()) &&
                    count_of("/stores/counts/keys/alice") == 3 &&
                    count_of("/stores/counts/keys/k19") == 10 &&
                    http_request(port, "/ready").status == 200);
        },
        180s))
        << "the application did not process its input in time; consumed " << consumed();
    ASSERT_NE(app.state(), streams_state::error) << app.error_reason();

    // /health, /ready, /topology, /stores
    {
        const reply health = http_request(port, "/health");
        EXPECT_EQ(health.status, 200);
        EXPECT_EQ(health.doc()["status"], "UP");
        EXPECT_EQ(health.doc()["state"], "RUNNING");
        const reply ready = http_request(port, "/ready");
        EXPECT_EQ(ready.status, 200);
        EXPECT_EQ(ready.doc()["ready"], true);
        const reply topo_reply = http_request(port, "/topology");
        EXPECT_EQ(topo_reply.status, 200);
        EXPECT_EQ(topo_reply.body, topo.describe());
        EXPECT_NE(topo_reply.body.find("windowed-counts"), std::string::npos);
        const reply stores = http_request(port, "/stores");
        EXPECT_EQ(stores.status, 200);
        const json list = stores.doc()["stores"];
        ASSERT_EQ(list.size(), 3U) << stores.body;
        EXPECT_EQ(list[0],
                  (json{{"name", "counts"}, {"kind", "key-value"}, {"timestamped", true}}));
        EXPECT_EQ(list[1]["kind"], "window");
        EXPECT_EQ(list[2]["kind"], "session");
        EXPECT_EQ(http_request(port, "/stores/sessions").doc()["kind"], "session");
        EXPECT_EQ(http_request(port, "/stores/nope").status, 404);
        EXPECT_EQ(http_request(port, "/").status, 200);
    }

    // Key-value queries: values, timestamps, percent-decoded keys.
    {
        const reply alice = http_request(port, "/stores/counts/keys/alice");
        ASSERT_EQ(alice.status, 200) << alice.body;
        EXPECT_EQ(alice.content_type, "application/json");
        EXPECT_EQ(
            alice.doc(),
            (json{{"store", "counts"}, {"key", "alice"}, {"value", 3}, {"timestamp", t0 + 61000}}));
        EXPECT_EQ(count_of("/stores/counts/keys/bob"), 2);
        EXPECT_EQ(count_of("/stores/counts/keys/c%2Fd"), 1);
        EXPECT_EQ(count_of("/stores/counts/keys/x%20y"), 1);
        for (int k = 0; k < 20; ++k) {
            EXPECT_EQ(count_of(fmt::format("/stores/counts/keys/k{}", k)), 10) << k;
        }
    }

    // Window queries: all windows of a key, and bounded by from/to on the window start.
    {
        const reply all = http_request(port, "/stores/windowed-counts/keys/alice");
        ASSERT_EQ(all.status, 200) << all.body;
        const json windows = all.doc()["windows"];
        ASSERT_EQ(windows.size(), 2U) << all.body;
        EXPECT_EQ(windows[0]["window_start"], t0);
        EXPECT_EQ(windows[0]["window_end"], t0 + 60000);
        EXPECT_EQ(windows[0]["value"], 2);
        EXPECT_EQ(windows[0]["timestamp"], t0 + 2000);
        EXPECT_EQ(windows[1]["window_start"], t0 + 60000);
        EXPECT_EQ(windows[1]["value"], 1);
        EXPECT_EQ(all.doc()["truncated"], false);

        const reply later = http_request(
            port, fmt::format("/stores/windowed-counts/keys/alice?from={}", t0 + 60000));
        ASSERT_EQ(later.status, 200) << later.body;
        ASSERT_EQ(later.doc()["windows"].size(), 1U);
        EXPECT_EQ(later.doc()["windows"][0]["window_start"], t0 + 60000);
        const reply earlier = http_request(
            port, fmt::format("/stores/windowed-counts/keys/alice?from={}&to={}", t0, t0 + 59999));
        ASSERT_EQ(earlier.status, 200) << earlier.body;
        ASSERT_EQ(earlier.doc()["windows"].size(), 1U);
        EXPECT_EQ(earlier.doc()["windows"][0]["value"], 2);
        EXPECT_EQ(http_request(
                      port, fmt::format("/stores/windowed-counts/keys/alice?from={}", t0 + 120000))
                      .status,
                  404);
        const reply cd = http_request(port, "/stores/windowed-counts/keys/c%2Fd");
        ASSERT_EQ(cd.status, 200) << cd.body;
        EXPECT_EQ(cd.doc()["windows"][0]["value"], 1);
    }

    // Session queries.
    {
        const reply sessions = http_request(port, "/stores/sessions/keys/alice");
        ASSERT_EQ(sessions.status, 200) << sessions.body;
        const json list = sessions.doc()["sessions"];
        ASSERT_EQ(list.size(), 2U) << sessions.body;
        EXPECT_EQ(list[0],
                  (json{{"session_start", t0 + 1000}, {"session_end", t0 + 2000}, {"value", 2}}));
        EXPECT_EQ(list[1],
                  (json{{"session_start", t0 + 61000}, {"session_end", t0 + 61000}, {"value", 1}}));
    }

    // 404: unknown store or key; 400: malformed key, path or time bounds; 405: other methods.
    {
        const auto status = [&](const std::string& target) {
            return http_request(port, target).status;
        };
        const reply unknown_store = http_request(port, "/stores/nope/keys/alice");
        EXPECT_EQ(unknown_store.status, 404);
        EXPECT_TRUE(unknown_store.doc()["error"].is_string());
        EXPECT_EQ(status("/stores/counts/keys/nobody"), 404);
        EXPECT_EQ(status("/stores/windowed-counts/keys/nobody"), 404);
        EXPECT_EQ(status("/stores/sessions/keys/nobody"), 404);
        EXPECT_EQ(status("/nothing-here"), 404);

        EXPECT_EQ(status("/stores/counts/keys/"), 400);               // the parser refuses ""
        EXPECT_EQ(status("/stores/windowed-counts/keys/a%20b"), 400); // and spaces
        EXPECT_EQ(status("/stores/counts/keys"), 400);
        EXPECT_EQ(status("/stores/counts/keys/a/b"), 400);
        EXPECT_EQ(status("/stores/counts/values/alice"), 400);
        EXPECT_EQ(status("/stores//keys/alice"), 400);
        EXPECT_EQ(status("/stores/counts/keys/%zz"), 400);
        for (const char* bad : {"from=abc", "from=-1", "from=1.5", "to=", "from=10&to=5",
                                "to=99999999999999999999999"}) {
            const reply r =
                http_request(port, fmt::format("/stores/windowed-counts/keys/alice?{}", bad));
            EXPECT_EQ(r.status, 400) << bad << ": " << r.body;
            EXPECT_TRUE(r.doc()["error"].is_string()) << r.body;
        }
        EXPECT_EQ(http_request(port, "/stores/counts/keys/alice", http::verb::post).status, 405);
    }

    // /metrics: strict parse, Brook's families, the sources', and exact consumed counts.
    {
        const reply m = http_request(port, "/metrics");
        EXPECT_EQ(m.status, 200);
        EXPECT_EQ(m.content_type, "text/plain; version=0.0.4");
        const auto parsed = parse_prometheus(m.body);
        ASSERT_TRUE(parsed) << m.body;
        for (const char* family :
             {"brook_records_consumed_total", "brook_records_produced_total",
              "brook_records_processed_total", "brook_process_latency_seconds",
              "brook_commit_latency_seconds", "brook_consumer_lag", "brook_records_restored_total",
              "brook_restore_remaining_records", "brook_stores_restoring",
              "brook_late_records_dropped_total", "brook_null_records_skipped_total",
              "brook_dead_lettered_total", "brook_deserialization_errors_total",
              "brook_transactions_committed_total", "brook_transactions_aborted_total",
              "brook_tasks", "brook_state", "test_widgets_total", "brook_metrics_sources_failed"}) {
            EXPECT_TRUE(parsed->types.contains(family)) << family << " missing:\n" << m.body;
        }
        EXPECT_EQ(parsed->types.at("brook_process_latency_seconds"), "summary");
        EXPECT_EQ(parsed->types.at("brook_consumer_lag"), "gauge");
        EXPECT_FALSE(parsed->types.contains("test_partial")) << "a failed source is left out";
        EXPECT_EQ(parsed->value("brook_records_consumed_total", {{"topic", input}}),
                  static_cast<double>(records.size()));
        EXPECT_GE(parsed->value("brook_process_latency_seconds_count").value_or(0),
                  static_cast<double>(records.size()));
        EXPECT_TRUE(parsed->value("brook_commit_latency_seconds_sum").has_value());
        EXPECT_EQ(parsed->value("brook_state", {{"state", "RUNNING"}}), 1);
        EXPECT_EQ(parsed->value("brook_state", {{"state", "ERROR"}}), 0);
        EXPECT_EQ(parsed->value("brook_tasks"), partitions);
        EXPECT_EQ(parsed->value("brook_late_records_dropped_total"), 0);
        EXPECT_EQ(parsed->value("brook_test_widgets_total"), std::nullopt);
        EXPECT_EQ(parsed->value("test_widgets_total"), 7);
        EXPECT_EQ(parsed->value("brook_metrics_sources_failed"), 1);
        // The counts' changelog is written to and acknowledged.
        bool changelog_produced = false;
        for (const auto& s : parsed->samples) {
            if (s.name == "brook_records_produced_total" &&
                s.labels.at("topic").find("counts-changelog") != std::string::npos && s.value > 0) {
                changelog_produced = true;
            }
        }
        EXPECT_TRUE(changelog_produced) << m.body;

        const reply head = http_request(port, "/metrics", http::verb::head);
        EXPECT_EQ(head.status, 200);
        EXPECT_TRUE(head.body.empty());
    }

    // Consumer lag per input partition settles at 0 once everything is consumed.
    EXPECT_TRUE(eventually(
        [&] {
            const auto parsed = parse_prometheus(http_request(port, "/metrics").body);
            if (!parsed) {
                return false;
            }
            for (int p = 0; p < partitions; ++p) {
                if (parsed->value("brook_consumer_lag",
                                  {{"topic", input}, {"partition", std::to_string(p)}}) != 0) {
                    return false;
                }
            }
            return true;
        },
        60s))
        << http_request(port, "/metrics").body;

    // After close(): not alive, not ready, queries 503.
    ASSERT_TRUE(app.close(60s));
    {
        const reply health = http_request(port, "/health");
        EXPECT_EQ(health.status, 503);
        EXPECT_EQ(health.doc()["state"], "NOT_RUNNING");
        EXPECT_EQ(http_request(port, "/ready").status, 503);
        const reply query = http_request(port, "/stores/counts/keys/alice");
        EXPECT_EQ(query.status, 503);
        EXPECT_TRUE(query.doc()["error"].is_string());
        // /metrics still answers with the final totals.
        const auto parsed = parse_prometheus(http_request(port, "/metrics").body);
        ASSERT_TRUE(parsed);
        EXPECT_EQ(parsed->value("brook_state", {{"state", "NOT_RUNNING"}}), 1);
    }
    ep.stop();
}

} // namespace
} // namespace brook
