// Issue 17 on a real broker: brook-metrics as shipped reads a few thousand valid metrics
// over ten windows with poison records in between, each written once:
//
//   p01      a valid metric whose "tags" are nested 100,000 levels deep (~200 KB)
//   p02      "ts": 9223372036854775807
//   p03      a value of 1,040,000 bytes that is not JSON: the broker takes it, but its DLQ
//            copy cannot be written (the app's producer has message.max.bytes 1,000,000),
//            so the production handler writes a note in its place
//   p04      invalid JSON holding one 600 KB token, which the parser's message quotes
//   p05a/b   a valid (a) and an invalid (b) metric carrying a 1,000,000-byte header
//   p06a     "ts": 10^15 (year 33658)
//   p06b     no "ts" and a record timestamp of 10^15: the source's max.event.time.future.ms
//   p06c     "ts" two days ahead of now: a valid year for the parser, so only
//            max.event.time.future.ms can keep it from closing every window
//   p07a/b   "ts": 0 and "ts": -1
//   p08      a JSON object, a NUL byte and garbage
//   p09a/b   two metrics of value 1e308 in one window (beyond max_metric_value)
//   p10      two metrics of value 1e300 in one window: the largest the app aggregates
//   p11      a null value; p12 bytes that are not UTF-8
//
// By the app's rules (apps/metrics/metrics_topology.h, apps/common/json_fields.h) only p10
// is aggregated (sum 2e300, finite, not marked saturated); every other one belongs in the
// DLQ: the parser refuses p01, p02, p04, p06a, p07, p08, p09 (values beyond +-1e300 are
// refused, so a sum never turns into a null), p11 and p12; p06b and p06c are past
// max.event.time.future.ms, which the app turns on (1 h); p03 and p05 cannot be written
// whole, and the app's production handler dead-letters them cut to fit (p05a: the
// repartition copy keeps the header, as in Kafka Streams, so the valid metric is not
// aggregated; its dead letter is that copy, keyed by (host, name, unit)).
//
// Each poison record's key (and host, where it has one) holds its id, "poison[pNN]", so
// each dead letter is matched to the record it stands for, also when its value was cut or
// is the repartition topic's copy. The test asserts, from its own input: the app is alive
// at the end and its /health answers 200; every poison record the app's rules refuse is in
// the DLQ exactly once, with a non-empty, valid UTF-8, bounded "error" header giving the
// reason the rules give; nothing else is in the DLQ; every closed window is emitted once
// with its exact count, sum, min and max; no record was dropped as late; and the app
// committed its input to the end (under exactly_once_v2 that is the transactions
// committing after the poison records).

#include <cmath>
#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <signal.h>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "engine/kafka/admin_client.h"
#include "engine/kafka/producer.h"
#include "engine/text/safe_text.h"
#include "tests/support/app_process.h"
#include "tests/support/broker.h"
#include "tests/support/http_get.h"
#include "tests/support/metrics_oracle.h"
#include "tests/support/topic_tail.h"

namespace brook {
namespace {

using namespace std::chrono_literals;

constexpr int partitions = 3;
constexpr int64_t valid_records = 3000;
constexpr int64_t window_ms = 60'000;
constexpr int64_t grace_ms = 600'000;
constexpr int64_t span_ms = 10 * window_ms; // ten windows of valid metrics
constexpr int hosts = 12;
// The bound the test puts on an "error" header: text::safe cuts a reason to about 512
// bytes, and the engine's framing ("cannot produce a record to '<topic>' (from the
// record at <topic>-<p> offset <n>): ") adds at most two topic names of 260.
constexpr size_t max_reason_bytes = 2048;

int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string id_tag(const std::string& id) {
    return "poison[" + id + "]";
}

struct dead_letter {
    std::string key;
    std::optional<std::string> value;
    std::multimap<std::string, std::string> headers;

