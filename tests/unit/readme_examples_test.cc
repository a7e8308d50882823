// The code people copy from README.md and docs/*.md builds and does what the text says.
//
// A snippet marked `<!-- compiled: <path> -->` must appear in that file, which is compiled:
// the hello-world example (built and tested against an installed Brook by
// scripts/check-package) or this file, whose tests below run the docs' examples through the
// test driver. Every C++ and CMake snippet of README.md must be marked. Whitespace is not
// compared, so reformatting either side does not break the link; any other change does.

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "engine/config/streams_config.h"
#include "engine/testing/topology_test_driver.h"
#include "operators/stream_builder.h"

namespace brook {
namespace {

std::string read_source(const std::filesystem::path& relative) {
    std::ifstream in(std::filesystem::path(BROOK_SOURCE_DIR) / relative, std::ios::binary);
    if (!in) {
        ADD_FAILURE() << "cannot read " << relative;
        return {};
    }
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string without_whitespace(std::string_view text) {
    std::string out;
    for (const char c : text) {
        if (c != ' ' && c != '\n' && c != '\t' && c != '\r') {
            out.push_back(c);
        }
    }
    return out;
}

struct snippet {
    std::string language;
    std::string marked_file; // empty: no `<!-- compiled: ... -->` line before it
    std::string code;
    int line = 0;
};

std::vector<snippet> snippets_of(const std::string& markdown) {
    std::vector<snippet> out;
    std::istringstream in(markdown);
    std::string line;
    std::string previous;
    std::optional<snippet> open;
    int number = 0;
    while (std::getline(in, line)) {
        ++number;
        if (open) {
            if (line.rfind("```", 0) == 0) {
                out.push_back(std::move(*open));
                open.reset();
            } else {
                open->code += line + "\n";
            }
        } else if (line.rfind("```", 0) == 0) {
            open.emplace();
            open->language = line.substr(3);
            open->line = number;
            constexpr std::string_view marker = "<!-- compiled: ";
            if (previous.rfind(marker, 0) == 0 && previous.size() > marker.size() + 4) {
                open->marked_file =
                    previous.substr(marker.size(), previous.size() - marker.size() - 4);
            }
        }
        previous = line;
    }
    EXPECT_FALSE(open) << "a code block is not closed";
    return out;
}

// Checks every marked snippet of `doc`; with `all_code_marked`, also that every C++ and
// CMake snippet is marked. Returns how many snippets were checked.
int check_snippets(const std::string& doc, bool all_code_marked) {
    int checked = 0;
    for (const snippet& s : snippets_of(read_source(doc))) {
        const bool code = s.language == "cpp" || s.language == "cmake";
        if (s.marked_file.empty()) {
            EXPECT_FALSE(all_code_marked && code)
                << doc << ":" << s.line << ": a " << s.language
                << " snippet without a `<!-- compiled: <file> -->` line before it";
            continue;
        }
        EXPECT_NE(without_whitespace(read_source(s.marked_file)).find(without_whitespace(s.code)),
                  std::string::npos)
            << doc << ":" << s.line << ": the snippet is not in " << s.marked_file
            << " (any more): change the file and the snippet together";
        ++checked;
    }
    return checked;
}

TEST(readme, every_code_snippet_of_the_readme_is_in_a_compiled_file) {
    EXPECT_EQ(check_snippets("README.md", true), 3); // topology, program, CMakeLists.txt
}

TEST(readme, the_docs_examples_are_the_ones_tested_here) {
    EXPECT_EQ(check_snippets("docs/dsl.md", false), 3); // state, joins, optimizations
}

TEST(readme, a_snippet_that_drifted_from_its_file_is_caught) {
    // The checker itself: a changed line must not be found, a reformatted one must.
    const std::string file = without_whitespace(read_source("examples/hello_world/word_count.cc"));
    EXPECT_NE(file.find(without_whitespace("brook::shutdown_signal   stop;")), std::string::npos);
    EXPECT_EQ(file.find(without_whitespace("brook::shutdown_signal halt;")), std::string::npos);
}

TEST(readme, the_state_example_counts_per_user_and_per_minute) {
    // --- as in docs/dsl.md, "State: aggregations, windows and stores" ---
    stream_builder builder;
    auto events = builder.stream<std::string, std::string>({"page-views"}); // key: user

    // A running count per user, in a RocksDB store with a changelog.
    events.group_by_key()
        .count(materialized<std::string, int64_t>::as("views-per-user"))
        .to_stream()
        .to("views-per-user");

    // One result per user and minute, emitted once when the window closes (10 s grace).
    events.group_by_key()
        .windowed_by(
            time_windows::of_size_and_grace(std::chrono::minutes(1), std::chrono::seconds(10)))
        .emit_strategy(emit_strategy::on_window_close())
        .count()
        .to_stream()
        .map([](const windowed<std::string>& w, int64_t n) {
            return key_value<std::string, std::string>{w.key, fmt::format("{}@{}", n, w.start)};
        })
        .to("views-per-minute");
    // ---

    topology_test_driver driver(builder.build(), {{"statestore.cache.max.bytes", "0"}});
    auto in = driver.create_input_topic<std::string, std::string>("page-views");
    auto per_user = driver.create_output_topic<std::string, int64_t>("views-per-user");
    auto per_minute = driver.create_output_topic<std::string, std::string>("views-per-minute");
    in.pipe_input("ann", "/home", 1000);
    in.pipe_input("ann", "/cart", 2000);
    in.pipe_input("bob", "/home", 3000);
    // Stream time past 60 s + 10 s grace closes the first minute.
    in.pipe_input("bob", "/home", 71000);

    const auto counts = per_user.read_key_values_to_list();
    ASSERT_EQ(counts.size(), 4U);
    EXPECT_EQ(counts[1].key, "ann");
    EXPECT_EQ(counts[1].value, 2);
    EXPECT_EQ(counts[3].key, "bob");
    EXPECT_EQ(counts[3].value, 2);
    const auto minutes = per_minute.read_key_values_to_list();
    ASSERT_EQ(minutes.size(), 2U);
    EXPECT_EQ(minutes[0].key, "ann");
    EXPECT_EQ(minutes[0].value, "2@0");
    EXPECT_EQ(minutes[1].key, "bob");
    EXPECT_EQ(minutes[1].value, "1@0");
}

TEST(readme, the_joins_example_enriches_orders_and_pairs_them_with_payments) {
    // --- as in docs/dsl.md, "Joins" ---
    stream_builder builder;
    auto orders = builder.stream<std::string, std::string>({"orders"});     // key: customer
    auto customers = builder.table<std::string, std::string>("customers");  // key: customer
    auto payments = builder.stream<std::string, std::string>({"payments"}); // key: customer

    // Stream-table: each order looks up its customer as the table stands at that moment.
    orders
        .left_join(customers,
                   [](const std::string& order, const std::optional<std::string>& c) {
                       return order + " by " + c.value_or("unknown");
                   })
        .to("orders-enriched");

    // Stream-stream: orders and payments with the same key at most 10 minutes apart.
    orders
        .outer_join(
            payments,
            [](const std::optional<std::string>& o, const std::optional<std::string>& p) {
                return o.value_or("-") + "/" + p.value_or("-");
            },
            join_windows::of_time_difference_and_grace(std::chrono::minutes(10),
                                                       std::chrono::minutes(1)))
        .to("orders-payments");
    // --- end of the docs' code ---

    topology_test_driver driver(builder.build(), {{"application.id", "readme-joins"}});
    auto in_orders = driver.create_input_topic<std::string, std::string>("orders");
    auto in_customers =
        driver.create_input_topic<std::string, std::optional<std::string>>("customers");
    auto in_payments = driver.create_input_topic<std::string, std::string>("payments");
    constexpr int64_t minute = 60'000;
    in_customers.pipe_input("ada", std::optional<std::string>("Ada"), 0);
    in_orders.pipe_input("ada", "o1", minute);
    in_orders.pipe_input("bob", "o2", minute);
    in_payments.pipe_input("ada", "p1", 5 * minute);    // 4 minutes after o1: pairs
    in_payments.pipe_input("bob", "p2", 12 * minute);   // 11 minutes after o2: does not
    in_payments.pipe_input("zed", "tick", 30 * minute); // closes the windows

    auto enriched = driver.create_output_topic<std::string, std::string>("orders-enriched")
                        .read_values_to_list();
    EXPECT_EQ(enriched, (std::vector<std::string>{"o1 by Ada", "o2 by unknown"}));
    auto pairs = driver.create_output_topic<std::string, std::string>("orders-payments")
                     .read_key_values_to_list();
    EXPECT_EQ(pairs, (std::vector<key_value<std::string, std::string>>{
                         {"ada", "o1/p1"}, {"bob", "o2/-"}, {"bob", "-/p2"}}));
}

TEST(readme, the_optimizations_example_shares_one_repartition_topic) {
    const streams_config config({{"application.id", "clicks"},
                                 {"bootstrap.servers", "localhost:9092"},
                                 {"topology.optimization", "merge.repartition.topics"}});
    // --- as in docs/dsl.md, "Optimizations" ---
    stream_builder builder;
    auto by_user =
        builder
            .stream<std::string, std::string>({"clicks"}) // key: session
            .select_key([](const std::string&, const std::string& user) { return user; });
    by_user.group_by_key().count().to_stream().to("clicks-per-user");
    by_user.group_by_key()
        .reduce([](const std::string& first, const std::string&) { return first; })
        .to_stream()
        .to("first-click");
    // none: two repartition topics; merge.repartition.topics: one, written after select_key
    const topology topo = builder.build(config);
    // ---

    ASSERT_EQ(topo.internal_topics().size(), 1U);
    EXPECT_EQ(builder.build().internal_topics().size(), 2U);
    topology_test_driver driver(topo, {{"statestore.cache.max.bytes", "0"}});
    auto in = driver.create_input_topic<std::string, std::string>("clicks");
    in.pipe_input("s1", "ann", 1);
    in.pipe_input("s2", "bob", 2);
    in.pipe_input("s3", "ann", 3);
    auto counts = driver.create_output_topic<std::string, int64_t>("clicks-per-user");
    auto firsts = driver.create_output_topic<std::string, std::string>("first-click");
    EXPECT_EQ(counts.read_values_to_list(), (std::vector<int64_t>{1, 1, 2}));
    EXPECT_EQ(firsts.read_key_values_to_list(),
              (std::vector<key_value<std::string, std::string>>{
                  {"ann", "ann"}, {"bob", "bob"}, {"ann", "ann"}}));
}

} // namespace
} // namespace brook
