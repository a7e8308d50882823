// brook-metrics as shipped, against the real broker: a million generated metrics, 1% of
// them malformed in every way the app must catch, give exactly the aggregates the test
// computes from its own input, and exactly the malformed records in the DLQ; under
// at_least_once (with the operator endpoint checked on the running app) and under
// exactly_once_v2.
//
// The expected aggregates come from how the test made its input, not from the app's code:
// the test knows each record's host, name, unit, value and time as it writes them.

#include <cmath>
#include <map>
#include <set>
#include <signal.h>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "apps/metrics/metrics_topology.h"
#include "engine/kafka/admin_client.h"
#include "engine/kafka/producer.h"
#include "engine/serde/json_serde.h"
#include "engine/serde/partitioner.h"
#include "tests/support/app_process.h"
#include "tests/support/broker.h"
#include "tests/support/http_get.h"
#include "tests/support/topic_tail.h"

namespace brook {
namespace {

using namespace std::chrono_literals;

constexpr int partitions = 4;
constexpr int64_t records = 1'000'000;
constexpr int64_t window_ms = 60'000;
constexpr int64_t grace_ms = 300'000;
// A whole number of windows; event time advances 1 ms per record: ~17 windows.
const int64_t base_ts = testing::recent_event_time(window_ms);
constexpr int hosts = 20;

struct kind {
    const char* name;      // as written
    const char* unit;      // as written, nullptr for none
    const char* norm_name; // as the app must report it
    const char* norm_unit; // "" for none
    double divisor;
};
constexpr kind kinds[] = {
    {"cpu", "percent", "cpu", "ratio", 100},
    {" Mem.Used ", "%", "mem.used", "ratio", 100},
    {"Request.Latency", "ms", "request.latency", "s", 1000},
    {"disk.free", "bytes", "disk.free", "bytes", 1},
    {"requests", nullptr, "requests", "", 1},
};

// Every way a record can be invalid, as the app's contract lists them.
std::string malformed(int64_t i) {
    switch ((i / 100) % 10) {
    case 0:
        return fmt::format("not json #{}", i);
    case 1:
        return fmt::format(R"({{"host":"h","value":1,"seq":{}}})", i); // no name
    case 2:
        return fmt::format(R"({{"name":"n","value":1,"seq":{}}})", i); // no host
    case 3:
        return fmt::format(R"({{"name":"n","host":"h","seq":{}}})", i); // no value
    case 4:
        return fmt::format(R"({{"name":"n","host":"  ","value":1,"seq":{}}})", i);
    case 5:
        return fmt::format(R"({{"name":"n","host":"h","value":"7","seq":{}}})", i);
    case 6:
        return fmt::format(R"({{"name":"n","host":"h","value":1e999,"seq":{}}})", i);
    case 7:
        return fmt::format(R"({{"name":"n","host":"h","value":1,"ts":-5,"seq":{}}})", i);
    case 8:
        return fmt::format(R"([{},"an array"])", i);
    default:
        return fmt::format(R"({{"name":"n","host":"h","value":1,"tags":[1],"seq":{}}})", i);
    }
}

struct expected_window {
    int64_t count = 0;
    double sum = 0;
    double min = 0;
    double max = 0;
};
// (host, name, unit, window start)
using window_id = std::tuple<std::string, std::string, std::string, int64_t>;

struct input {
    std::map<window_id, expected_window> windows;
    std::set<std::string> malformed;
};

// Writes the input and returns what the app must make of it.
input produce_input(const std::string& topic) {
    input in;
    kafka::client_config pc = testing::real_client_config();
    pc.set("linger.ms", "20").set("batch.num.messages", "10000");
    kafka::producer p(pc);
    const kafka::topic_ptr t = p.open_topic(topic);
    for (int64_t i = 0; i < records; ++i) {
        const std::string host = fmt::format("host-{:02d}", (i * 7) % hosts);
        if (i % 100 == 37) {
            const std::string value = malformed(i);
            in.malformed.insert(value);
            p.produce(t.get(), RD_KAFKA_PARTITION_UA, host, value);
            continue;
        }
        const kind& k = kinds[(i / 3) % std::size(kinds)];
        const int64_t raw = (i * 31) % 1000;
        const int64_t ts = base_ts + i;
        const std::string unit = k.unit ? fmt::format(R"(,"unit":"{}")", k.unit) : "";
        p.produce(t.get(), RD_KAFKA_PARTITION_UA, host,
                  fmt::format(R"({{"name":"{}","host":"{}","value":{}{},"ts":{}}})", k.name, host,
                              raw, unit, ts));
        const double v = static_cast<double>(raw) / k.divisor;
        auto& w = in.windows[{host, k.norm_name, k.norm_unit, ts - ts % window_ms}];
        w.min = w.count == 0 ? v : std::min(w.min, v);
        w.max = w.count == 0 ? v : std::max(w.max, v);
        w.sum += v;
        ++w.count;
    }
    p.flush(60s);
    return in;
}

// One record per partition of the app's repartition topic, far enough ahead in event
// time to close every window. Written only once the app has consumed all of the input,
// so that nothing of it can arrive after them.
void produce_closers(const std::string& topic) {
    kafka::producer p(testing::real_client_config());
    const int64_t ts = base_ts + records + window_ms + grace_ms + 1000;
    std::set<int32_t> covered;
    const apps::metric_key_serde serde;
    for (int j = 0; covered.size() < partitions; ++j) {
        const apps::metric_key key{fmt::format("closer-{}", j), "close", ""};
        std::string buffer;
        const int32_t target = default_partition(*serde.serialize(key, buffer), partitions);
        if (covered.insert(target).second) {
            p.produce(
                topic, RD_KAFKA_PARTITION_UA, key.host,
                fmt::format(R"({{"name":"close","host":"{}","value":0,"ts":{}}})", key.host, ts));
        }
    }
    p.flush(30s);
}

struct run_result {
    int64_t outputs = 0;
    int64_t duplicates = 0;
    int64_t unexpected = 0;
    int64_t wrong = 0;
    int64_t missing = 0;
    int64_t dlq = 0;
    int64_t dlq_unexpected = 0;
    int64_t dlq_without_reason = 0;
};

class metrics_app : public ::testing::Test {
protected:
    void SetUp() override {
        in_topic = testing::unique_name("metrics-in");
        out_topic = testing::unique_name("metrics-out");
        dlq_topic = testing::unique_name("metrics-dlq");
        app_id = testing::unique_name("metrics-app");
        state_dir = std::filesystem::temp_directory_path() / testing::unique_name("metrics-state");
        kafka::admin_client admin(testing::real_client_config());
        admin.create_topics({{in_topic, partitions, 1, {}}}, 30s);
    }
    void TearDown() override { std::filesystem::remove_all(state_dir); }

