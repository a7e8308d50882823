// app_cli, the command line of the example apps and tools: the durations and numbers its
// getters accept, the common flags each kind of program gets, per-flag checks, the two
// usage layouts, and the pacing behind --rate. (Repeatable flags: retry_router_test.cc.)

#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "apps/common/app_cli.h"
#include "base/log.h"
#include "engine/errors.h"

namespace brook {
namespace {

using namespace std::chrono_literals;
using apps::app_cli;
using apps::app_flag;
using apps::common_flags;

// Parses `args` (the program name first); returns parse()'s error.
std::optional<std::string> parse(app_cli& cli, std::vector<std::string> args) {
    std::vector<char*> argv;
    for (auto& a : args) {
        argv.push_back(a.data());
    }
    return cli.parse(static_cast<int>(argv.size()), argv.data());
}

// The message of the config_error that `f` throws, or "" when it throws none.
template <typename F>
std::string config_error_of(F&& f) {
    try {
        f();
    } catch (const config_error& e) {
        return e.what();
    }
    return "";
}

TEST(parse_duration, takes_a_whole_number_with_a_unit_and_nothing_else) {
    EXPECT_EQ(apps::parse_duration("500ms"), 500ms);
    EXPECT_EQ(apps::parse_duration("10s"), 10s);
    EXPECT_EQ(apps::parse_duration("5m"), 5min);
    EXPECT_EQ(apps::parse_duration("1h"), 1h);
    EXPECT_EQ(apps::parse_duration("0s"), 0ms);
    EXPECT_EQ(apps::parse_duration("0ms"), 0ms);
    for (const char* bad : {"", "0", "1", "s", "ms", "-1s", "+1s", "1.5s", "1d", "1S", " 1s", "1s ",
                            "1 s", "1sms", "99999999999999999999ms", "9223372036854775807h"}) {
        EXPECT_FALSE(apps::parse_duration(bad)) << bad;
    }
    // The largest that fits is still a duration: ranges are the caller's.
    EXPECT_EQ(apps::parse_duration("9223372036854775807ms"), std::chrono::milliseconds(INT64_MAX));
}

TEST(app_cli, get_duration_takes_at_least_min_and_at_most_a_year) {
    app_cli cli("p", "s", {{"wait", "h", "5m"}}, {.common = common_flags::none});
    ASSERT_FALSE(parse(cli, {"p"}));
    EXPECT_EQ(cli.get_duration("wait", 1ms), 5min);
    for (const char* bad : {"0ms", "1", "8761h", "1d"}) {
        ASSERT_FALSE(parse(cli, {"p", "--wait", bad}));
        const std::string error = config_error_of([&] { (void)cli.get_duration("wait", 1ms); });
        EXPECT_NE(error.find("--wait must be a duration of at least 1 ms with a unit"),
                  std::string::npos)
            << bad << ": " << error;
    }
    ASSERT_FALSE(parse(cli, {"p", "--wait", "8760h"}));
    EXPECT_EQ(cli.get_duration("wait", 0ms), 8760h);
}

TEST(app_cli, numbers_are_checked_whole_and_in_range_and_errors_name_the_flag) {
    app_cli cli("p", "s", {{"n", "h", ""}, {"x", "h", ""}}, {.common = common_flags::none});
    ASSERT_FALSE(parse(cli, {"p", "--n", "18446744073709551615", "--x", "0.25"}));
    EXPECT_EQ(cli.get_whole_number<uint64_t>("n", 0, UINT64_MAX), UINT64_MAX);
    EXPECT_DOUBLE_EQ(cli.get_number("x", 0, 1), 0.25);
    for (const char* bad : {"", "-1", "+1", "1x", "0x10", "1.0", "65536", "18446744073709551616"}) {
        ASSERT_FALSE(parse(cli, {"p", "--n", bad}));
        EXPECT_EQ(config_error_of([&] { (void)cli.get_whole_number<uint16_t>("n", 1, 65535); }),
                  fmt::format("--n must be a whole number from 1 to 65535, got '{}'", bad));
    }
    for (const char* bad : {"", "nan", "inf", "-0.5", "1.5", "0.5x"}) {
        ASSERT_FALSE(parse(cli, {"p", "--x", bad}));
        EXPECT_EQ(config_error_of([&] { (void)cli.get_number("x", 0, 1); }),
                  fmt::format("--x must be a number from 0 to 1, got '{}'", bad));
    }
    ASSERT_FALSE(parse(cli, {"p", "--n", "-3"}));
    EXPECT_EQ(cli.get_int("n", -5, 5), -3);
}

TEST(app_cli, each_kind_of_program_gets_its_common_flags) {
    const auto has_flag = [](const app_cli& cli, const std::string& name) {
        return cli.usage().find("  --" + name + " ") != std::string::npos;
    };
    const app_cli app("p", "s", {});
    const app_cli tool("p", "s", {}, {.common = common_flags::streams});
    const app_cli standalone("p", "s", {{"own", "h", ""}}, {.common = common_flags::none});
    for (const char* flag : {"bootstrap-servers", "application-id", "processing-guarantee",
                             "state-dir", "config", "set", "partitions"}) {
        EXPECT_TRUE(has_flag(app, flag)) << flag;
        EXPECT_TRUE(has_flag(tool, flag)) << flag;
        EXPECT_FALSE(has_flag(standalone, flag)) << flag;
    }
    for (const char* flag : {"http-port", "http-address"}) {
        EXPECT_TRUE(has_flag(app, flag)) << flag;
        EXPECT_FALSE(has_flag(tool, flag)) << flag;
        EXPECT_FALSE(has_flag(standalone, flag)) << flag;
    }
    EXPECT_TRUE(has_flag(standalone, "own"));
    // Every program logs through the library, so every kind takes --log-level.
    EXPECT_TRUE(has_flag(app, "log-level"));
    EXPECT_TRUE(has_flag(tool, "log-level"));
    EXPECT_TRUE(has_flag(standalone, "log-level"));

    app_cli tool_parsed("p", "s", {}, {.common = common_flags::streams});
    EXPECT_EQ(parse(tool_parsed, {"p", "--http-port", "8080"}),
              "unknown flag '--http-port' (see --help)");
    EXPECT_FALSE(tool_parsed.is_set("http-port")); // what app_runner asks
}

TEST(app_cli, log_level_sets_the_library_log_level_and_refuses_unknown_levels) {
    app_cli bad("p", "s", {});
    EXPECT_EQ(parse(bad, {"p", "--log-level", "loud"}),
              "--log-level must be error, warn, info or debug, got 'loud'");
    EXPECT_EQ(current_log_level(), log_level::info);
    app_cli quiet("p", "s", {});
    ASSERT_FALSE(parse(quiet, {"p", "--log-level=warn"}));
    EXPECT_EQ(current_log_level(), log_level::warn);
    EXPECT_FALSE(log_enabled(log_level::info));
    set_log_level(log_level::info); // process-wide: as the other tests expect it
}

TEST(app_cli, a_check_refuses_a_value_as_it_is_parsed) {
    app_cli cli("p", "s",
                {{.name = "prop",
                  .help = "h",
                  .repeatable = true,
                  .check = apps::key_value_check("prop", "KEY=VALUE")}},
                {.common = common_flags::none});
    EXPECT_EQ(parse(cli, {"p", "--prop", "a=1", "--prop", "=1"}),
              "--prop needs KEY=VALUE, got '=1'");
    app_cli again("p", "s",
                  {{.name = "prop",
                    .help = "h",
                    .repeatable = true,
                    .check = apps::key_value_check("prop", "KEY=VALUE")}},
                  {.common = common_flags::none});
    ASSERT_FALSE(parse(again, {"p", "--prop", "a=1", "--prop=b==2"}));
    EXPECT_EQ(again.get_all("prop"), (std::vector<std::string>{"a=1", "b==2"}));

    app_cli streams("p", "s", {});
    EXPECT_EQ(parse(streams, {"p", "--set", "novalue"}), "--set needs key=value, got 'novalue'");
    app_cli sets("p", "s", {});
    ASSERT_FALSE(parse(sets, {"p", "--set", "a=1", "--set", "b=2"}));
    EXPECT_EQ(sets.get_all("set"), (std::vector<std::string>{"a=1", "b=2"}));
}

// A bad endpoint flag used to be refused only after the app had made its topics and joined
// its group: parse() refuses it now, before anything touches Kafka.
TEST(app_cli, the_endpoint_and_partitions_flags_are_checked_as_they_are_parsed) {
    for (const char* port : {"70000", "65536", "-1", "abc", "", "80x", "8080 "}) {
        app_cli cli("p", "s", {});
        EXPECT_EQ(
            parse(cli, {"p", "--http-port", port}),
            fmt::format("--http-port must be a whole number from 0 to 65535, got '{}'", port));
    }
    for (const char* address :
         {"example.com", "999.1.1.1", "localhost:80", "", "127.0.0.1 ", "[::1]", "LOCALHOST"}) {
        app_cli cli("p", "s", {});
        EXPECT_EQ(parse(cli, {"p", "--http-address", address}),
                  fmt::format("--http-address must be an IPv4 or IPv6 address (like 127.0.0.1, "
                              "0.0.0.0 or ::1) or localhost, got '{}'",
                              address));
    }
    for (const char* partitions : {"0", "10001", "-3", "two"}) {
        app_cli cli("p", "s", {});
        EXPECT_EQ(parse(cli, {"p", "--partitions", partitions}),
                  fmt::format("--partitions must be a whole number from 1 to 10000, got '{}'",
                              partitions));
    }
    app_cli good("p", "s", {});
    EXPECT_FALSE(parse(good, {"p", "--http-port", "65535", "--http-address", "localhost",
                              "--http-address", "::1", "--http-address", "0.0.0.0", "--http-port",
                              "0", "--partitions", "10000"}));
    EXPECT_EQ(good.get("http-address"), "0.0.0.0");
    EXPECT_EQ(good.get_int("http-port", 0, 65535), 0);
}

TEST(app_cli, parse_errors_say_what_to_do) {
    app_cli cli("p", "s", {{"n", "how many", ""}, {.name = "on", .help = "h", .is_switch = true}},
                {.common = common_flags::none});
    EXPECT_EQ(parse(cli, {"p", "stray"}), "unexpected argument 'stray': flags start with --");
    EXPECT_EQ(parse(cli, {"p", "--nope"}), "unknown flag '--nope' (see --help)");
    EXPECT_EQ(parse(cli, {"p", "--n"}), "flag '--n' needs a value: how many");
    EXPECT_EQ(parse(cli, {"p", "--on=yes"}), "flag '--on' takes no value");
    app_cli help("p", "s", {}, {.common = common_flags::none});
    EXPECT_FALSE(parse(help, {"p", "-h", "--nope"}));
    EXPECT_TRUE(help.help_requested());
}

TEST(app_cli, parse_or_exit_answers_the_exit_code_of_a_bad_command_line_or_help) {
    app_cli bad("prog", "s", {}, {.common = common_flags::none});
    std::vector<std::string> bad_args = {"prog", "--nope"};
    std::vector<char*> bad_argv = {bad_args[0].data(), bad_args[1].data()};
    testing::internal::CaptureStderr();
    EXPECT_EQ(bad.parse_or_exit(2, bad_argv.data()), 2);
    EXPECT_EQ(testing::internal::GetCapturedStderr(),
              "prog: unknown flag '--nope' (see --help)\n\n" + bad.usage());

    app_cli help("prog", "s", {}, {.common = common_flags::none});
    std::vector<std::string> help_args = {"prog", "--help"};
    std::vector<char*> help_argv = {help_args[0].data(), help_args[1].data()};
    testing::internal::CaptureStdout();
    EXPECT_EQ(help.parse_or_exit(2, help_argv.data()), 0);
    EXPECT_EQ(testing::internal::GetCapturedStdout(), help.usage());

    app_cli fine("prog", "s", {}, {.common = common_flags::none});
    std::vector<std::string> no_args = {"prog"};
    std::vector<char*> no_argv = {no_args[0].data()};
    EXPECT_EQ(fine.parse_or_exit(1, no_argv.data()), std::nullopt);

    // What `read` throws is a bad command line too; it is not called for --help.
    app_cli read("prog", "s", {}, {.common = common_flags::none});
    testing::internal::CaptureStderr();
    EXPECT_EQ(read.parse_or_exit(1, no_argv.data(), [] { throw config_error("--x is wrong"); }), 2);
    EXPECT_EQ(testing::internal::GetCapturedStderr(), "prog: --x is wrong\n\n" + read.usage());
    app_cli read_help("prog", "s", {}, {.common = common_flags::none});
    bool called = false;
    testing::internal::CaptureStdout();
    EXPECT_EQ(read_help.parse_or_exit(2, help_argv.data(), [&] { called = true; }), 0);
    (void)testing::internal::GetCapturedStdout();
    EXPECT_FALSE(called);
}

TEST(app_cli, usage_shows_the_declared_defaults_after_a_parse) {
    app_cli cli("p", "s", {{"n", "how many", "3"}}, {.common = common_flags::none});
    ASSERT_FALSE(parse(cli, {"p", "--n", "7"}));
    EXPECT_EQ(cli.get("n"), "7");
    EXPECT_NE(cli.usage().find("how many (default: 3)"), std::string::npos) << cli.usage();
    EXPECT_EQ(cli.usage().find("(default: 7)"), std::string::npos) << cli.usage();
}

TEST(app_cli, usage_lays_out_one_line_a_flag_by_default) {
    const app_cli cli("prog", "Does things.", {{"n", "how many", "3"}},
                      {.common = common_flags::none});
    EXPECT_EQ(cli.usage(), "usage: prog [flags]\n\nDoes things.\n\nflags:\n"
                           "  --n VALUE                how many (default: 3)\n"
                           "  --log-level LEVEL        error, warn, info or debug: the least "
                           "severe message logged (default: info)\n"
                           "  --help                   this text\n");
}

TEST(app_cli, usage_can_wrap_help_under_its_start_with_value_names_and_an_epilogue) {
    const app_cli cli(
        "prog", "Does things.",
        {{.name = "records",
          .help = "one two three four five six seven eight nine ten eleven twelve thirteen",
          .value_name = "N"},
         {.name = "dry-run", .help = "print only", .is_switch = true}},
        {.common = common_flags::none,
         .synopsis = "--records N [flags]",
         .name_width = 12,
         .wrap_width = 50,
         .epilogue = "\nexample:\n  prog --records 5\n"});
    EXPECT_EQ(cli.usage(), "usage: prog --records N [flags]\n\nDoes things.\n\nflags:\n"
                           "  --records N    one two three four five six seven\n"
                           "                 eight nine ten eleven twelve\n"
                           "                 thirteen\n"
                           "  --dry-run      print only\n"
                           "  --log-level LEVEL error, warn, info or debug: the\n"
                           "                 least severe message logged\n"
                           "                 (default: info)\n"
                           "  --help         this text\n"
                           "\nexample:\n  prog --records 5\n");
}

// brook-metrics took --dlq-topic equal to its input: one bad record became 3,240 in 20 s.
TEST(check_topics_do_not_feed_back, refuses_an_output_that_is_an_input_or_internal_and_duplicates) {
    using apps::check_topics_do_not_feed_back;
    const std::vector<apps::named_topic> in = {{"raw", "--input-topic"}};
    EXPECT_EQ(
        config_error_of([&] {
            check_topics_do_not_feed_back(in, {{"out", "--output-topic"}, {"raw", "--dlq-topic"}});
        }),
        "--dlq-topic 'raw' is also --input-topic: the app would read back what it writes "
        "there, so records would loop (a bad one dead-lettered over and over); give it "
        "another name");
    EXPECT_EQ(config_error_of([&] {
                  check_topics_do_not_feed_back(
                      in, {{"same", "--output-topic"}, {"same", "--dlq-topic"}});
              }),
              "--output-topic and --dlq-topic are both 'same': what the app writes to each "
              "would mix in one topic; give them different names");
    EXPECT_EQ(config_error_of([&] {
                  check_topics_do_not_feed_back(in, {{"app-store-changelog", "--output-topic"}},
                                                {"raw", "app-store-changelog"});
              }),
              "--output-topic 'app-store-changelog' is one of the app's internal topics (a "
              "repartition or changelog topic, which it writes and reads itself); give it "
              "another name");
    EXPECT_EQ(config_error_of([&] {
                  check_topics_do_not_feed_back(
                      {{"a", "--user-events-topic"}, {"a", "--order-events-topic"}}, {});
              }),
              "--user-events-topic and --order-events-topic are both 'a': each record would be "
              "read twice, once as each; give them different names");
    EXPECT_NE(config_error_of([&] {
                  check_topics_do_not_feed_back(
                      {{"u", "--user-events-topic"}, {"u.dlq", "--order-events-topic"}},
                      {{"u.dlq", "the dead-letter topic of --user-events-topic"}});
              }).find("is also --order-events-topic"),
              std::string::npos);
    EXPECT_EQ(config_error_of([&] {
                  check_topics_do_not_feed_back(
                      in, {{"out", "--output-topic"}, {"raw.dlq", "--dlq-topic"}},
                      {"raw", "app-store-changelog"});
              }),
              "");
}

TEST(rate_pacer, without_a_rate_everything_is_due_and_with_one_waits_are_bounded) {
    const apps::rate_pacer unlimited(0);
    EXPECT_EQ(unlimited.due(1000), 1000U);

    const apps::rate_pacer slow(1); // one record a second: the first at once
    EXPECT_EQ(slow.due(1000), 1U);
    EXPECT_EQ(slow.wait_for(1), 100ms); // a second away: the caller comes back sooner
    const apps::rate_pacer fast(1e6);
    EXPECT_EQ(fast.wait_for(1), 1ms); // due at once: still at least 1 ms, never a busy loop
    EXPECT_GE(fast.seconds(), 0.0);
}

TEST(app_cli, an_http_port_is_advertised_as_application_server_unless_it_says_nothing) {
    const auto server_of = [](std::vector<std::string> args) {
        app_cli cli("p", "s", {}, {.common = common_flags::streams_and_http});
        args.insert(args.begin(),
                    {"p", "--application-id", "app", "--bootstrap-servers", "b:9092"});
        EXPECT_FALSE(parse(cli, args));
        return cli.make_config({}).application_server();
    };
    EXPECT_EQ(server_of({"--http-port", "8081"}), "127.0.0.1:8081");
    EXPECT_EQ(server_of({"--http-port", "8081", "--http-address", "localhost"}), "localhost:8081");
    EXPECT_EQ(server_of({"--http-port", "0"}), "");
    EXPECT_EQ(server_of({"--http-port", "8081", "--http-address", "0.0.0.0"}), "");
    EXPECT_EQ(server_of({"--http-port", "8081", "--http-address", "::1"}), "");
    EXPECT_EQ(server_of({"--http-port", "8081", "--set", "application.server=node-7:80"}),
              "node-7:80");
    EXPECT_EQ(server_of({}), "");
}

} // namespace
} // namespace brook
