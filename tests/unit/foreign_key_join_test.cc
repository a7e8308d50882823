// Table-table foreign-key joins (KIP-213) through the topology test driver, case by case
// after Kafka Streams' KTableKTableForeignKeyJoinIntegrationTest: a left row joins the
// right row its foreign key names, follows changes of either row, moves with a changed
// foreign key (an inner join retracts until the new right row exists, a left join keeps
// the left row alone), and goes away with a deleted left row; a right row's change reaches
// every left row that names it; and the wire formats and graph are what the join needs.

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include "engine/errors.h"
#include "engine/store/get_store.h"
#include "engine/testing/topology_test_driver.h"
#include "operators/stream_builder.h"

namespace brook {
namespace {

using opt = std::optional<std::string>;
using rows = std::vector<std::tuple<std::string, std::string>>;

const std::map<std::string, std::string> config{{"application.id", "fk"},
                                                {"statestore.cache.max.bytes", "0"}};

// A left row is "<foreign key>,<payload>".
std::string foreign_key_of(const std::string& row) {
    return row.substr(0, row.find(','));
}
std::string payload_of(const std::string& row) {
    const auto comma = row.find(',');
    return comma == std::string::npos ? std::string() : row.substr(comma + 1);
}

struct fk_fixture {
    explicit fk_fixture(bool left_join) {
        stream_builder b;
        auto left = b.table<std::string, std::string>("left");
        auto right = b.table<std::string, std::string>("right");
        if (left_join) {
            left.left_join(
                    right, foreign_key_of,
                    [](const std::string& row, const opt& other) {
                        return payload_of(row) + "+" + other.value_or("null");
                    },
                    "fkj")
                .to_stream()
                .to("out", produced<std::string, opt>{});
        } else {
            left.join(
                    right, foreign_key_of,
                    [](const std::string& key, const std::string& row, const std::string& other) {
                        return key + ":" + payload_of(row) + "+" + other;
                    },
                    "fkj")
                .to_stream()
                .to("out", produced<std::string, opt>{});
        }
        driver.emplace(b.build(), config);
        left_in.emplace(driver->create_input_topic<std::string, opt>("left"));
        right_in.emplace(driver->create_input_topic<std::string, opt>("right"));
        out.emplace(driver->create_output_topic<std::string, opt>("out"));
    }

    rows read() {
        rows all;
        for (auto& r : out->read_records_to_list()) {
            all.emplace_back(r.key, r.value.value_or("null"));
        }
        return all;
    }