    std::optional<std::string> last(const std::string& name) const {
        std::optional<std::string> out;
        for (auto [it, end] = headers.equal_range(name); it != end; ++it) {
            out = it->second;
        }
        return out;
    }
};

struct poison {
    std::string id;
    std::optional<std::string> value;
    int64_t timestamp = 0; // the record's timestamp; 0: now
    std::vector<std::pair<std::string, std::string>> headers;
    // Where the app's rules put it: the DLQ, with an "error" header containing `reason`,
    // or (empty reason) aggregated.
    std::string reason;
    // Further checks on its dead letter.
    std::function<void(const dead_letter&)> check;
};

dead_letter read_dead_letter(const rd_kafka_message_t& m) {
    dead_letter d;
    if (m.key != nullptr) {
        d.key.assign(static_cast<const char*>(m.key), m.key_len);
    }
    if (m.payload != nullptr) {
        d.value.emplace(static_cast<const char*>(m.payload), m.len);
    }
    rd_kafka_headers_t* hdrs = nullptr;
    if (rd_kafka_message_headers(&m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        const char* name = nullptr;
        const void* v = nullptr;
        size_t size = 0;
        for (size_t i = 0;
             rd_kafka_header_get_all(hdrs, i, &name, &v, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
             ++i) {
            d.headers.emplace(name, v != nullptr ? std::string(static_cast<const char*>(v), size)
                                                 : std::string());
        }
    }
    return d;
}

// The sum of the samples of `metric` in a Prometheus text page, or -1 if it has none.
double prometheus_value(const std::string& text, const std::string& metric) {
    double sum = -1;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
        if (line.starts_with(metric + " ") || line.starts_with(metric + "{")) {
            sum = std::max(sum, 0.0) + std::stod(line.substr(line.rfind(' ') + 1));
        }
    }
    return sum;
}

class poison_records : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        _in = testing::unique_name("poison-in");
        _out = testing::unique_name("poison-out");
        _dlq = testing::unique_name("poison-dlq");
        _app_id = testing::unique_name("poison-app");
        _state = std::filesystem::temp_directory_path() / testing::unique_name("poison-state");
        kafka::admin_client admin(testing::real_client_config());
        admin.create_topics({{_in, partitions, 1, {}}}, 30s);
        _base_ts = testing::recent_event_time(window_ms);
    }
    void TearDown() override { std::filesystem::remove_all(_state); }

    std::vector<std::string> args() const {
        return {testing::bin_path("brook-metrics"), "--bootstrap-servers",
                testing::real_bootstrap(), "--application-id", _app_id, "--processing-guarantee",
                GetParam(), "--state-dir", _state.string(), "--input-topic", _in, "--output-topic",
                _out, "--dlq-topic", _dlq, "--partitions", std::to_string(partitions), "--window",
                "60s", "--grace", "10m", "--http-port", std::to_string(_port),
                // Offsets committed every second, so the test sees the end reached soon.
                "--set", "commit.interval.ms=1000"};
    }

    kafka::producer make_producer() const {
        kafka::client_config c = testing::real_client_config();
        // The test's own producer writes what the broker takes (message.max.bytes
        // 1,048,588 per batch), beyond the 1,000,000 librdkafka allows by default.
        c.set("message.max.bytes", "2000000").set("linger.ms", "5");
        return kafka::producer(c);
    }

    void produce_poison(kafka::producer& p, const poison& x) {
        kafka::headers_ptr hdrs;
        if (!x.headers.empty()) {
            hdrs.reset(rd_kafka_headers_new(x.headers.size()));
            for (const auto& [name, v] : x.headers) {
                rd_kafka_header_add(hdrs.get(), name.data(), static_cast<ssize_t>(name.size()),
                                    v.data(), static_cast<ssize_t>(v.size()));
            }
        }
        const std::string key = id_tag(x.id);
        p.produce(_in, RD_KAFKA_PARTITION_UA, key,
                  x.value ? nullable_bytes(std::string_view(*x.value)) : nullable_bytes(),
                  x.timestamp, std::move(hdrs));
        if (!x.reason.empty()) {
            _expected_dead.emplace(x.id, &x);
        }
    }

