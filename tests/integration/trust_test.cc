// What an operator must be able to trust, on the real broker: a second instance on a state
// directory in use is refused, a stuck stream thread makes /health and /ready fail with the
// reason, SIGTERM is honoured during start-up, and an output topic that does not exist
// stops the application with a clear error under both guarantees instead of looping.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <signal.h>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "engine/kafka/admin_client.h"
#include "engine/kafka/producer.h"
#include "engine/runtime/kafka_streams.h"
#include "operators/stream_builder.h"
#include "ops/ops_endpoint.h"
#include "tests/support/app_process.h"
#include "tests/support/broker.h"
#include "tests/support/eventually.h"
#include "tests/support/http_get.h"

namespace brook {
namespace {

using namespace std::chrono_literals;

std::string read_file(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

bool eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
    return testing::eventually(done, timeout, 50ms);
}

TEST(trust, a_second_instance_on_a_state_directory_in_use_exits_2_naming_it) {
    const std::string in = testing::unique_name("lock-in");
    const std::string app_id = testing::unique_name("lock-app");
    const auto state = std::filesystem::temp_directory_path() / testing::unique_name("lock-st");
    const auto err = std::filesystem::temp_directory_path() / testing::unique_name("lock-err");
    const std::vector<std::string> args = {testing::bin_path("brook-metrics"),
                                           "--bootstrap-servers",
                                           testing::real_bootstrap(),
                                           "--application-id",
                                           app_id,
                                           "--state-dir",
                                           state.string(),
                                           "--input-topic",
                                           in,
                                           "--output-topic",
                                           in + "-out",
                                           "--dlq-topic",
                                           in + "-dlq"};
    testing::app_process first(args);
    // The first holds the lock once it has started.
    ASSERT_TRUE(eventually([&] { return std::filesystem::exists(state / app_id / ".lock"); }, 60s));
    std::this_thread::sleep_for(500ms);
    testing::app_process second(args, err.string());
    EXPECT_EQ(second.wait(60s), 2);
    const std::string said = read_file(err);
    EXPECT_NE(said.find((state / app_id).string()), std::string::npos) << said;
    EXPECT_NE(said.find("in use by another instance"), std::string::npos) << said;
    EXPECT_TRUE(first.alive()) << "the first instance goes on";
    EXPECT_EQ(first.stop(SIGTERM), 0);
    // Once the first is gone, the directory can be used again.
    testing::app_process third(args);
    std::this_thread::sleep_for(3s);
    EXPECT_TRUE(third.alive());
    EXPECT_EQ(third.stop(SIGTERM), 0);
    std::filesystem::remove_all(state);
    std::filesystem::remove(err);
}

TEST(trust, sigterm_during_start_up_against_an_unreachable_broker_is_honoured_at_once) {
    const auto state = std::filesystem::temp_directory_path() / testing::unique_name("term-st");
    const auto err = std::filesystem::temp_directory_path() / testing::unique_name("term-err");
    // Nothing listens on port 1: start-up waits for broker.wait.timeout.ms (60 s).
    testing::app_process app({testing::bin_path("brook-metrics"), "--bootstrap-servers",
                              "127.0.0.1:1", "--state-dir", state.string()},
                             err.string());
    std::this_thread::sleep_for(2s);
    ASSERT_TRUE(app.alive()) << read_file(err);
    const auto signalled = std::chrono::steady_clock::now();
    const int code = app.stop(SIGTERM, 20s);
    const auto took = std::chrono::steady_clock::now() - signalled;
    EXPECT_EQ(code, 0) << read_file(err);
    // Behaviour, not speed: without the check it waits out the whole minute.
    EXPECT_LT(took, 10s) << "SIGTERM was not honoured while waiting for the broker";
    std::filesystem::remove_all(state);
    std::filesystem::remove(err);
}

// A processor that blocks on a record whose value is "hang" until released.
class hanging_gate {
public:
    void wait_if(const std::string& v) {
        if (v != "hang") {
            return;
        }
        std::unique_lock lock(_mutex);
        _waiting = true;
        _changed.notify_all();
        _changed.wait(lock, [&] { return _released; });
    }
    void release() {
        std::lock_guard lock(_mutex);
        _released = true;
        _changed.notify_all();
    }
    bool waiting() {
        std::lock_guard lock(_mutex);
        return _waiting;
    }

private:
    std::mutex _mutex;
    std::condition_variable _changed;
    bool _waiting = false;
    bool _released = false;
};

TEST(trust, a_stuck_stream_thread_makes_health_and_ready_fail_with_the_reason) {
    const std::string in = testing::unique_name("stuck-in");
    const std::string out = testing::unique_name("stuck-out");
    {
        kafka::admin_client admin(testing::real_client_config());
        admin.create_topics({{in, 1, 1, {}}, {out, 1, 1, {}}}, 30s);
    }
    auto gate = std::make_shared<hanging_gate>();
    stream_builder b;
    b.stream<std::string, std::string>({in})
        .peek([gate](const std::string&, const std::string& v) { gate->wait_if(v); })
        .to(out);
    const topology t = b.build();
    const auto state = std::filesystem::temp_directory_path() / testing::unique_name("stuck-st");
    kafka_streams app(t, streams_config({{"application.id", testing::unique_name("stuck-app")},
                                         {"bootstrap.servers", testing::real_bootstrap()},
                                         {"state.dir", state.string()},
                                         {"stall.timeout.ms", "1500"}}));
    app.start();
    brook::ops_endpoint_options options;
    options.http.port = 0;
    brook::ops_endpoint endpoint(app, options);
    endpoint.start();
    ASSERT_TRUE(eventually([&] { return app.state() == streams_state::running; }, 60s));
    EXPECT_EQ(testing::http_get("127.0.0.1", endpoint.port(), "/health").status, 200);

    kafka::producer p(testing::real_client_config());
    p.produce(in, 0, "k", "hang");
    p.flush(10s);
    ASSERT_TRUE(eventually([&] { return gate->waiting(); }, 30s));
    ASSERT_TRUE(eventually([&] { return !app.live(); }, 10s)) << "never reported stuck";
    const auto health = testing::http_get("127.0.0.1", endpoint.port(), "/health");
    EXPECT_EQ(health.status, 503) << health.body;
    EXPECT_NE(health.body.find("process phase"), std::string::npos) << health.body;
    const auto ready = testing::http_get("127.0.0.1", endpoint.port(), "/ready");
    EXPECT_EQ(ready.status, 503) << ready.body;
    EXPECT_NE(ready.body.find("stall.timeout.ms"), std::string::npos) << ready.body;
    const auto metrics = testing::http_get("127.0.0.1", endpoint.port(), "/metrics");
    EXPECT_NE(metrics.body.find("brook_thread_stuck{thread=\"1\"} 1"), std::string::npos);
    EXPECT_NE(metrics.body.find("brook_live 0"), std::string::npos);

    gate->release();
    EXPECT_TRUE(eventually([&] { return app.live() && app.ready(); }, 10s))
        << "health comes back once the thread goes on";
    EXPECT_TRUE(app.close(30s));
    endpoint.stop();
    std::filesystem::remove_all(state);
}

class missing_output : public ::testing::TestWithParam<std::string> {};

TEST_P(missing_output, an_output_topic_that_does_not_exist_stops_the_app_naming_it) {
    const std::string in = testing::unique_name("mo-in");
    const std::string out = testing::unique_name("mo-missing");
    {
        kafka::admin_client admin(testing::real_client_config());
        admin.create_topics({{in, 2, 1, {}}}, 30s);
        kafka::producer p(testing::real_client_config());
        p.produce(in, 0, "k", "v");
        p.flush(10s);
    }
    stream_builder b;
    b.stream<std::string, std::string>({in}).to(out);
    const topology t = b.build();
    const auto state = std::filesystem::temp_directory_path() / testing::unique_name("mo-st");
    kafka_streams app(t, streams_config({{"application.id", testing::unique_name("mo-app")},
                                         {"bootstrap.servers", testing::real_bootstrap()},
                                         {"state.dir", state.string()},
                                         {"processing.guarantee", GetParam()}}));
    app.start();
    ASSERT_TRUE(eventually([&] { return app.state() == streams_state::error; }, 60s))
        << "still " << to_string(app.state()) << " with " << app.transactions_aborted()
        << " aborted transactions";
    EXPECT_NE(app.error_reason().find(out), std::string::npos) << app.error_reason();
    EXPECT_NE(app.error_reason().find("does not exist"), std::string::npos) << app.error_reason();
    EXPECT_LE(app.transactions_aborted(), 1U) << "no abort loop";
    app.close(30s);
    std::filesystem::remove_all(state);
}

INSTANTIATE_TEST_SUITE_P(guarantees, missing_output,
                         ::testing::Values("at_least_once", "exactly_once_v2"));

} // namespace
} // namespace brook
