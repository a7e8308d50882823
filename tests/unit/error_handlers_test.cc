// The processing and production exception handlers (KIP-1033 and Kafka Streams'
// default.production.exception.handler), the event-time bound, and window arithmetic on
// hostile timestamps, through the test driver, which runs the same tasks as the runtime.
// One hostile record must never stop the others: it is skipped (and counted), or goes to
// the dead-letter topic with its reason, or the application fails with a clear error.

#include <chrono>
#include <limits>
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

#include "engine/errors.h"
#include "engine/runtime/task_output.h"
#include "engine/testing/topology_test_driver.h"
#include "operators/stream_builder.h"

namespace brook {
namespace {

using namespace std::chrono_literals;
using strings = std::vector<std::string>;

strings values_of(topology_test_driver& driver, const std::string& topic) {
    return driver.create_output_topic<std::string, std::string>(topic).read_values_to_list();
}
captured_record only_record(topology_test_driver& driver, const std::string& topic) {
    auto out = driver.create_output_topic<std::string, std::string>(topic);
    captured_record r = out.read_raw();
    EXPECT_TRUE(out.is_empty()) << "more than one record in " << topic;
    return r;
}

// Values "boom" make the first processor throw; every value also goes to "all" through a
// sibling branch that does not throw.
topology throwing_topology() {
    stream_builder b;
    auto in = b.stream<std::string, std::string>({"in"});
    in.map_values(
          [](const std::string& v) {
              if (v == "boom") {
                  throw std::runtime_error("cannot handle boom");
              }
              return v + "!";
          },
          "shout")
        .to("out");
    in.to("all");
    return b.build();
}

TEST(processing_handler, dead_letter_sends_the_input_record_with_the_processor_and_reason) {
    topology_test_driver driver(throwing_topology(),
                                {{"processing.exception.handler", "dead_letter"},
                                 {"errors.dead.letter.queue.topic.name", "dlq"}});
    auto in = driver.create_input_topic<std::string, std::string>("in");
    in.pipe_input("k1", "fine", 1000);
    in.pipe_input("k2", "boom", 2000);
    in.pipe_input("k3", "also fine", 3000);
    EXPECT_EQ(values_of(driver, "out"), (strings{"fine!", "also fine!"}));
    EXPECT_EQ(values_of(driver, "all"), (strings{"fine", "boom", "also fine"}))
        << "the sibling branch still gets the record the other one failed on";
    auto dlq = driver.create_output_topic<std::string, std::string>("dlq");
    const captured_record r = dlq.read_raw();
    EXPECT_TRUE(dlq.is_empty());
    EXPECT_EQ(r.key, "k2");
    EXPECT_EQ(r.value, "boom");
    EXPECT_EQ(r.timestamp, 2000);
    const auto error = r.hdrs.last("error");
    ASSERT_TRUE(error);
    EXPECT_NE(error->find("shout"), std::string_view::npos) << *error;
    EXPECT_NE(error->find("cannot handle boom"), std::string_view::npos) << *error;
    EXPECT_EQ(r.hdrs.last("source-topic"), "in");
    EXPECT_EQ(driver.counters().processing_errors.load(), 1U);
    EXPECT_EQ(driver.counters().dead_lettered.load(), 1U);
}

TEST(processing_handler, log_and_continue_skips_and_counts_and_fail_stops_with_the_reason) {
    {
        topology_test_driver driver(throwing_topology(),
                                    {{"processing.exception.handler", "log_and_continue"}});
        auto in = driver.create_input_topic<std::string, std::string>("in");
        in.pipe_input("k", "boom", 1);
        in.pipe_input("k", "ok", 2);
        EXPECT_EQ(values_of(driver, "out"), (strings{"ok!"}));
        EXPECT_EQ(driver.counters().processing_errors.load(), 1U);
        EXPECT_EQ(driver.counters().dead_lettered.load(), 0U);
    }
    topology_test_driver driver(throwing_topology()); // fail is the default
    auto in = driver.create_input_topic<std::string, std::string>("in");
    try {
        in.pipe_input("k", "boom", 1);
        FAIL() << "the default handler must fail";
    } catch (const handler_failure& e) {
        EXPECT_NE(std::string(e.what()).find("processing.exception.handler"), std::string::npos)
            << e.what();
        EXPECT_NE(std::string(e.what()).find("cannot handle boom"), std::string::npos) << e.what();
    }
}

TEST(processing_handler, brooks_own_failures_are_not_records_to_skip) {
    stream_builder b;
    b.stream<std::string, std::string>({"in"})
        .map_values([](const std::string& v) -> std::string {
            throw streams_error("the store's disk is gone: " + v);
        })
        .to("out");
    topology_test_driver driver(b.build(), {{"processing.exception.handler", "log_and_continue"}});
    auto in = driver.create_input_topic<std::string, std::string>("in");
    EXPECT_THROW(in.pipe_input("k", "v", 1), streams_error);
    EXPECT_EQ(driver.counters().processing_errors.load(), 0U);
}

topology passthrough() {
    stream_builder b;
    b.stream<std::string, std::string>({"in"}).to("out");
    return b.build();
}

TEST(production_handler, a_record_too_large_goes_to_the_dlq_with_its_size_instead_of_its_value) {
    topology_test_driver driver(passthrough(),
                                {{"default.production.exception.handler", "dead_letter"},
                                 {"errors.dead.letter.queue.topic.name", "dlq"},
                                 {"producer.message.max.bytes", "10000"}});
    auto in = driver.create_input_topic<std::string, std::string>("in");
    in.pipe_input("small", "fits", 1);
    in.pipe_input("big", std::string(20'000, 'x'), 2);
    in.pipe_input("after", "fits too", 3);
    EXPECT_EQ(values_of(driver, "out"), (strings{"fits", "fits too"}));
    auto dlq = driver.create_output_topic<std::string, std::string>("dlq");
    const captured_record r = dlq.read_raw();
    EXPECT_TRUE(dlq.is_empty());
    EXPECT_EQ(r.key, "big");
    ASSERT_TRUE(r.value);
    EXPECT_LT(r.value->size(), 200U) << "the value could not fit, so a note of its size stands in";
    EXPECT_NE(r.value->find("20000 bytes"), std::string::npos) << *r.value;
    EXPECT_EQ(r.hdrs.last("value-bytes"), "20000");
    EXPECT_EQ(r.hdrs.last("target-topic"), "out");
    EXPECT_NE(r.hdrs.last("error")->find("message.max.bytes"), std::string_view::npos);
    EXPECT_EQ(driver.counters().production_errors.load(), 1U);
}

TEST(production_handler, a_value_that_cannot_be_serialized_dead_letters_the_input_record) {
    struct refusing_serde {
        nullable_bytes serialize(const std::string& v, std::string& buffer) const {
            if (v == "poison") {
                throw serde_error("cannot write 'poison'");
            }
            buffer = v;
            return std::string_view(buffer);
        }
        std::string deserialize(nullable_bytes b) const { return b ? std::string(*b) : ""; }
    };
    stream_builder b;
    b.stream<std::string, std::string>({"in"}).to(
        "out", produced<std::string, std::string, default_serde<std::string>, refusing_serde>{});
    topology_test_driver driver(b.build(), {{"default.production.exception.handler", "dead_letter"},
                                            {"errors.dead.letter.queue.topic.name", "dlq"}});
    auto in = driver.create_input_topic<std::string, std::string>("in");
    in.pipe_input("k", "poison", 1);
    in.pipe_input("k", "good", 2);
    EXPECT_EQ(values_of(driver, "out"), (strings{"good"}));
    const captured_record r = only_record(driver, "dlq");
    EXPECT_EQ(r.value, "poison") << "the input record, since its output has no bytes";
    EXPECT_NE(r.hdrs.last("error")->find("cannot write 'poison'"), std::string_view::npos);
}

TEST(production_handler, fail_stops_with_the_topic_and_the_reason) {
    topology_test_driver driver(passthrough(), {{"producer.message.max.bytes", "1000"}});
    auto in = driver.create_input_topic<std::string, std::string>("in");
    try {
        in.pipe_input("k", std::string(5000, 'y'), 1);
        FAIL() << "the default production handler must fail";
    } catch (const handler_failure& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find("'out'"), std::string::npos) << what;
        EXPECT_NE(what.find("default.production.exception.handler"), std::string::npos) << what;
    }
}

TEST(production_handler, a_dead_letter_too_large_loses_its_largest_part_first) {
    // The output copy of a record with a 3,000-byte header cannot be written under a limit
    // of 2,000. Its dead letter leaves the header out, which is enough: the key and value,
    // small, stay as they were (they tell which record it was).
    topology_test_driver driver(passthrough(),
                                {{"default.production.exception.handler", "dead_letter"},
                                 {"errors.dead.letter.queue.topic.name", "dlq"},
                                 {"producer.message.max.bytes", "2000"}});
    auto in = driver.create_input_topic<std::string, std::string>("in");
    headers big;
    big.add("big", std::string(3000, 'h'));
    in.pipe_input("the-key", "the-value", 1, big);
    const captured_record r = only_record(driver, "dlq");
    EXPECT_EQ(r.key, "the-key");
    EXPECT_EQ(r.value, "the-value");
    EXPECT_FALSE(r.hdrs.contains("big"));
    EXPECT_EQ(r.hdrs.last("headers-left-out"), "1");
    EXPECT_NE(r.hdrs.last("error")->find("message.max.bytes"), std::string_view::npos);

    // Both a large value and a large header: the larger goes first, then the other.
    headers also_big;
    also_big.add("big", std::string(1500, 'h'));
    in.pipe_input("k2", std::string(1800, 'v'), 2, also_big);
    const captured_record r2 = only_record(driver, "dlq");
    EXPECT_EQ(r2.key, "k2");
    EXPECT_EQ(r2.hdrs.last("value-bytes"), "1800");
    EXPECT_FALSE(r2.hdrs.contains("big"));
}

// task_output's half of the event-time bound: a processor may give a record any timestamp,
// and one far ahead written to a repartition topic would move the stream time of every
// task reading it (through the writer's progress markers).
struct capturing_collector final : record_collector {
    std::vector<std::pair<std::string, int64_t>> sent;
    void send(std::string_view topic, nullable_bytes, nullable_bytes, int64_t timestamp,
              const headers&, std::optional<int32_t>) override {
        sent.emplace_back(std::string(topic), timestamp);
    }
    int32_t partition_count(std::string_view) override { return 1; }
};
struct refusal_log final : record_errors {
    std::vector<std::pair<std::string, int64_t>> refused; // topic, ms ahead
    void processing_failed(std::string_view, const std::exception&) override {}
    void production_failed(std::string_view, nullable_bytes, nullable_bytes, int64_t,
                           const headers&, std::string_view) override {}
    void event_time_refused(std::string_view topic, nullable_bytes, nullable_bytes, int64_t,
                            const headers&, int64_t ahead_ms) override {
        refused.emplace_back(std::string(topic), ahead_ms);
    }
};

TEST(event_time_bound, a_repartition_record_far_ahead_is_refused_and_moves_no_watermark) {
    capturing_collector target;
    refusal_log errors;
    task_output out(&target, &errors);
    out.track({{"app-by-host-repartition", 3}});
    const int64_t now = 1'800'000'000'000;
    out.bound_event_time(std::chrono::hours(1), [now] { return now; });
    out.send("app-by-host-repartition", "k", "v", now - 5000, {}, std::nullopt);
    out.send("app-by-host-repartition", "k", "v", now + 3'600'000, {}, std::nullopt); // at it
    out.send("app-by-host-repartition", "k", "v", now + 2 * 86'400'000, {}, std::nullopt);
    // Output topics are not the app's stream time: what they carry is the topology's call.
    out.send("out", "k", "v", now + 2 * 86'400'000, {}, std::nullopt);
    ASSERT_EQ(target.sent.size(), 3U);
    EXPECT_EQ(target.sent[1].second, now + 3'600'000);
    EXPECT_EQ(target.sent[2].first, "out");
    ASSERT_EQ(errors.refused.size(), 1U);
    EXPECT_EQ(errors.refused[0],
              (std::pair<std::string, int64_t>{"app-by-host-repartition", 2 * 86'400'000}));
    EXPECT_EQ(out.largest_timestamp("app-by-host-repartition"), now + 3'600'000);

    // Without a bound (the default, -1), nothing is refused.
    task_output unbounded(&target, &errors);
    unbounded.track({{"app-by-host-repartition", 3}});
    unbounded.bound_event_time(std::chrono::milliseconds(-1), [now] { return now; });
    unbounded.send("app-by-host-repartition", "k", "v", now + 2 * 86'400'000, {}, std::nullopt);
    EXPECT_EQ(errors.refused.size(), 1U);
    EXPECT_EQ(unbounded.largest_timestamp("app-by-host-repartition"), now + 2 * 86'400'000);
}

TEST(event_time_bound, a_record_from_the_far_future_goes_to_the_dlq_and_leaves_stream_time_alone) {
    stream_builder b;
    b.stream<std::string, std::string>({"in"})
        .group_by_key()
        .windowed_by(time_windows::of_size_and_grace(1min, 10s))
        .count()
        .to_stream()
        .map([](const windowed<std::string>& w, int64_t n) {
            return key_value<std::string, std::string>{w.key, std::to_string(w.start) + ":" +
                                                                  std::to_string(n)};
        })
        .to("out");
    const int64_t now = 1'800'000'000'000;
    topology_test_driver driver(b.build(),
                                {{"max.event.time.future.ms", "3600000"},
                                 {"default.deserialization.exception.handler", "dead_letter"},
                                 {"errors.dead.letter.queue.topic.name", "dlq"},
                                 {"statestore.cache.max.bytes", "0"}},
                                now);
    auto in = driver.create_input_topic<std::string, std::string>("in");
    in.pipe_input("k", "v", now - 120'000);
    in.pipe_input("k", "v", 1'000'000'000'000'000); // year 33658
    in.pipe_input("k", "v", now - 119'000);         // still counted: not late
    const auto out = values_of(driver, "out");
    ASSERT_EQ(out.size(), 2U);
    EXPECT_EQ(out.back(), std::to_string((now - 120'000) / 60'000 * 60'000) + ":2");
    const captured_record r = only_record(driver, "dlq");
    EXPECT_NE(r.hdrs.last("error")->find("max.event.time.future.ms"), std::string_view::npos);
    EXPECT_EQ(driver.counters().late_records_dropped.load(), 0U);
}

TEST(window_arithmetic, a_timestamp_of_int64_max_is_a_processing_error_not_an_endless_loop) {
    for (const bool sliding : {false, true}) {
        stream_builder b;
        auto grouped = b.stream<std::string, std::string>({"in"}).group_by_key();
        if (sliding) {
            grouped.windowed_by(sliding_windows::of_time_difference_and_grace(10s, 1s))
                .count()
                .to_stream()
                .map([](const windowed<std::string>& w, int64_t n) {
                    return key_value<std::string, int64_t>{w.key, n};
                })
                .to("out");
        } else {
            grouped.windowed_by(time_windows::of_size_and_grace(1min, 10s).advance_by(10s))
                .count()
                .to_stream()
                .map([](const windowed<std::string>& w, int64_t n) {
                    return key_value<std::string, int64_t>{w.key, n};
                })
                .to("out");
        }
        topology_test_driver driver(b.build(), {{"processing.exception.handler", "dead_letter"},
                                                {"errors.dead.letter.queue.topic.name", "dlq"},
                                                {"statestore.cache.max.bytes", "0"}});
        auto in = driver.create_input_topic<std::string, std::string>("in");
        in.pipe_input("k", "v", std::numeric_limits<int64_t>::max());
        EXPECT_EQ(driver.counters().processing_errors.load(), 1U) << "sliding: " << sliding;
        EXPECT_EQ(driver.counters().dead_lettered.load(), 1U);
        // Stream time did move to it, as in Kafka Streams: a later record is late.
        // (max.event.time.future.ms keeps such a record from moving stream time at all.)
        in.pipe_input("k", "v", 5000);
        EXPECT_EQ(driver.counters().late_records_dropped.load(), 1U) << "sliding: " << sliding;
    }
}

TEST(window_arithmetic, windows_of_the_largest_allowed_timestamp_do_not_overflow) {
    const auto windows = time_windows::of_size_and_grace(1min, 0ms).advance_by(1s);
    int n = 0;
    int64_t last = 0;
    windows.for_each_window(max_window_timestamp_ms, [&](int64_t start) {
        ++n;
        last = start;
    });
    EXPECT_EQ(n, 60);
    EXPECT_LE(last, max_window_timestamp_ms);
    EXPECT_THROW(
        time_windows::of_size_and_grace(std::chrono::milliseconds(max_window_duration_ms + 1), 0ms),
        std::invalid_argument);
}

} // namespace
} // namespace brook