    // Valid metric i of valid_records: event time `span_ms` from _base_ts in order.
    void produce_valid(kafka::producer& p, int64_t i) {
        static constexpr struct {
            const char* name;
            const char* unit;
            const char* norm_name;
            const char* norm_unit;
            double divisor;
        } kinds[] = {
            {"CPU.Usage", "percent", "cpu.usage", "ratio", 100},
            {"request.latency", "ms", "request.latency", "s", 1000},
            {"disk.free", "bytes", "disk.free", "bytes", 1},
        };
        const auto& k = kinds[(i / 7) % std::size(kinds)];
        const std::string host = fmt::format("host-{}", (i * 5) % hosts);
        const int64_t raw = (i * 37) % 1000 - 200; // some negative, for min
        const int64_t ts = _base_ts + i * span_ms / valid_records;
        p.produce(_in, RD_KAFKA_PARTITION_UA, host,
                  fmt::format(R"({{"name":"{}","host":"{}","value":{},"unit":"{}","ts":{}}})",
                              k.name, host, raw, k.unit, ts));
        _oracle.add_valid(host, k.norm_name, k.norm_unit, static_cast<double>(raw) / k.divisor, ts);
    }

    // A metric at the given event time in the middle of the valid ones' span.
    std::string metric_json(const std::string& id, const std::string& extra) const {
        return fmt::format(R"({{"name":"poison","host":"{}","value":1{}}})", id_tag(id), extra);
    }