    std::vector<std::string> args(const std::string& guarantee) const {
        return {testing::bin_path("brook-metrics"),
                "--bootstrap-servers",
                testing::real_bootstrap(),
                "--application-id",
                app_id,
                "--processing-guarantee",
                guarantee,
                "--state-dir",
                state_dir.string(),
                "--input-topic",
                in_topic,
                "--output-topic",
                out_topic,
                "--dlq-topic",
                dlq_topic,
                "--partitions",
                std::to_string(partitions),
                "--window",
                "60s",
                "--grace",
                "5m",
                "--set",
                "commit.interval.ms=1000"};
    }

    // Waits for the app to commit all of the input.
    bool wait_for_input_consumed(testing::app_process& app, std::chrono::seconds patience) {
        const auto deadline = std::chrono::steady_clock::now() + patience;
        const auto end = testing::end_offsets(testing::real_client_config(), in_topic, partitions);
        while (std::chrono::steady_clock::now() < deadline && app.alive()) {
            if (testing::committed_offsets(testing::real_client_config(), app_id, in_topic,
                                           partitions) == end) {
                return true;
            }
            std::this_thread::sleep_for(500ms);
        }
        return false;
    }

    run_result check_output(const input& in) const {
        run_result r;
        std::set<window_id> seen;
        testing::topic_tail out(testing::real_client_config(), out_topic, partitions);
        const auto on_output = [&](const rd_kafka_message_t& m) {
            ++r.outputs;
            const auto j = nlohmann::json::parse(
                std::string_view(static_cast<const char*>(m.payload), m.len), nullptr, false);
            if (j.is_discarded() || !j.is_object()) {
                ++r.unexpected;
                return;
            }
            const window_id id{j.value("host", ""), j.value("name", ""),
                               j["unit"].is_string() ? j["unit"].get<std::string>() : "",
                               j.value("window_start", int64_t{-1})};
            auto it = in.windows.find(id);
            if (it == in.windows.end()) {
                ++r.unexpected;
                return;
            }
            if (!seen.insert(id).second) {
                ++r.duplicates;
                return;
            }
            const expected_window& w = it->second;
            const double sum = j.value("sum", -1.0);
            if (j.value("count", int64_t{-1}) != w.count || j.value("min", -1.0) != w.min ||
                j.value("max", -1.0) != w.max || std::abs(sum - w.sum) > 1e-9 * std::abs(w.sum) ||
                j.value("window_end", int64_t{-1}) != std::get<3>(id) + window_ms ||
                std::abs(j.value("avg", -1.0) - w.sum / static_cast<double>(w.count)) >
                    1e-9 * std::abs(w.sum)) {
                ++r.wrong;
            }
        };
        out.poll_until([&] { return static_cast<size_t>(r.outputs) >= in.windows.size(); }, 300s,
                       on_output);
        out.poll(2s, on_output); // anything extra?
        r.missing = static_cast<int64_t>(in.windows.size() - seen.size());

        std::set<std::string> dlq_seen;
        testing::topic_tail dlq(testing::real_client_config(), dlq_topic, partitions);
        const auto on_dead = [&](const rd_kafka_message_t& m) {
            ++r.dlq;
            const std::string value(static_cast<const char*>(m.payload), m.len);
            if (!in.malformed.contains(value) || !dlq_seen.insert(value).second) {
                ++r.dlq_unexpected;
            }
            rd_kafka_headers_t* hdrs = nullptr;
            const void* reason = nullptr;
            size_t size = 0;
            if (rd_kafka_message_headers(&m, &hdrs) != RD_KAFKA_RESP_ERR_NO_ERROR ||
                rd_kafka_header_get_last(hdrs, "error", &reason, &size) !=
                    RD_KAFKA_RESP_ERR_NO_ERROR ||
                size == 0) {
                ++r.dlq_without_reason;
            }
        };
        dlq.poll_until([&] { return static_cast<size_t>(r.dlq) >= in.malformed.size(); }, 120s,
                       on_dead);
        dlq.poll(1s, on_dead);
        return r;
    }

