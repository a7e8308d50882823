// The resilient publisher without a real broker: against an unreachable address (events
// wait in the outbox, the breaker opens, publish() neither throws nor blocks) and against
// librdkafka's in-process mock cluster, whose broker can be taken down and whose produce
// requests can be made to fail (outage and recovery in order, retries, the dead-letter
// topic, a crashed process's outbox delivered by the next one).

#include <chrono>
#include <filesystem>
#include <future>
#include <map>
#include <signal.h>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <tuple>
#include <unistd.h>
#include <vector>

#include <gtest/gtest.h>

#include "apps/publisher/publisher_metrics.h"
#include "engine/errors.h"
#include "engine/kafka/consumer.h"
#include "engine/kafka/handles.h"
#include "engine/kafka/mock_cluster.h"
#include "engine/kafka/partition_reader.h"
#include "publisher/outbox.h"
#include "publisher/resilient_publisher.h"
#include "tests/support/broker.h"

namespace brook::publisher {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

// Waits until `done()` holds, up to `timeout`.
template <class F>
bool eventually(F done, std::chrono::milliseconds timeout) {
    const auto deadline = clock_type::now() + timeout;
    while (!done()) {
        if (clock_type::now() > deadline) {
            return false;
        }
        std::this_thread::sleep_for(10ms);
    }
    return true;
}

// librdkafka's mock cluster, owned by a handle of its own.
class mock_kafka {
public:
    mock_kafka() {
        kafka::conf_ptr conf(rd_kafka_conf_new());
        std::array<char, 256> err{};
        rd_kafka_conf_set(conf.get(), "log_level", "0", err.data(), err.size());
        _owner.reset(rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), err.data(), err.size()));
        if (!_owner) {
            throw std::runtime_error(err.data());
        }
        (void)conf.release();
        _cluster.reset(rd_kafka_mock_cluster_new(_owner.get(), 1));
        if (!_cluster) {
            throw std::runtime_error("cannot create the mock cluster");
        }
    }
    std::string bootstrap() const { return rd_kafka_mock_cluster_bootstraps(_cluster.get()); }
    void create_topic(const std::string& name, int partitions) {
        ASSERT_EQ(rd_kafka_mock_topic_create(_cluster.get(), name.c_str(), partitions, 1),
                  RD_KAFKA_RESP_ERR_NO_ERROR);
    }
    void broker_down() { rd_kafka_mock_broker_set_down(_cluster.get(), 1); }
    void broker_up() { rd_kafka_mock_broker_set_up(_cluster.get(), 1); }
    // The next `n` produce requests fail with `err`.
    void fail_produce_requests(size_t n, rd_kafka_resp_err_t err) {
        std::vector<rd_kafka_resp_err_t> errors(n, err);
        rd_kafka_mock_push_request_errors_array(_cluster.get(), 0 /* Produce */, n, errors.data());
    }

private:
    // The cluster is destroyed before the handle that owns it.
    kafka::kafka_ptr _owner;
    kafka::mock_cluster_ptr _cluster;
};

struct consumed {
    std::string key;
    std::string value;
    std::map<std::string, std::string> headers;
};

// Reads `count` records of `topic` (all partitions, from the start), up to `timeout`.
std::vector<consumed> consume(const std::string& bootstrap, const std::string& topic,
                              int partitions, size_t count, std::chrono::milliseconds timeout) {
    kafka::client_config config{{"bootstrap.servers", bootstrap},
                                {"group.id", testing::unique_name("publisher-test")},
                                {"enable.auto.commit", "false"},
                                {"log_level", "0"}};
    kafka::consumer c(config);
    std::vector<std::tuple<std::string, int32_t, int64_t>> entries;
    for (int p = 0; p < partitions; ++p) {
        entries.emplace_back(topic, p, RD_KAFKA_OFFSET_BEGINNING);
    }
    c.assign(*kafka::make_partition_list(entries));
    std::vector<consumed> out;
    const auto deadline = clock_type::now() + timeout;
    while (out.size() < count && clock_type::now() < deadline) {
        kafka::message_ptr m = c.poll(100ms);
        if (!m || m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            continue;
        }
        consumed r;
        r.key.assign(static_cast<const char*>(m->key), m->key_len);
        r.value.assign(static_cast<const char*>(m->payload), m->len);
        for (auto& [name, value] : kafka::message_headers(*m)) {
            r.headers[name] = value.value_or("");
        }
        out.push_back(std::move(r));
    }
    c.close();
    return out;
}