    std::vector<poison> make_poisons() const {
        const int64_t mid_ts = _base_ts + span_ms / 2 + 123;
        const std::string ts = fmt::format(R"(,"ts":{})", mid_ts);
        std::vector<poison> out;
        const auto not_json = [](const dead_letter&) {};

        // p01: 100,000 levels of {"a": ... } inside "tags".
        {
            constexpr int depth = 100'000;
            std::string tags;
            tags.reserve(depth * 6 + 8);
            for (int i = 0; i < depth; ++i) {
                tags += R"({"a":)";
            }
            tags += "1";
            tags.append(depth, '}');
            out.push_back({"p01",
                           metric_json("p01", ts + R"(,"tags":)" + tags),
                           0,
                           {},
                           "value is nested deeper than 64 levels",
                           not_json});
        }
        out.push_back({"p02",
                       metric_json("p02", R"(,"ts":9223372036854775807)"),
                       0,
                       {},
                       "'ts' must be epoch milliseconds",
                       not_json});
        // p03: 1,040,000 bytes of not-JSON. The DLQ copy is the value, the key, the source's
        // headers and the app's: over the producer's limit, so the engine writes a note.
        {
            std::string big = "not json: ";
            big.resize(1'040'000, 'x');
            out.push_back({"p03", big, 0, {}, "message.max.bytes", [](const dead_letter& d) {
                               EXPECT_EQ(d.value, "[value of 1040000 bytes left out: too large "
                                                  "to write]");
                               EXPECT_EQ(d.last("value-bytes"), "1040000");
                           }});
        }
        // p04: a 600 KB bare word where a value belongs; the parser's message quotes it.
        {
            std::string token(600'000, 'z');
            out.push_back({"p04",
                           R"({"name":"n","host":"h","value":)" + token + "}",
                           0,
                           {},
                           "value is not valid JSON",
                           not_json});
        }
        // p05: a header of 1,000,000 bytes. 1 MiB (1,048,576) is not used: with the rest of
        // the record the batch exceeds the broker's message.max.bytes (1,048,588) and the
        // broker refuses it at produce time. 1,000,000 bytes is accepted by the broker but
        // is over the app's producer limit (1,000,000 for key + value + headers) for any
        // copy of the record that keeps the header.
        {
            const std::string header(1'000'000, 'h');
            // a: valid. The repartition copy keeps the input's headers (as in Kafka
            // Streams), and cannot be written; the production handler dead-letters it.
            out.push_back({"p05a",
                           metric_json("p05a", ts),
                           0,
                           {{"big", header}},
                           "message.max.bytes",
                           [](const dead_letter& d) {
                               EXPECT_TRUE(d.last("headers-left-out").has_value());
                               EXPECT_FALSE(d.last("big").has_value());
                           }});
            // b: invalid: its dead letter cannot be written whole either.
            out.push_back({"p05b",
                           "not json (with a big header)",
                           0,
                           {{"big", header}},
                           "message.max.bytes",
                           [](const dead_letter& d) {
                               EXPECT_TRUE(d.last("headers-left-out").has_value());
                               EXPECT_FALSE(d.last("big").has_value());
                           }});
        }
        out.push_back({"p06a",
                       metric_json("p06a", R"(,"ts":1000000000000000)"),
                       0,
                       {},
                       "'ts' must be epoch milliseconds",
                       not_json});
        out.push_back({"p06b",
                       metric_json("p06b", ""),
                       1'000'000'000'000'000,
                       {},
                       "max.event.time.future.ms",
                       not_json});
        out.push_back({"p06c",
                       metric_json("p06c", fmt::format(R"(,"ts":{})", now_ms() + 2 * 86'400'000)),
                       0,
                       {},
                       "max.event.time.future.ms",
                       not_json});
        out.push_back({"p07a",
                       metric_json("p07a", R"(,"ts":0)"),
                       0,
                       {},
                       "'ts' must be epoch milliseconds",
                       not_json});
        out.push_back({"p07b",
                       metric_json("p07b", R"(,"ts":-1)"),
                       0,
                       {},
                       "'ts' must be epoch milliseconds",
                       not_json});
        out.push_back(
            {"p08", metric_json("p08", ts) + std::string("\0garbage", 8), 0, {}, "NUL", not_json});
        for (const char* id : {"p09a", "p09b"}) {
            out.push_back(
                {id,
                 fmt::format(R"({{"name":"huge","host":"{}","value":1e308{}}})", id_tag("p09"), ts),
                 0,
                 {},
                 "'value' must be a number from -1e300 to 1e300",
                 not_json});
        }
        for (const char* id : {"p10a", "p10b"}) {
            out.push_back({id,
                           fmt::format(R"({{"name":"largest","host":"{}","value":1e300{}}})",
                                       id_tag("p10"), ts),
                           0,
                           {},
                           "",
                           {}});
        }
        out.push_back({"p11", std::nullopt, 0, {}, "value is null", not_json});
        out.push_back(
            {"p12", std::string("\xff\xfe{\"name\":\xc3\x28}"), 0, {}, "not valid JSON", not_json});
        return out;
    }

    bool wait_for_input_consumed(testing::app_process& app, std::chrono::seconds patience) {
        const auto deadline = std::chrono::steady_clock::now() + patience;
        const auto end = testing::end_offsets(testing::real_client_config(), _in, partitions);
        while (std::chrono::steady_clock::now() < deadline && app.alive()) {
            if (testing::committed_offsets(testing::real_client_config(), _app_id, _in,
                                           partitions) == end) {
                return true;
            }
            std::this_thread::sleep_for(500ms);
        }
        return false;
    }

    std::string _in, _out, _dlq, _app_id;
    uint16_t _port = testing::free_port();
    std::filesystem::path _state;
    int64_t _base_ts = 0;
    testing::metrics_oracle _oracle{window_ms};
    std::map<std::string, const poison*> _expected_dead;
};

TEST_P(poison_records, each_is_dead_lettered_or_aggregated_and_the_app_keeps_committing) {
    const std::vector<poison> poisons = make_poisons();
    for (const poison& x : poisons) {
        if (x.reason.empty()) {
            _oracle.add_valid(id_tag(x.id.substr(0, 3)), "largest", "", 1e300,
                              _base_ts + span_ms / 2 + 123);
        }
    }
    testing::app_process app(args());
    kafka::producer producer = make_producer();

    // Two halves, each consumed and committed before the next is written: the second half
    // comes after every poison record has been processed, so a poison record that stopped
    // the app, its commits, or its stream time (p06c) shows in the second half.
    const int64_t half = valid_records / 2;
    const size_t per_poison = static_cast<size_t>(half) / (poisons.size() + 1);
    size_t next_poison = 0;
    for (int64_t i = 0; i < half; ++i) {
        produce_valid(producer, i);
        if (next_poison < poisons.size() && static_cast<size_t>(i + 1) % per_poison == 0) {
            produce_poison(producer, poisons[next_poison++]);
        }
    }
    ASSERT_EQ(next_poison, poisons.size());
    producer.flush(60s);
    ASSERT_TRUE(wait_for_input_consumed(app, 120s))
        << "the app did not commit the first half of its input (alive: " << app.alive() << ")";
    const auto metrics_mid = testing::http_get("127.0.0.1", _port, "/metrics");
    ASSERT_EQ(metrics_mid.status, 200) << metrics_mid.error;
    for (int64_t i = half; i < valid_records; ++i) {
        produce_valid(producer, i);
    }
    producer.flush(60s);
    ASSERT_TRUE(wait_for_input_consumed(app, 120s))
        << "the app did not commit the second half of its input (alive: " << app.alive() << ")";
    // Closers: event time past the last window's end + grace, on every input partition
    // (keys chosen so), written after the rest is consumed so nothing arrives after them.
    const int64_t close_ts = _base_ts + span_ms + window_ms + grace_ms + 1000;
    for (int j = 0; j < 30; ++j) {
        producer.produce(
            _in, j % partitions, fmt::format("closer-{}", j),
            fmt::format(R"({{"name":"close","host":"closer-{}","value":0,"ts":{}}})", j, close_ts));
    }
    producer.flush(60s);

    const auto closed = _oracle.closed_at(close_ts, grace_ms);
    ASSERT_GE(closed.size(), static_cast<size_t>(10 * 3)); // ten windows, several keys each
    std::vector<std::string> outputs;
    testing::topic_tail out(testing::real_client_config(), _out, partitions);
    const auto on_output = [&](const rd_kafka_message_t& m) {
        outputs.emplace_back(static_cast<const char*>(m.payload), m.len);
    };
    out.poll_until([&] { return outputs.size() >= closed.size(); }, 120s, on_output);
    out.poll(2s, on_output); // anything emitted twice?

    std::vector<dead_letter> dead;
    testing::topic_tail dlq(testing::real_client_config(), _dlq, partitions);
    const auto on_dead = [&](const rd_kafka_message_t& m) { dead.push_back(read_dead_letter(m)); };
    dlq.poll_until([&] { return dead.size() >= _expected_dead.size(); }, 120s, on_dead);
    dlq.poll(2s, on_dead);

    // Alive, healthy, and committing to the end.
    EXPECT_TRUE(app.alive()) << "the app died";
    const auto health = testing::http_get("127.0.0.1", _port, "/health");
    EXPECT_EQ(health.status, 200) << health.body << health.error;
    EXPECT_TRUE(wait_for_input_consumed(app, 120s)) << "the app did not commit the closers";
    const auto metrics = testing::http_get("127.0.0.1", _port, "/metrics");
    ASSERT_EQ(metrics.status, 200) << metrics.error;
    EXPECT_EQ(prometheus_value(metrics.body, "brook_late_records_dropped_total"), 0)
        << "records were dropped as late: a poison record moved stream time";
    if (GetParam() == "exactly_once_v2") {
        const double before =
            prometheus_value(metrics_mid.body, "brook_transactions_committed_total");
        const double after = prometheus_value(metrics.body, "brook_transactions_committed_total");
        EXPECT_GT(after, before) << "no transaction committed after the poison records";
        std::cout << fmt::format(
            "[ figures  ] transactions committed: {} once the poison records were, {} at "
            "the end; aborted: {}\n",
            before, after, prometheus_value(metrics.body, "brook_transactions_aborted_total"));
    }
    EXPECT_EQ(app.stop(SIGTERM), 0);

    // Every window exact and once.
    const testing::window_report w = _oracle.check_windows(outputs, closed);
    std::cout << fmt::format("[ figures  ] {}: {} closed windows, {} outputs: {} missing, {} "
                             "duplicated, {} wrong, {} unexpected\n",
                             GetParam(), closed.size(), w.outputs, w.missing, w.duplicates, w.wrong,
                             w.unexpected);
    EXPECT_EQ(w.missing, 0) << "closed windows never emitted";
    EXPECT_EQ(w.duplicates, 0) << "windows emitted more than once";
    EXPECT_EQ(w.wrong, 0) << "windows with wrong aggregates";
    EXPECT_EQ(w.unexpected, 0) << "windows the input cannot make, or not closed";
    // p10's window: 2e300, a plain finite sum (not null, not marked saturated).
    ASSERT_TRUE(closed.contains(
        {id_tag("p10"), "largest", "", (_base_ts + span_ms / 2 + 123) / window_ms * window_ms}));
    int p10_outputs = 0;
    for (const std::string& o : outputs) {
        const auto j = nlohmann::json::parse(o, nullptr, false);
        if (j.is_object() && j.value("host", "") == id_tag("p10")) {
            ++p10_outputs;
            EXPECT_TRUE(j["sum"].is_number()) << o;
            EXPECT_EQ(j.value("sum", 0.0), 2e300) << o;
            EXPECT_EQ(j.value("count", 0), 2) << o;
            EXPECT_FALSE(j.contains("sum_saturated")) << o;
        }
    }
    EXPECT_EQ(p10_outputs, 1);

    // Every dead letter once, matched by the id in its key, with its reason.
    std::map<std::string, int> seen;
    for (const dead_letter& d : dead) {
        std::vector<std::string> ids;
        for (const auto& [id, x] : _expected_dead) {
            if (d.key.find(id_tag(id)) != std::string::npos) {
                ids.push_back(id);
            }
        }
        if (ids.size() != 1) {
            ADD_FAILURE() << "a dead letter that is none of the poison records: key "
                          << text::safe(d.key, 200) << ", error "
                          << text::safe(d.last("error").value_or("(none)"));
            continue;
        }
        const std::string& id = ids.front();
        SCOPED_TRACE("dead letter of " + id);
        ++seen[id];
        const std::optional<std::string> error = d.last("error");
        if (!error.has_value()) {
            ADD_FAILURE() << "no error header";
            continue;
        }
        EXPECT_FALSE(error->empty());
        EXPECT_TRUE(text::is_valid_utf8(*error)) << text::safe(*error);
        EXPECT_LE(error->size(), max_reason_bytes);
        EXPECT_NE(error->find(_expected_dead.at(id)->reason), std::string::npos)
            << "error: " << text::safe(*error, 1000);
        if (_expected_dead.at(id)->check) {
            _expected_dead.at(id)->check(d);
        }
        std::cout << fmt::format("[ dlq      ] {}: {}\n", id, text::safe(*error, 300));
    }
    for (const auto& [id, x] : _expected_dead) {
        EXPECT_EQ(seen[id], 1) << id << " dead-lettered " << seen[id] << " times";
    }
}

INSTANTIATE_TEST_SUITE_P(guarantees, poison_records,
                         ::testing::Values("at_least_once", "exactly_once_v2"));

} // namespace
} // namespace brook
