// Under exactly-once the stream thread goes on processing while its last transaction
// commits on the committer thread. Whatever a task sends meanwhile (here a wall-clock
// punctuator's records, between sparse input records) must go into the next
// transaction: none may be refused for lack of an open one (which would abort and rewind
// every task), none lost, none doubled.

#include <atomic>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "engine/config/streams_config.h"
#include "engine/kafka/admin_client.h"
#include "engine/kafka/partition_reader.h"
#include "engine/kafka/producer.h"
#include "engine/runtime/kafka_streams.h"
#include "engine/topology/topology_builder.h"
#include "tests/support/broker.h"

namespace brook {
namespace {

using namespace std::chrono_literals;

// Forwards each input record, and a "tick" every few milliseconds of wall-clock time.
class ticking_forwarder final : public processor<std::string, std::string> {
public:
    void init(context_type& ctx) override {
        ctx.schedule(7ms, punctuation_type::wall_clock_time, [this](int64_t now) {
            this->context().forward(
                record<std::string, std::string>{"tick", std::to_string(now), now, {}});
        });
    }
    void process(record<std::string, std::string>&& r) override { context().forward(std::move(r)); }
};

TEST(pipelined_commit, records_sent_while_a_transaction_commits_go_into_the_next_one) {
    const std::string in = testing::unique_name("pipe-in");
    const std::string out = testing::unique_name("pipe-out");
    kafka::admin_client(testing::real_client_config())
        .create_topics({{in, 1, 1, {}}, {out, 1, 1, {}}}, 30s);

    topology_builder builder;
    builder.add_source<std::string, std::string>("source", {in})
        .add_processor<ticking_forwarder>(
            "tick", [] { return std::make_unique<ticking_forwarder>(); }, {"source"})
        .add_sink<std::string, std::string>("sink", out, {"tick"});
    const topology topo = builder.build();
    const std::string state_dir =
        (std::filesystem::temp_directory_path() / testing::unique_name("pipe-state")).string();
    kafka_streams app(topo, streams_config({{"application.id", testing::unique_name("pipe-app")},
                                            {"bootstrap.servers", testing::real_bootstrap()},
                                            {"state.dir", state_dir},
                                            {"processing.guarantee", "exactly_once_v2"},
                                            {"commit.interval.ms", "100"}}));
    app.start();
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (app.state() != streams_state::running && app.state() != streams_state::error &&
           std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(50ms);
    }
    ASSERT_EQ(app.state(), streams_state::running) << app.error_reason();

    // Sparse input: most commits end with nothing held, and the punctuator fires between.
    constexpr int inputs = 60;
    {
        kafka::producer p(testing::real_client_config());
        for (int i = 0; i < inputs; ++i) {
            p.produce(in, 0, "k", "in-" + std::to_string(i));
            p.flush(10s);
            std::this_thread::sleep_for(50ms);
        }
    }
    while (app.records_processed() < static_cast<uint64_t>(inputs) &&
           app.state() != streams_state::error && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(50ms);
    }
    ASSERT_NE(app.state(), streams_state::error) << app.error_reason();
    const uint64_t committed = app.transactions_committed();
    const uint64_t aborted = app.transactions_aborted();
    ASSERT_TRUE(app.close(30s));
    std::filesystem::remove_all(state_dir);

    EXPECT_EQ(aborted, 0U) << "a record was sent with no transaction open";
    EXPECT_GT(committed, 10U) << "the test must see many commits end between inputs";
    int ticks = 0;
    std::vector<int> seen(inputs, 0);
    for (const auto& r :
         kafka::read_partition(testing::real_client_config(), out, 0, "read_committed")) {
        if (r.key == "tick") {
            ++ticks;
            continue;
        }
        const std::string value = r.value.value_or("");
        ASSERT_TRUE(value.starts_with("in-")) << value;
        ++seen.at(static_cast<size_t>(std::stoi(value.substr(3))));
    }
    EXPECT_GT(ticks, 20) << "the punctuator's records are committed too";
    for (int i = 0; i < inputs; ++i) {
        EXPECT_EQ(seen[static_cast<size_t>(i)], 1) << "input " << i;
    }
}

} // namespace
} // namespace brook