class resilient_publisher_test : public ::testing::Test {
protected:
    void SetUp() override {
        _dir = fs::temp_directory_path() / testing::unique_name("brook-publisher-test");
    }
    void TearDown() override {
        std::error_code ec;
        fs::remove_all(_dir, ec);
    }

    // Small timings so that the breaker reacts within a test's patience.
    publisher_options options(const std::string& bootstrap) const {
        publisher_options o;
        o.kafka.set("bootstrap.servers", bootstrap).set("log_level", "0");
        o.outbox_dir = _dir;
        o.delivery_timeout = 300ms;
        o.breaker.window_size = 10;
        o.breaker.minimum_calls = 5;
        o.breaker.wait_in_open = 300ms;
        o.breaker.permitted_calls_in_half_open = 2;
        o.backoff = {50ms, 100ms};
        o.close_flush_timeout = 2s;
        return o;
    }

    fs::path _dir;
};

// "key-<k>" and "<k>:<i>" for event i of key k, so order per key can be checked.
std::vector<std::pair<std::string, std::string>> events(int keys, int per_key, int first = 0) {
    std::vector<std::pair<std::string, std::string>> out;
    for (int i = first; i < first + per_key; ++i) {
        for (int k = 0; k < keys; ++k) {
            out.emplace_back("key-" + std::to_string(k),
                             std::to_string(k) + ":" + std::to_string(i));
        }
    }
    return out;
}

// Every key's values arrive complete and in increasing order (first occurrences).
void expect_complete_and_ordered(const std::vector<consumed>& records, int keys, int per_key) {
    std::map<std::string, std::vector<int>> by_key;
    for (const consumed& r : records) {
        const int i = std::stoi(r.value.substr(r.value.find(':') + 1));
        auto& seen = by_key[r.key];
        if (std::find(seen.begin(), seen.end(), i) == seen.end()) {
            seen.push_back(i);
        }
    }
    ASSERT_EQ(by_key.size(), static_cast<size_t>(keys));
    for (const auto& [key, seen] : by_key) {
        EXPECT_EQ(seen.size(), static_cast<size_t>(per_key)) << key;
        EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end())) << key << " out of order";
    }
}

