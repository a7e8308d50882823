// Delayed sources in the runtime, against the real broker: a record that is not due waits
// in its partition (paused, with the records behind it), while the task's other input and
// the other partitions go on; its offset is not committed while it waits; records written
// to the partition meanwhile follow it in order once it is due; under exactly-once too.

#include <charconv>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "engine/kafka/admin_client.h"
#include "engine/kafka/producer.h"
#include "engine/runtime/kafka_streams.h"
#include "operators/stream_builder.h"
#include "tests/support/broker.h"
#include "tests/support/topic_tail.h"

namespace brook {
namespace {

using namespace std::chrono_literals;

constexpr int partitions = 2;

int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

struct output_record {
    std::string value; // as written by the producer
    int64_t processed_at = 0;
    int32_t partition = 0;
    int64_t offset = 0;
};

class delayed_source_runtime : public ::testing::TestWithParam<const char*> {
protected:
    void SetUp() override {
        slow = testing::unique_name("delayed-slow");
        fast = testing::unique_name("delayed-fast");
        out = testing::unique_name("delayed-out");
        app_id = testing::unique_name("delayed-app");
        kafka::admin_client(testing::real_client_config())
            .create_topics({{slow, partitions, 1, {}}, {fast, partitions, 1, {}}, {out, 1, 1, {}}},
                           30s);
    }
    void TearDown() override {
        try {
            kafka::admin_client(testing::real_client_config())
                .delete_topics({slow, fast, out}, 30s);
        } catch (const std::exception& e) {
            std::cerr << "deleting the test's topics: " << e.what() << "\n";
        }
    }

    void produce(const std::string& topic, int32_t partition, const std::string& value,
                 std::optional<int64_t> due) {
        kafka::producer p(testing::real_client_config());
        kafka::headers_ptr h;
        if (due) {
            h.reset(rd_kafka_headers_new(1));
            const std::string text = std::to_string(*due);
            rd_kafka_header_add(h.get(), "due", -1, text.data(), static_cast<ssize_t>(text.size()));
        }
        p.produce(topic, partition, "k", value, 0, std::move(h));
        p.flush(30s);
    }