    std::string in_topic;
    std::string out_topic;
    std::string dlq_topic;
    std::string app_id;
    std::filesystem::path state_dir;
};

void expect_exact(const run_result& r, const input& in) {
    EXPECT_EQ(r.missing, 0) << "windows missing from the output";
    EXPECT_EQ(r.duplicates, 0) << "windows emitted more than once";
    EXPECT_EQ(r.wrong, 0) << "windows with wrong aggregates";
    EXPECT_EQ(r.unexpected, 0) << "output records for windows that do not exist";
    EXPECT_EQ(r.dlq, static_cast<int64_t>(in.malformed.size()));
    EXPECT_EQ(r.dlq_unexpected, 0) << "DLQ records that were not malformed, or twice";
    EXPECT_EQ(r.dlq_without_reason, 0) << "DLQ records without an error header";
    std::cout << fmt::format("[ figures  ] {} windows exact, {} malformed records in the DLQ\n",
                             in.windows.size() - static_cast<size_t>(r.missing + r.wrong), r.dlq);
}

// Sums the samples of `metric` (with or without labels) whose line contains `label`.
double prometheus_sum(const std::string& text, const std::string& metric,
                      const std::string& label) {
    double sum = 0;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
        const bool sample = line.starts_with(metric + "{") || line.starts_with(metric + " ");
        if (sample && line.find(label) != std::string::npos) {
            sum += std::stod(line.substr(line.rfind(' ') + 1));
        }
    }
    return sum;
}

TEST_F(metrics_app, a_million_metrics_aggregate_exactly_and_the_malformed_go_to_the_dlq) {
    const input in = produce_input(in_topic);
    const uint16_t port = testing::free_port();
    std::vector<std::string> a = args("at_least_once");
    a.insert(a.end(), {"--http-port", std::to_string(port)});
    testing::app_process app(a);
    ASSERT_TRUE(wait_for_input_consumed(app, 300s)) << "the app did not consume its input";

    // The operator endpoint of the running app, through a real HTTP client.
    const auto ready = testing::http_get("127.0.0.1", port, "/ready");
    EXPECT_EQ(ready.status, 200) << ready.body << ready.error;
    const auto metrics = testing::http_get("127.0.0.1", port, "/metrics");
    ASSERT_EQ(metrics.status, 200) << metrics.error;
    EXPECT_EQ(prometheus_sum(metrics.body, "brook_records_consumed_total",
                             fmt::format("topic=\"{}\"", in_topic)),
              static_cast<double>(records));
    EXPECT_EQ(prometheus_sum(metrics.body, "brook_dead_lettered_total", ""),
              static_cast<double>(in.malformed.size()));
    // The key's latest window: older ones may have left the store's retention (window +
    // grace) already.
    const auto& [host, name, unit, first_start] = in.windows.begin()->first;
    int64_t start = first_start;
    for (const auto& [id, w] : in.windows) {
        if (std::get<0>(id) == host && std::get<1>(id) == name && std::get<2>(id) == unit) {
            start = std::max(start, std::get<3>(id));
        }
    }
    const auto query = testing::http_get(
        "127.0.0.1", port,
        fmt::format("/stores/{}/keys/{}%7C{}%7C{}", apps::metrics_store, host, name, unit));
    EXPECT_EQ(query.status, 200) << query.body;
    EXPECT_NE(query.body.find(fmt::format("\"window_start\":{}", start)), std::string::npos)
        << query.body;
    EXPECT_EQ(
        testing::http_get("127.0.0.1", port,
                          fmt::format("/stores/{}/keys/no-such-key%7Cx%7C", apps::metrics_store))
            .status,
        404);
    EXPECT_EQ(testing::http_get("127.0.0.1", port,
                                fmt::format("/stores/{}/keys/not-a-key", apps::metrics_store))
                  .status,
              400);

    produce_closers(in_topic);
    const run_result r = check_output(in);
    EXPECT_EQ(app.stop(SIGTERM), 0);
    expect_exact(r, in);
}

TEST_F(metrics_app, a_million_metrics_aggregate_exactly_under_exactly_once) {
    const input in = produce_input(in_topic);
    testing::app_process app(args("exactly_once_v2"));
    ASSERT_TRUE(wait_for_input_consumed(app, 300s)) << "the app did not consume its input";
    produce_closers(in_topic);
    const run_result r = check_output(in);
    EXPECT_EQ(app.stop(SIGTERM), 0);
    expect_exact(r, in);
}

} // namespace
} // namespace brook