TEST_F(resilient_publisher_test,
       with_kafka_unreachable_events_wait_in_the_outbox_and_the_breaker_opens) {
    publisher_options o = options("127.0.0.1:1");
    o.max_in_flight = 100;
    const auto evs = events(4, 500);
    {
        resilient_publisher publisher(o);
        std::chrono::nanoseconds slowest{0};
        for (const auto& [key, value] : evs) {
            const auto start = clock_type::now();
            const publish_receipt r = publisher.publish("orders", key, value);
            slowest = std::max(slowest, clock_type::now() - start);
            ASSERT_TRUE(r.accepted) << r.message;
        }
        auto tracked = publisher.publish_tracked("orders", std::string_view("key-0"), "tracked");
        // A local append each: far from any network timeout, even under a sanitizer.
        EXPECT_LT(slowest, 250ms);

        ASSERT_TRUE(eventually([&] { return publisher.stats().breaker.opened >= 1; }, 10s));
        std::this_thread::sleep_for(3 * o.breaker.wait_in_open);
        const publisher_stats s = publisher.stats();
        EXPECT_EQ(s.accepted, evs.size() + 1);
        EXPECT_EQ(s.pending, evs.size() + 1);
        EXPECT_EQ(s.delivered, 0u);
        EXPECT_GE(s.delivery_timeouts, 5u);
        // The producer holds max_in_flight events it cannot deliver; nothing more is sent,
        // not even probes, until acknowledgements free room.
        EXPECT_EQ(s.in_flight, 100u);
        EXPECT_EQ(s.breaker.state, breaker_state::open);
        EXPECT_EQ(tracked.wait_for(0s), std::future_status::timeout);

        publisher.close();
        ASSERT_EQ(tracked.wait_for(1s), std::future_status::ready);
        EXPECT_EQ(tracked.get().status, delivery_status::pending_at_close);
        EXPECT_EQ(publisher.publish("orders", std::nullopt, "late").error, publish_error::closed);
    }

    // Everything is still there, in acceptance order.
    outbox box({_dir, false});
    EXPECT_EQ(box.size(), evs.size() + 1);
    size_t i = 0;
    for (auto r = box.read_from(0); r.valid() && i < evs.size(); r.next(), ++i) {
        const auto record = decode(r.record());
        ASSERT_TRUE(record.has_value());
        EXPECT_EQ(*record->key, evs[i].first);
        EXPECT_EQ(*record->value, evs[i].second);
        EXPECT_EQ(record->attempts, 0u); // waiting for Kafka is not a failed attempt
    }
}

TEST_F(resilient_publisher_test, bad_input_is_answered_in_the_receipt_and_the_future_never_thrown) {
    publisher_options o = options("127.0.0.1:1");
    o.max_record_bytes = 100;
    resilient_publisher publisher(o);
    EXPECT_EQ(publisher.publish("", std::nullopt, "v").error, publish_error::invalid_topic);
    EXPECT_EQ(publisher.publish("no spaces", std::nullopt, "v").error,
              publish_error::invalid_topic);
    EXPECT_EQ(publisher.publish("..", std::nullopt, "v").error, publish_error::invalid_topic);
    EXPECT_EQ(publisher.publish(std::string(247, 'a'), std::nullopt, "v").error,
              publish_error::invalid_topic); // no room for ".dlq"
    const publish_receipt big = publisher.publish("t", std::nullopt, std::string(101, 'x'));
    EXPECT_EQ(big.error, publish_error::record_too_large);
    EXPECT_NE(big.message.find("max_record_bytes"), std::string::npos) << big.message;
    const std::vector<message_header> headers = {{"h", std::string(100, 'y')}};
    EXPECT_EQ(publisher.publish("t", std::nullopt, "v", headers).error,
              publish_error::record_too_large);

    auto rejected = publisher.publish_tracked("bad/topic", std::nullopt, "v");
    ASSERT_EQ(rejected.wait_for(0s), std::future_status::ready);
    const delivery_report report = rejected.get();
    EXPECT_EQ(report.status, delivery_status::rejected);
    EXPECT_NE(report.error.find("'/'"), std::string::npos) << report.error;

    EXPECT_TRUE(publisher.publish("t", std::nullopt, std::nullopt).accepted);
    const publisher_stats s = publisher.stats();
    EXPECT_EQ(s.rejected, 7u);
    EXPECT_EQ(s.accepted, 1u);
}

TEST_F(resilient_publisher_test,
       refuses_properties_that_would_break_ordering_and_a_missing_bootstrap) {
    auto expect_config_error = [&](publisher_options o, const std::string& needle) {
        try {
            resilient_publisher p(std::move(o));
            FAIL() << "expected config_error mentioning " << needle;
        } catch (const config_error& e) {
            EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
        }
    };
    publisher_options o = options("127.0.0.1:1");
    o.kafka.set("enable.idempotence", "false");
    expect_config_error(o, "enable.idempotence");
    o = options("127.0.0.1:1");
    o.kafka.set("message.timeout.ms", "30000");
    expect_config_error(o, "message.timeout.ms");
    o = options("127.0.0.1:1");
    o.kafka.set("delivery.timeout.ms", "30000");
    expect_config_error(o, "delivery.timeout.ms");
    o = options("127.0.0.1:1");
    o.kafka = kafka::client_config{};
    expect_config_error(o, "bootstrap.servers");

    const auto config = outbox_relay::producer_config(options("127.0.0.1:1"));
    EXPECT_EQ(config.get("enable.gapless.guarantee"), "true");
    EXPECT_EQ(config.get("partitioner"), "murmur2_random");
}