    std::string slow;
    std::string fast;
    std::string out;
    std::string app_id;
};

TEST_P(delayed_source_runtime, a_record_not_due_holds_only_its_partition_and_is_not_committed) {
    // One sub-topology: each task reads partition p of both inputs. Every output value is
    // "<input value>@<processing time>".
    stream_builder b;
    auto delayed = b.stream<std::string, std::string>(
        {slow}, consumed<std::string, std::string>{}.with_due_time_header("due"));
    b.stream<std::string, std::string>({fast})
        .merge(delayed)
        .map_values([](const std::string& v) { return fmt::format("{}@{}", v, now_ms()); })
        .to(out);
    const topology topo = b.build();

    const int64_t due = now_ms() + 6000;
    produce(slow, 0, "A1", due);
    produce(slow, 0, "A2", 0); // due long ago, but behind A1
    produce(slow, 1, "B1", std::nullopt);

    kafka_streams app(topo, streams_config({{"application.id", app_id},
                                            {"bootstrap.servers", testing::real_bootstrap()},
                                            {"processing.guarantee", GetParam()},
                                            {"commit.interval.ms", "200"}}));
    app.start();

    std::vector<output_record> seen;
    testing::topic_tail tail(testing::real_client_config(), out, 1);
    const auto on_record = [&](const rd_kafka_message_t& m) {
        const std::string text(static_cast<const char*>(m.payload), m.len);
        const auto at = text.find('@');
        output_record r{text.substr(0, at), 0, m.partition, m.offset};
        std::from_chars(text.data() + at + 1, text.data() + text.size(), r.processed_at);
        seen.push_back(r);
    };
    const auto has = [&](const std::string& value) {
        return std::any_of(seen.begin(), seen.end(),
                           [&](const output_record& r) { return r.value == value; });
    };
    ASSERT_TRUE(tail.poll_until([&] { return has("B1"); }, 60s, on_record))
        << "the other partition of the delayed source was held back";
    // The task of partition 0 goes on with its other input while A1 waits.
    produce(fast, 0, "F0", std::nullopt);
    produce(fast, 1, "F1", std::nullopt);
    ASSERT_TRUE(tail.poll_until([&] { return has("F0") && has("F1"); }, 30s, on_record));
    EXPECT_FALSE(has("A1"));
    EXPECT_FALSE(has("A2"));
    // Written while the partition is paused: it follows A1 and A2.
    produce(slow, 0, "A3", std::nullopt);

    // A waiting record's offset is not committed; the rest are.
    std::this_thread::sleep_for(1s);
    ASSERT_LT(now_ms(), due) << "the machine is too slow for this test's 6 s window";
    const auto committed =
        testing::committed_offsets(testing::real_client_config(), app_id, slow, partitions);
    EXPECT_LT(committed[0], 1) << "the offset of the waiting record was committed";
    EXPECT_EQ(committed[1], 1);
    const streams_metrics m = app.metrics();
    for (const partition_lag& l : m.lag) {
        if (l.topic == slow && l.partition == 0) {
            EXPECT_GE(l.buffered, 2) << "A1 and A2 wait in the task";
        }
    }

    ASSERT_TRUE(tail.poll_until([&] { return has("A3"); }, 60s, on_record));
    std::vector<output_record> a;
    for (const auto& r : seen) {
        if (r.value.starts_with("A")) {
            a.push_back(r);
        }
    }
    ASSERT_EQ(a.size(), 3U);
    EXPECT_EQ(a[0].value, "A1");
    EXPECT_EQ(a[1].value, "A2");
    EXPECT_EQ(a[2].value, "A3");
    EXPECT_GE(a[0].processed_at, due) << "processed " << due - a[0].processed_at << " ms early";
    EXPECT_LT(a[0].processed_at, due + 2000) << "woke up late";
    for (const auto& r : seen) {
        if (r.value == "B1" || r.value.starts_with("F")) {
            EXPECT_LT(r.processed_at, due) << r.value << " waited for A1";
        }
    }
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    std::vector<int64_t> final_committed;
    while (std::chrono::steady_clock::now() < deadline) {
        final_committed =
            testing::committed_offsets(testing::real_client_config(), app_id, slow, partitions);
        if (final_committed[0] >= 3) {
            break;
        }
        std::this_thread::sleep_for(200ms);
    }
    EXPECT_GE(final_committed.at(0), 3);
    ASSERT_NE(app.state(), streams_state::error) << app.error_reason();
    EXPECT_TRUE(app.close(30s));
}

// Records behind a head that is due soon keep being fetched (the partition is not paused
// for its due time), but no more than buffered.records.per.partition of them wait in the
// task: past it the partition is paused until they are processed.
TEST_P(delayed_source_runtime, records_waiting_behind_a_head_are_bounded_by_the_buffer_limit) {
    stream_builder b;
    b.stream<std::string, std::string>(
         {slow}, consumed<std::string, std::string>{}.with_due_time_header("due"))
        .to(out);
    const topology topo = b.build();
    constexpr int records = 20000;
    constexpr int limit = 100;
    // Every record is due at the same time: the partition resumes fetching fetch.wait.max.ms
    // (here 3 s) before it, and everything behind the head would arrive while it waits.
    // 15 s ahead: joining the group may take several seconds on a loaded machine, and the
    // head must still wait long enough to be seen waiting (metrics come twice a second).
    const int64_t due = now_ms() + 15000;
    {
        kafka::producer p(testing::real_client_config().set("linger.ms", "20"));
        const std::string text = std::to_string(due);
        for (int i = 0; i < records; ++i) {
            kafka::headers_ptr h(rd_kafka_headers_new(1));
            rd_kafka_header_add(h.get(), "due", -1, text.data(), static_cast<ssize_t>(text.size()));
            p.produce(slow, 0, "k", std::to_string(i), 0, std::move(h));
        }
        p.flush(30s);
        ASSERT_EQ(p.failed_deliveries(), 0U);
    }
    kafka_streams app(topo,
                      streams_config({{"application.id", app_id},
                                      {"bootstrap.servers", testing::real_bootstrap()},
                                      {"processing.guarantee", GetParam()},
                                      {"commit.interval.ms", "200"},
                                      {"consumer.fetch.wait.max.ms", "3000"},
                                      {"buffered.records.per.partition", std::to_string(limit)}}));
    app.start();
    // Metrics are published twice a second: sample them until the records are due.
    int64_t most_buffered = 0;
    while (now_ms() < due - 100) {
        ASSERT_NE(app.state(), streams_state::error) << app.error_reason();
        for (const partition_lag& l : app.metrics().lag) {
            if (l.topic == slow && l.partition == 0) {
                most_buffered = std::max(most_buffered, l.buffered);
            }
        }
        std::this_thread::sleep_for(100ms);
    }
    EXPECT_GT(most_buffered, 0) << "the head never waited in the task: nothing was tested";
    // One poll (up to 1000 records) may land before the pause takes effect.
    EXPECT_LE(most_buffered, limit + 1000) << "the buffer limit did not pause the partition";

    // Then every record comes out once, in order.
    std::vector<std::string> seen;
    testing::topic_tail tail(testing::real_client_config(), out, 1);
    ASSERT_TRUE(tail.poll_until([&] { return seen.size() >= static_cast<size_t>(records); }, 90s,
                                [&](const rd_kafka_message_t& m) {
                                    seen.emplace_back(static_cast<const char*>(m.payload), m.len);
                                }))
        << seen.size() << " of " << records << " records came out";
    ASSERT_EQ(seen.size(), static_cast<size_t>(records));
    for (int i = 0; i < records; ++i) {
        ASSERT_EQ(seen[static_cast<size_t>(i)], std::to_string(i)) << "at " << i;
    }
    EXPECT_GE(now_ms(), due);
    EXPECT_TRUE(app.close(30s));
}

INSTANTIATE_TEST_SUITE_P(guarantees, delayed_source_runtime,
                         ::testing::Values("at_least_once", "exactly_once_v2"));

} // namespace
} // namespace brook
