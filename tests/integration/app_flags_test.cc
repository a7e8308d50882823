// The apps as shipped refuse flags that cannot work before they touch Kafka: an output or
// dead-letter topic that is one of their inputs (brook-metrics with --dlq-topic equal to its
// input turned one bad record into thousands), and an HTTP port or address the endpoint
// cannot serve (refused only after the topics were made and the group joined). Each run
// must exit 2 within seconds and leave its input topic uncreated: the proof that nothing
// reached the broker first.

#include <chrono>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <gtest/gtest.h>

#include "engine/kafka/admin_client.h"
#include "tests/support/app_process.h"
#include "tests/support/broker.h"
#include "tests/support/http_get.h"

namespace brook {
namespace {

using namespace std::chrono_literals;

class app_flags : public ::testing::Test {
protected:
    void SetUp() override {
        input = testing::unique_name("flags-in");
        other = testing::unique_name("flags-other");
        app_id = testing::unique_name("flags-app");
    }
    void TearDown() override {
        // Only a run that went too far made topics; remove what it made.
        try {
            kafka::admin_client admin(testing::real_client_config());
            std::vector<std::string> made;
            for (const auto& t : {input, other}) {
                if (admin.partition_count(t, 10s)) {
                    made.push_back(t);
                }
            }
            if (!made.empty()) {
                admin.delete_topics(made, 30s);
            }
        } catch (const std::exception& e) {
            std::cerr << "cleaning up the test's topics: " << e.what() << "\n";
        }
    }

    // Runs `program` with the common flags and `flags`; expects exit code 2 within 30 s and
    // the input topic not made.
    void expect_refused_before_kafka(const std::string& program,
                                     const std::vector<std::string>& flags) {
        std::vector<std::string> args = {testing::bin_path(program), "--bootstrap-servers",
                                         testing::real_bootstrap(), "--application-id", app_id};
        args.insert(args.end(), flags.begin(), flags.end());
        std::string line = program;
        for (const auto& f : flags) {
            line += " " + f;
        }
        testing::app_process app(args);
        EXPECT_EQ(app.wait(30s), 2) << line;
        EXPECT_FALSE(kafka::admin_client(testing::real_client_config()).partition_count(input, 10s))
            << line << ": made its topics before refusing the flags";
    }

    std::string input;
    std::string other;
    std::string app_id;
};

TEST_F(app_flags, an_output_or_dead_letter_topic_that_is_an_input_is_refused) {
    expect_refused_before_kafka("brook-metrics", {"--input-topic", input, "--dlq-topic", input});
    expect_refused_before_kafka("brook-metrics", {"--input-topic", input, "--output-topic", input});
    // The user-events DLQ is the order-events input.
    expect_refused_before_kafka("brook-user-activity",
                                {"--user-events-topic", input, "--order-events-topic",
                                 input + ".dlq", "--output-topic", other});
    expect_refused_before_kafka("brook-user-activity",
                                {"--user-events-topic", input, "--order-events-topic", other,
                                 "--sessions", "--sessions-topic", other});
    expect_refused_before_kafka("brook-user-activity",
                                {"--user-events-topic", input, "--order-events-topic", input});
    expect_refused_before_kafka("brook-retry-router",
                                {"--input-topic", input, "--dlq-topic", input});
    expect_refused_before_kafka("brook-retry-router",
                                {"--input-topic", input, "--output-topic", input + ".retry.2"});
}

TEST_F(app_flags, an_http_port_or_address_that_cannot_be_served_is_refused) {
    // A port this test holds, so the app cannot bind it.
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor held(
        io, {boost::asio::ip::make_address("127.0.0.1"), testing::free_port()});
    const std::string taken = std::to_string(held.local_endpoint().port());
    for (const std::string program :
         {"brook-metrics", "brook-user-activity", "brook-retry-router"}) {
        const std::string input_flag =
            program == "brook-user-activity" ? "--user-events-topic" : "--input-topic";
        expect_refused_before_kafka(program, {input_flag, input, "--http-port", "70000"});
        expect_refused_before_kafka(program, {input_flag, input, "--http-port", "8o8o"});
        expect_refused_before_kafka(
            program, {input_flag, input, "--http-port", "0", "--http-address", "example.com"});
        expect_refused_before_kafka(program, {input_flag, input, "--http-port", taken});
        expect_refused_before_kafka(
            program, {input_flag, input, "--http-port", "0", "--http-address", "192.0.2.1"});
        expect_refused_before_kafka(program, {input_flag, input, "--partitions", "0"});
    }
}

} // namespace
} // namespace brook