TEST_F(resilient_publisher_test,
       an_outage_opens_the_breaker_and_recovery_closes_it_with_every_key_in_order) {
    mock_kafka kafka;
    kafka.create_topic("orders", 3);
    publisher_options o = options(kafka.bootstrap());
    o.sequence_header = "outbox-seq";
    {
        resilient_publisher publisher(o);
        for (const auto& [key, value] : events(4, 100, 0)) {
            ASSERT_TRUE(publisher.publish("orders", key, value));
        }
        ASSERT_TRUE(publisher.wait_until_empty(20s))
            << publisher.stats().pending << " pending, " << publisher.stats().in_flight
            << " in flight, " << publisher.stats().delivered << " delivered, last error "
            << publisher.stats().last_error;

        kafka.broker_down();
        for (const auto& [key, value] : events(4, 100, 100)) {
            ASSERT_TRUE(publisher.publish("orders", key, value));
            std::this_thread::sleep_for(1ms);
        }
        ASSERT_TRUE(eventually([&] { return publisher.state() == breaker_state::open; }, 10s));
        for (const auto& [key, value] : events(4, 100, 200)) {
            ASSERT_TRUE(publisher.publish("orders", key, value)); // straight to the outbox
        }
        EXPECT_GT(publisher.stats().pending, 0u);

        kafka.broker_up();
        ASSERT_TRUE(publisher.wait_until_empty(30s)) << publisher.stats().pending << " pending";
        ASSERT_TRUE(eventually([&] { return publisher.stats().breaker.closed >= 1; }, 10s));
        const publisher_stats s = publisher.stats();
        EXPECT_EQ(s.delivered, 1200u);
        EXPECT_EQ(s.dead_lettered, 0u);
        EXPECT_GE(s.breaker.opened, 1u);
        EXPECT_EQ(s.order_violations, 0u);
        publisher.close();
    }
    const auto records = consume(kafka.bootstrap(), "orders", 3, 1200, 30s);
    ASSERT_GE(records.size(), 1200u);
    expect_complete_and_ordered(records, 4, 300);
    EXPECT_EQ(records.front().headers.count("outbox-seq"), 1u);
}

TEST_F(resilient_publisher_test,
       an_event_failing_every_attempt_goes_to_the_dead_letter_topic_with_why) {
    mock_kafka kafka;
    kafka.create_topic("payments", 1);
    kafka.create_topic("payments.dlq", 1);
    publisher_options o = options(kafka.bootstrap());
    o.max_attempts = 2;
    {
        resilient_publisher publisher(o);
        ASSERT_TRUE(publisher.publish("payments", std::string_view("warmup"), "ok"));
        ASSERT_TRUE(publisher.wait_until_empty(20s))
            << apps::publisher_stats_json(publisher.stats()).dump();

        // Both attempts fail; the dead-letter write is the third produce request.
        kafka.fail_produce_requests(2, RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED);
        const std::vector<message_header> headers = {{"trace", std::string_view("t-1")}};
        auto future =
            publisher.publish_tracked("payments", std::string_view("p-1"), "charge", headers);
        ASSERT_EQ(future.wait_for(30s), std::future_status::ready);
        const delivery_report report = future.get();
        EXPECT_EQ(report.status, delivery_status::dead_lettered);
        EXPECT_EQ(report.attempts, 2u);
        EXPECT_NE(report.error.find("authorization"), std::string::npos) << report.error;

        // The key flows again afterwards.
        auto next = publisher.publish_tracked("payments", std::string_view("p-1"), "refund");
        ASSERT_EQ(next.wait_for(20s), std::future_status::ready);
        EXPECT_EQ(next.get().status, delivery_status::delivered);
        const publisher_stats s = publisher.stats();
        EXPECT_EQ(s.dead_lettered, 1u);
        EXPECT_EQ(s.failed_attempts, 2u);
        EXPECT_EQ(s.pending, 0u);
        publisher.close();
    }
    const auto dead = consume(kafka.bootstrap(), "payments.dlq", 1, 1, 20s);
    ASSERT_EQ(dead.size(), 1u);
    EXPECT_EQ(dead[0].key, "p-1");
    EXPECT_EQ(dead[0].value, "charge");
    EXPECT_EQ(dead[0].headers.at("trace"), "t-1");
    EXPECT_EQ(dead[0].headers.at("attempts"), "2");
    EXPECT_EQ(dead[0].headers.at("original-topic"), "payments");
    EXPECT_NE(dead[0].headers.at("error").find("authorization"), std::string::npos);
    EXPECT_LE(std::stoll(dead[0].headers.at("first-failure-ts")),
              std::stoll(dead[0].headers.at("last-failure-ts")));
    const auto delivered = consume(kafka.bootstrap(), "payments", 1, 2, 20s);
    ASSERT_EQ(delivered.size(), 2u);
    EXPECT_EQ(delivered[1].value, "refund");
}

