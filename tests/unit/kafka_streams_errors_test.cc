// Failures a user hits at start-up end in ERROR with a reason, not in a hang or a crash.

#include <filesystem>
#include <fstream>
#include <unistd.h>

#include <gtest/gtest.h>

#include "engine/errors.h"
#include "engine/runtime/kafka_streams.h"
#include "engine/runtime/process_id.h"
#include "operators/stream_builder.h"

namespace brook {
namespace {

TEST(kafka_streams_errors, unreachable_broker_moves_to_error_with_the_reason_after_a_bounded_wait) {
    stream_builder b;
    b.stream<std::string, std::string>({"in"}).to("out");
    const topology t = b.build();
    // Port 1 on loopback: nothing listens there, so every connection is refused.
    kafka_streams app(t, streams_config({{"application.id", "unreachable-test"},
                                         {"bootstrap.servers", "127.0.0.1:1"},
                                         {"broker.wait.timeout.ms", "1500"}}));
    std::vector<streams_state> seen;
    app.set_state_listener([&](streams_state now, streams_state) { seen.push_back(now); });
    const auto started = std::chrono::steady_clock::now();
    EXPECT_THROW(app.start(), streams_error);
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(30))
        << "the wait for the broker is not bounded";
    EXPECT_EQ(app.state(), streams_state::error);
    EXPECT_NE(app.error_reason().find("cannot reach the Kafka cluster"), std::string::npos)
        << app.error_reason();
    ASSERT_FALSE(seen.empty());
    EXPECT_EQ(seen.back(), streams_state::error);
    EXPECT_TRUE(app.close(std::chrono::seconds(5)));
}

TEST(kafka_streams_errors, a_topology_passed_as_a_temporary_is_kept_by_the_application) {
    // kafka_streams(builder.build(), config): the application owns the topology. With a
    // borrowed reference it read a destroyed topology (ASan's make-test run catches that).
    stream_builder b;
    b.stream<std::string, std::string>({"in"})
        .filter([](const std::string&, const std::string& v) { return !v.empty(); })
        .to("out");
    kafka_streams app(b.build(), streams_config({{"application.id", "temporary-topology-test"},
                                                 {"bootstrap.servers", "127.0.0.1:1"},
                                                 {"broker.wait.timeout.ms", "200"}}));
    EXPECT_NE(app.get_topology().describe().find("KSTREAM-FILTER"), std::string::npos)
        << app.get_topology().describe();
    EXPECT_THROW(app.start(), streams_error);
    EXPECT_TRUE(app.close(std::chrono::seconds(5)));
}

TEST(kafka_streams_errors, starting_twice_is_refused) {
    stream_builder b;
    b.stream<std::string, std::string>({"in"}).to("out");
    const topology t = b.build();
    kafka_streams app(t, streams_config({{"application.id", "twice-test"},
                                         {"bootstrap.servers", "127.0.0.1:1"},
                                         {"broker.wait.timeout.ms", "200"}}));
    EXPECT_THROW(app.start(), streams_error);
    EXPECT_THROW(app.start(), streams_error);
}

} // namespace
} // namespace brook

namespace brook {
namespace {

TEST(process_id, is_made_once_per_state_directory_and_read_back_after_a_restart) {
    const auto root =
        std::filesystem::temp_directory_path() / ("brook-process-id-" + std::to_string(::getpid()));
    const std::string first = load_or_create_process_id(root / "app");
    EXPECT_EQ(first.size(), 32U);
    EXPECT_EQ(load_or_create_process_id(root / "app"), first) << "a restart keeps the id";
    EXPECT_NE(load_or_create_process_id(root / "other"), first) << "instances never share one";
    {
        std::ofstream garbage(root / "app" / "brook.process-id", std::ios::trunc);
        garbage << "not an id\n";
    }
    const std::string replaced = load_or_create_process_id(root / "app");
    EXPECT_EQ(replaced.size(), 32U) << "a damaged file is replaced by a fresh id";
    EXPECT_NE(replaced, "not an id");
    std::filesystem::remove_all(root);
}

} // namespace
} // namespace brook