    std::optional<topology_test_driver> driver;
    std::optional<test_input_topic<std::string, opt>> left_in;
    std::optional<test_input_topic<std::string, opt>> right_in;
    std::optional<test_output_topic<std::string, opt>> out;
};

TEST(foreign_key_join, inner_join_follows_both_rows_and_a_changed_foreign_key) {
    fk_fixture f(false);
    f.left_in->pipe_input("l1", opt("r1,a"), 1);
    EXPECT_TRUE(f.read().empty()); // no right row yet
    // A new row of an inner join has no result to retract: the right side does not answer
    // it while it has no row (Kafka Streams' PROPAGATE_ONLY_IF_FK_VAL_AVAILABLE).
    const auto produced = f.driver->produced_topics();
    EXPECT_EQ(std::count(produced.begin(), produced.end(), "fk-fkj-subscription-response-topic"), 0)
        << fmt::format("{}", fmt::join(produced, ", "));
    // ... while the subscription itself was sent (the test would pass for no reason else).
    EXPECT_EQ(
        std::count(produced.begin(), produced.end(), "fk-fkj-subscription-registration-topic"), 1)
        << fmt::format("{}", fmt::join(produced, ", "));
    f.right_in->pipe_input("r1", opt("R1"), 2);
    EXPECT_EQ(f.read(), (rows{{"l1", "l1:a+R1"}}));
    f.right_in->pipe_input("r1", opt("R1b"), 3);
    EXPECT_EQ(f.read(), (rows{{"l1", "l1:a+R1b"}}));
    f.left_in->pipe_input("l1", opt("r1,b"), 4); // same foreign key, new payload
    EXPECT_EQ(f.read(), (rows{{"l1", "l1:b+R1b"}}));
    f.left_in->pipe_input("l1", opt("r2,b"), 5); // r2 has no row: retracted
    EXPECT_EQ(f.read(), (rows{{"l1", "null"}}));
    f.right_in->pipe_input("r1", opt("R1c"), 6); // l1 no longer names r1
    EXPECT_TRUE(f.read().empty());
    f.right_in->pipe_input("r2", opt("R2"), 7);
    EXPECT_EQ(f.read(), (rows{{"l1", "l1:b+R2"}}));
    f.right_in->pipe_input("r2", std::nullopt, 8); // right row deleted
    EXPECT_EQ(f.read(), (rows{{"l1", "null"}}));
    f.right_in->pipe_input("r2", opt("R2b"), 9);
    EXPECT_EQ(f.read(), (rows{{"l1", "l1:b+R2b"}}));
    f.left_in->pipe_input("l1", std::nullopt, 10); // left row deleted
    EXPECT_EQ(f.read(), (rows{{"l1", "null"}}));
    f.right_in->pipe_input("r2", opt("R2c"), 11); // unsubscribed
    EXPECT_TRUE(f.read().empty());
    f.left_in->pipe_input("l2", std::nullopt, 12); // a delete of a row never seen
    EXPECT_TRUE(f.read().empty());
}

TEST(foreign_key_join, left_join_keeps_the_left_row_alone_and_follows_the_right_row) {
    fk_fixture f(true);
    f.left_in->pipe_input("l1", opt("r1,a"), 1);
    EXPECT_EQ(f.read(), (rows{{"l1", "a+null"}}));
    f.right_in->pipe_input("r1", opt("R1"), 2);
    EXPECT_EQ(f.read(), (rows{{"l1", "a+R1"}}));
    f.left_in->pipe_input("l1", opt("r2,a"), 3); // moves to a foreign key with no row
    EXPECT_EQ(f.read(), (rows{{"l1", "a+null"}}));
    f.right_in->pipe_input("r1", std::nullopt, 4); // the old one goes: nothing for l1
    EXPECT_TRUE(f.read().empty());
    f.left_in->pipe_input("l1", std::nullopt, 5);
    EXPECT_EQ(f.read(), (rows{{"l1", "null"}}));
}

TEST(foreign_key_join, a_right_row_reaches_every_left_row_that_names_it) {
    fk_fixture f(false);
    f.right_in->pipe_input("r1", opt("R1"), 1);
    f.left_in->pipe_input("l1", opt("r1,a"), 2);
    f.left_in->pipe_input("l2", opt("r1,b"), 3);
    f.left_in->pipe_input("l3", opt("r11,c"), 4); // a foreign key that has r1 as prefix
    f.right_in->pipe_input("r11", opt("R11"), 5);
    EXPECT_EQ(f.read(), (rows{{"l1", "l1:a+R1"}, {"l2", "l2:b+R1"}, {"l3", "l3:c+R11"}}));
    f.right_in->pipe_input("r1", opt("R1b"), 6);
    rows got = f.read();
    std::sort(got.begin(), got.end());
    EXPECT_EQ(got, (rows{{"l1", "l1:a+R1b"}, {"l2", "l2:b+R1b"}}));
    auto& result = get_store<timestamped_key_value_store<std::string, std::string>>(
        f.driver->state_store("fkj-store"));
    EXPECT_EQ(result.get("l3")->value, "l3:c+R11");
}

// A row whose foreign key is "-" names no right row.
std::optional<std::string> optional_foreign_key(const std::string& row) {
    const std::string fk = foreign_key_of(row);
    return fk == "-" ? std::nullopt : std::optional<std::string>(fk);
}

TEST(foreign_key_join, a_row_without_a_foreign_key_joins_alone_in_a_left_join_only) {
    for (const bool left_join : {true, false}) {
        stream_builder b;
        auto left = b.table<std::string, std::string>("left");
        auto right = b.table<std::string, std::string>("right");
        if (left_join) {
            left.left_join(right, optional_foreign_key,
                           [](const std::string& row, const opt& other) {
                               return payload_of(row) + "+" + other.value_or("null");
                           })
                .to_stream()
                .to("out", produced<std::string, opt>{});
        } else {
            left.join(right, optional_foreign_key,
                      [](const std::string& row, const std::string& other) {
                          return payload_of(row) + "+" + other;
                      })
                .to_stream()
                .to("out", produced<std::string, opt>{});
        }
        topology_test_driver driver(b.build(), config);
        auto l = driver.create_input_topic<std::string, opt>("left");
        auto r = driver.create_input_topic<std::string, opt>("right");
        auto out = driver.create_output_topic<std::string, opt>("out");
        auto read = [&] {
            rows all;
            for (auto& rec : out.read_records_to_list()) {
                all.emplace_back(rec.key, rec.value.value_or("null"));
            }
            return all;
        };
        r.pipe_input("r1", opt("R1"), 1);
        l.pipe_input("l1", opt("-,a"), 2); // no foreign key
        const rows alone = left_join ? rows{{"l1", "a+null"}} : rows{};
        EXPECT_EQ(read(), alone) << left_join;
        l.pipe_input("l1", opt("r1,b"), 3); // now one
        EXPECT_EQ(read(), (rows{{"l1", "b+R1"}})) << left_join;
        l.pipe_input("l1", opt("-,c"), 4); // none again: r1's later changes do not reach it
        r.pipe_input("r1", opt("R1b"), 5);
        const rows again = left_join ? rows{{"l1", "c+null"}} : rows{{"l1", "null"}};
        EXPECT_EQ(read(), again) << left_join;
        l.pipe_input("l1", std::nullopt, 6); // deleted while it names no right row
        const rows gone = left_join ? rows{{"l1", "null"}} : rows{};
        EXPECT_EQ(read(), gone) << left_join;
    }
}

TEST(foreign_key_join, wire_formats_round_trip_and_reject_garbage) {
    fk_subscription_serde<default_serde<std::string>> subscriptions;
    std::string buffer;
    const fk_subscription<std::string> s{fk_instruction::unsubscribe, fk_row_hash::of("row"),
                                         "left-key"};
    const auto back = subscriptions.deserialize(subscriptions.serialize(s, buffer));
    EXPECT_EQ(back.instruction, s.instruction);
    EXPECT_EQ(back.hash, s.hash);
    EXPECT_EQ(back.key, "left-key");
    EXPECT_THROW(subscriptions.deserialize(std::string_view("\1\7short")), serde_error);
    EXPECT_THROW(subscriptions.deserialize(nullable_bytes{}), serde_error);

    fk_response_serde<default_serde<int64_t>> responses;
    const fk_response<int64_t> none{fk_row_hash::of("x"), std::nullopt};
    const fk_response<int64_t> some{fk_row_hash::of("y"), 42};
    EXPECT_EQ(responses.deserialize(responses.serialize(none, buffer)).value, std::nullopt);
    EXPECT_EQ(responses.deserialize(responses.serialize(some, buffer)).value, 42);
    EXPECT_THROW(responses.deserialize(std::string_view("\2garbage")), serde_error);

    EXPECT_EQ(fk_row_hash::of("abc"), fk_row_hash::of("abc"));
    EXPECT_NE(fk_row_hash::of("abc"), fk_row_hash::of("abd"));
}

TEST(foreign_key_join, the_graph_names_its_topics_and_stores_and_needs_materialized_tables) {
    stream_builder b;
    auto left = b.table<std::string, std::string>("left");
    auto right = b.table<std::string, std::string>("right");
    left.join(
            right, foreign_key_of, [](const std::string& l, const std::string& r) { return l + r; },
            "fkj")
        .to_stream()
        .to("out", produced<std::string, opt>{});
    const topology topo = b.build();
    // The tables need not be co-partitioned, so they must not share a task.
    ASSERT_TRUE(topo.subtopology_of("left", "app") && topo.subtopology_of("right", "app"));
    EXPECT_NE(*topo.subtopology_of("left", "app"), *topo.subtopology_of("right", "app"));
    EXPECT_EQ(topo.subtopology_of("app-fkj-subscription-registration-topic", "app"),
              topo.subtopology_of("right", "app"));
    EXPECT_EQ(topo.subtopology_of("app-fkj-subscription-response-topic", "app"),
              topo.subtopology_of("left", "app"));
    const auto sources = topo.source_topics("app");
    for (const char* topic :
         {"app-fkj-subscription-registration-topic", "app-fkj-subscription-response-topic"}) {
        EXPECT_NE(std::find(sources.begin(), sources.end(), topic), sources.end()) << topic;
    }
    const auto changelogs = topo.changelog_topics("app");
    for (const char* topic : {"app-fkj-subscription-store-changelog",
                              "app-fkj-previous-store-changelog", "app-fkj-store-changelog"}) {
        EXPECT_NE(std::find(changelogs.begin(), changelogs.end(), topic), changelogs.end())
            << topic;
    }
    auto suppressed_right = right.suppress(
        suppressed::until_time_limit(std::chrono::milliseconds(1), buffer_config::unbounded()));
    EXPECT_THROW(left.join(suppressed_right, foreign_key_of,
                           [](const std::string& l, const std::string& r) { return l + r; }),
                 topology_error);
}

} // namespace
} // namespace brook