TEST_F(resilient_publisher_test, events_of_a_killed_process_are_delivered_by_the_next_one) {
    const auto evs = events(3, 200);
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        // The publishing process: Kafka away, everything accepted, then killed outright,
        // with no close, no destructor, no final fsync.
        try {
            resilient_publisher publisher(options("127.0.0.1:1"));
            for (const auto& [key, value] : evs) {
                if (!publisher.publish("orders", key, value)) {
                    _exit(1);
                }
            }
            raise(SIGKILL);
        } catch (...) {
        }
        _exit(2);
    }
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "status " << status;

    mock_kafka kafka;
    kafka.create_topic("orders", 2);
    {
        resilient_publisher publisher(options(kafka.bootstrap()));
        EXPECT_EQ(publisher.stats().pending, evs.size());
        ASSERT_TRUE(publisher.wait_until_empty(30s)) << publisher.stats().pending << " pending";
        EXPECT_EQ(publisher.stats().delivered, evs.size());
    }
    expect_complete_and_ordered(consume(kafka.bootstrap(), "orders", 2, evs.size(), 30s), 3, 200);
}

TEST(publisher_metrics, every_counter_and_the_breaker_state_reach_prometheus_and_json) {
    publisher_stats s;
    s.accepted = 7;
    s.pending = 3;
    s.delivered = 4;
    s.breaker.state = breaker_state::half_open;
    s.breaker.opened = 2;
    s.breaker.closed = 1;
    brook::prometheus_writer w;
    apps::write_publisher_metrics(w, s);
    const std::string text = w.take();
    EXPECT_NE(text.find("brook_publisher_events_accepted_total 7\n"), std::string::npos) << text;
    EXPECT_NE(text.find("brook_publisher_events_pending 3\n"), std::string::npos);
    EXPECT_NE(text.find("brook_publisher_breaker_state{state=\"half_open\"} 1\n"),
              std::string::npos);
    EXPECT_NE(text.find("brook_publisher_breaker_state{state=\"open\"} 0\n"), std::string::npos);
    EXPECT_NE(text.find("brook_publisher_breaker_transitions_total{to=\"open\"} 2\n"),
              std::string::npos);
    EXPECT_NE(text.find("# TYPE brook_publisher_events_delivered_total counter"),
              std::string::npos);

    const nlohmann::json j = apps::publisher_stats_json(s);
    EXPECT_EQ(j["accepted"], 7);
    EXPECT_EQ(j["breaker"]["state"], "half_open");
    EXPECT_EQ(j["breaker"]["opened"], 2);
}

} // namespace
} // namespace brook::publisher
