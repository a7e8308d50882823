// The processor API through the topology test driver: hand-built topologies with custom
// processors, record metadata, named children, state stores, punctuators on both clocks,
// the processor lifecycle, and the errors topology_builder reports.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/errors.h"
#include "engine/testing/topology_test_driver.h"
#include "engine/topology/topology_builder.h"
#include "operators/stream_builder.h"
#include "state/in_memory_key_value_store.h"

namespace brook {
namespace {

using namespace std::chrono_literals;
using strings = std::vector<std::string>;

// Forwards each record to the child named after the first letter of its value ("a..." to
// "a-sink", anything else to "other-sink"), with the record's origin as the value.
class origin_router final : public processor<std::string, std::string> {
public:
    void process(record<std::string, std::string>&& r) override {
        const record_metadata* m = context().metadata();
        ASSERT_NE(m, nullptr);
        const bool to_a = !r.value.empty() && r.value[0] == 'a';
        r.value = fmt::format("{}:{}/{}@{}", r.value, m->topic, m->partition, m->offset);
        context().forward(std::move(r), to_a ? "a-sink" : "other-sink");
    }
};

TEST(processor_api, a_processor_sees_record_metadata_and_forwards_to_a_named_child) {
    topology_builder builder;
    builder.add_source<std::string, std::string>("source", {"in", "in2"})
        .add_processor<origin_router>("router", [] { return std::make_unique<origin_router>(); },
                                      {"source"})
        .add_sink<std::string, std::string>("a-sink", "a-out", {"router"})
        .add_sink<std::string, std::string>("other-sink", "other-out", {"router"});
    const topology t = builder.build();
    topology_test_driver driver(t);
    auto in = driver.create_input_topic<std::string, std::string>("in");
    in.pipe_input("k", "apple", 1);
    in.pipe_input("k", "banana", 2);
    in.pipe_input("k", "avocado", 3);
    auto in2 = driver.create_input_topic<std::string, std::string>("in2");
    in2.pipe_input("k", "cherry", 4);
    in2.pipe_input("k", "apricot", 5);
    EXPECT_EQ((driver.create_output_topic<std::string, std::string>("a-out").read_values_to_list()),
              (strings{"apple:in/0@0", "avocado:in/0@2", "apricot:in2/0@1"}));
    EXPECT_EQ(
        (driver.create_output_topic<std::string, std::string>("other-out").read_values_to_list()),
        (strings{"banana:in/0@1", "cherry:in2/0@0"}));
}

// Forwards to a child that does not exist.
class lost_forwarder final : public processor<std::string, std::string> {
public:
    void process(record<std::string, std::string>&& r) override {
        context().forward(std::move(r), "nobody");
    }
};

TEST(processor_api, forwarding_to_a_child_that_does_not_exist_throws_topology_error) {
    topology_builder builder;
    builder.add_source<std::string, std::string>("source", {"in"})
        .add_processor<lost_forwarder>("lost", [] { return std::make_unique<lost_forwarder>(); },
                                       {"source"})
        .add_sink<std::string, std::string>("sink", "out", {"lost"});
    const topology t = builder.build();
    topology_test_driver driver(t);
    auto in = driver.create_input_topic<std::string, std::string>("in");
    EXPECT_THROW(in.pipe_input("k", "v", 1), topology_error);
}

// Counts records per key in a key-value store and forwards the running count.
class counting_processor final : public processor<std::string, std::string, std::string, int64_t> {
public:
    void init(context_type& context) override {
        _store = dynamic_cast<state::key_value_store*>(&context.store("counts"));
        ASSERT_NE(_store, nullptr);
    }
    void process(record<std::string, std::string>&& r) override {
        const std::optional<std::string> old = _store->get(r.key);
        const int64_t count = (old ? std::stoll(*old) : 0) + 1;
        _store->put(r.key, std::to_string(count));
        context().forward(std::move(r).with_value(count));
    }

private:
    state::key_value_store* _store = nullptr;
};

store_spec in_memory_store(const std::string& name) {
    return {name, [name] { return std::make_unique<state::in_memory_key_value_store>(name); }};
}

TEST(processor_api, a_processor_keeps_state_in_a_store_that_the_driver_can_inspect) {
    topology_builder builder;
    builder.add_source<std::string, std::string>("source", {"words"})
        .add_processor<counting_processor>(
            "count", [] { return std::make_unique<counting_processor>(); }, {"source"})
        .add_state_store(in_memory_store("counts"), {"count"})
        .add_sink<std::string, int64_t>("sink", "counts-out", {"count"});
    const topology t = builder.build();
    ASSERT_EQ(t.subtopologies().size(), 1U);
    EXPECT_EQ(t.subtopologies()[0].stores, (strings{"counts"}));
    topology_test_driver driver(t);
    auto in = driver.create_input_topic<std::string, std::string>("words");
    for (const char* w : {"a", "b", "a", "a"}) {
        in.pipe_input(w, "", 1);
    }
    EXPECT_EQ(
        (driver.create_output_topic<std::string, int64_t>("counts-out").read_key_values_to_list()),
        (std::vector<key_value<std::string, int64_t>>{{"a", 1}, {"b", 1}, {"a", 2}, {"a", 3}}));
    auto& store = dynamic_cast<state::key_value_store&>(driver.state_store("counts"));
    EXPECT_EQ(store.get("a"), std::optional<std::string>("3"));
    EXPECT_EQ(store.get("b"), std::optional<std::string>("1"));
    EXPECT_EQ(store.get("c"), std::nullopt);
    EXPECT_EQ(store.approximate_size(), 2U);
    EXPECT_THROW(driver.state_store("no-such-store"), topology_error);
}

TEST(processor_api, the_dsl_process_operator_runs_a_custom_processor_with_its_store) {
    stream_builder b;
    b.graph().add_state_store(in_memory_store("counts"), {});
    b.stream<std::string, std::string>({"words"})
        .process<counting_processor>([] { return std::make_unique<counting_processor>(); },
                                     {"counts"}, "count")
        .to("counts-out");
    const topology t = b.build();
    topology_test_driver driver(t);
    auto in = driver.create_input_topic<std::string, std::string>("words");
    in.pipe_input("x", "", 1);
    in.pipe_input("x", "", 2);
    EXPECT_EQ(
        (driver.create_output_topic<std::string, int64_t>("counts-out").read_values_to_list()),
        (std::vector<int64_t>{1, 2}));
    auto& store = dynamic_cast<state::key_value_store&>(driver.state_store("counts"));
    EXPECT_EQ(store.get("x"), std::optional<std::string>("2"));
}

// Asks for a store it was not connected to.
class store_thief final : public processor<std::string, std::string> {
public:
    void process(record<std::string, std::string>&& /*r*/) override {
        (void)context().store("counts");
    }
};

TEST(processor_api, a_store_not_connected_to_the_task_is_a_topology_error) {
    topology_builder builder;
    builder.add_source<std::string, std::string>("source", {"in"})
        .add_processor<store_thief>("thief", [] { return std::make_unique<store_thief>(); },
                                    {"source"});
    const topology t = builder.build();
    topology_test_driver driver(t);
    auto in = driver.create_input_topic<std::string, std::string>("in");
    EXPECT_THROW(in.pipe_input("k", "v", 1), topology_error);
}

// What a punctuating processor saw: the times its punctuator fired and whether it had
// record metadata then.
struct punctuation_log {
    std::vector<int64_t> fired_at;
    std::vector<bool> had_metadata;
    cancellable handle;
};

// Schedules one punctuator in init(); on each call it records the time and forwards a
// record stamped with it. A record with value "cancel" cancels the punctuator.
class punctuating_processor final : public processor<std::string, std::string> {
public:
    punctuating_processor(punctuation_type type, std::chrono::milliseconds interval,
                          std::shared_ptr<punctuation_log> log)
        : _type(type), _interval(interval), _log(std::move(log)) {}

    void init(context_type& ctx) override {
        _log->handle = ctx.schedule(_interval, _type, [this](int64_t now) {
            _log->fired_at.push_back(now);
            _log->had_metadata.push_back(this->context().metadata() != nullptr);
            this->context().forward(
                record<std::string, std::string>{"tick", std::to_string(now), now, {}});
        });
    }
    void process(record<std::string, std::string>&& r) override {
        if (r.value == "cancel") {
            _log->handle.cancel();
        }
    }

private:
    punctuation_type _type;
    std::chrono::milliseconds _interval;
    std::shared_ptr<punctuation_log> _log;
};

topology punctuating_topology(punctuation_type type, std::chrono::milliseconds interval,
                              const std::shared_ptr<punctuation_log>& log) {
    topology_builder builder;
    builder.add_source<std::string, std::string>("source", {"in"})
        .add_processor<punctuating_processor>("punctuate",
                                              [type, interval, log] {
                                                  return std::make_unique<punctuating_processor>(
                                                      type, interval, log);
                                              },
                                              {"source"})
        .add_sink<std::string, std::string>("sink", "ticks", {"punctuate"});
    return builder.build();
}

TEST(processor_api, a_stream_time_punctuator_fires_once_per_advance_of_stream_time) {
    auto log = std::make_shared<punctuation_log>();
    const topology t = punctuating_topology(punctuation_type::stream_time, 100ms, log);
    topology_test_driver driver(t);
    auto in = driver.create_input_topic<std::string, std::string>("in");

    // As in Kafka Streams, the schedule is aligned to 0: it fires with the first stream
    // time (1000), then at each multiple of 100 ms that stream time reaches.
    in.pipe_input("k", "v", 1000);
    EXPECT_EQ(log->fired_at, (std::vector<int64_t>{1000}));
    in.pipe_input("k", "v", 1099);
    EXPECT_EQ(log->fired_at, (std::vector<int64_t>{1000}));
    // The wall clock does not drive stream-time punctuators.
    driver.advance_wall_clock_time(10s);
    EXPECT_EQ(log->fired_at, (std::vector<int64_t>{1000}));
    in.pipe_input("k", "v", 1100);
    EXPECT_EQ(log->fired_at, (std::vector<int64_t>{1000, 1100}));
    // Several intervals at once fire it once, then it is due at the next multiple: 1500.
    in.pipe_input("k", "v", 1450);
    EXPECT_EQ(log->fired_at, (std::vector<int64_t>{1000, 1100, 1450}));
    // An older record does not move stream time.
    in.pipe_input("k", "v", 1300);
    in.pipe_input("k", "v", 1499);
    EXPECT_EQ(log->fired_at, (std::vector<int64_t>{1000, 1100, 1450}));
    in.pipe_input("k", "v", 1500);
    EXPECT_EQ(log->fired_at, (std::vector<int64_t>{1000, 1100, 1450, 1500}));
    EXPECT_EQ(log->had_metadata, (std::vector<bool>{false, false, false, false}));
    EXPECT_EQ(driver.counters().punctuations.load(), 4U);

    // Punctuators forward like processors do.
    EXPECT_EQ(
        (driver.create_output_topic<std::string, std::string>("ticks").read_records_to_list()),
        (std::vector<record<std::string, std::string>>{{"tick", "1000", 1000, {}},
                                                       {"tick", "1100", 1100, {}},
                                                       {"tick", "1450", 1450, {}},
                                                       {"tick", "1500", 1500, {}}}));

    in.pipe_input("k", "cancel", 1550);
    in.pipe_input("k", "v", 5000);
    EXPECT_EQ(log->fired_at, (std::vector<int64_t>{1000, 1100, 1450, 1500}));
}

TEST(processor_api, a_wall_clock_punctuator_fires_as_the_driver_clock_advances) {
    auto log = std::make_shared<punctuation_log>();
    const topology t = punctuating_topology(punctuation_type::wall_clock_time, 1000ms, log);
    topology_test_driver driver(t, {}, 10'000);
    auto in = driver.create_input_topic<std::string, std::string>("in");

    // Scheduled at 10000 in init(), so first due at 11000.
    driver.advance_wall_clock_time(999ms);
    EXPECT_TRUE(log->fired_at.empty());
    // Records, whatever their timestamps, do not drive wall-clock punctuators.
    in.pipe_input("k", "v", 50'000);
    EXPECT_TRUE(log->fired_at.empty());
    driver.advance_wall_clock_time(1ms);
    EXPECT_EQ(log->fired_at, (std::vector<int64_t>{11'000}));
    // 2.5 intervals at once: one call, then due at 14000.
    driver.advance_wall_clock_time(2500ms);
    EXPECT_EQ(log->fired_at, (std::vector<int64_t>{11'000, 13'500}));
    driver.advance_wall_clock_time(499ms);
    EXPECT_EQ(log->fired_at, (std::vector<int64_t>{11'000, 13'500}));
    driver.advance_wall_clock_time(1ms);
    EXPECT_EQ(log->fired_at, (std::vector<int64_t>{11'000, 13'500, 14'000}));
    EXPECT_EQ(log->had_metadata, (std::vector<bool>{false, false, false}));
    EXPECT_EQ((driver.create_output_topic<std::string, std::string>("ticks").read_values_to_list()),
              (strings{"11000", "13500", "14000"}));

    in.pipe_input("k", "cancel", 1);
    driver.advance_wall_clock_time(10s);
    EXPECT_EQ(log->fired_at, (std::vector<int64_t>{11'000, 13'500, 14'000}));
}

TEST(processor_api, cancelling_a_punctuator_twice_or_after_the_driver_is_gone_is_harmless) {
    auto log = std::make_shared<punctuation_log>();
    {
        const topology t = punctuating_topology(punctuation_type::wall_clock_time, 10ms, log);
        topology_test_driver driver(t);
        log->handle.cancel();
        log->handle.cancel();
        driver.advance_wall_clock_time(100ms);
        EXPECT_TRUE(log->fired_at.empty());
    }
    log->handle.cancel();
    SUCCEED();
}

TEST(processor_api, what_a_wall_clock_punctuator_writes_to_a_repartition_topic_goes_downstream) {
    auto log = std::make_shared<punctuation_log>();
    topology_builder builder;
    builder.add_source<std::string, std::string>("source", {"in"})
        .add_processor<punctuating_processor>("punctuate",
                                              [log] {
                                                  return std::make_unique<punctuating_processor>(
                                                      punctuation_type::wall_clock_time, 100ms,
                                                      log);
                                              },
                                              {"source"})
        .add_internal_sink<std::string, std::string>("to-ticks", "ticks-repartition", {"punctuate"})
        .add_internal_source<std::string, std::string>("from-ticks", "ticks-repartition")
        .add_sink<std::string, std::string>("sink", "ticks-out", {"from-ticks"});
    const topology t = builder.build();
    ASSERT_EQ(t.subtopologies().size(), 2U);
    topology_test_driver driver(t, {{"application.id", "app"}});
    driver.advance_wall_clock_time(100ms);
    EXPECT_EQ(log->fired_at, (std::vector<int64_t>{100}));
    EXPECT_EQ(driver.produced_topics(), (strings{"app-ticks-repartition", "ticks-out"}));
    const auto out =
        driver.create_output_topic<std::string, std::string>("ticks-out").read_record();
    EXPECT_EQ(out, (record<std::string, std::string>{"tick", "100", 100, {}}));
}

// Schedules with a zero interval.
class zero_interval_processor final : public processor<std::string, std::string> {
public:
    void init(context_type& context) override {
        context.schedule(0ms, punctuation_type::wall_clock_time, [](int64_t) {});
    }
    void process(record<std::string, std::string>&& /*r*/) override {}
};

TEST(processor_api, a_punctuation_interval_below_one_millisecond_is_a_topology_error) {
    topology_builder builder;
    builder.add_source<std::string, std::string>("source", {"in"})
        .add_processor<zero_interval_processor>(
            "zero", [] { return std::make_unique<zero_interval_processor>(); }, {"source"});
    const topology t = builder.build();
    EXPECT_THROW(topology_test_driver driver(t), topology_error);
}

// How often each lifecycle call happened, shared by every instance a supplier made.
struct lifecycle_counts {
    int made = 0;
    int init = 0;
    int processed = 0;
    int closed = 0;
};

class lifecycle_processor final : public processor<std::string, std::string> {
public:
    explicit lifecycle_processor(std::shared_ptr<lifecycle_counts> counts)
        : _counts(std::move(counts)) {
        ++_counts->made;
    }
    void init(context_type& /*context*/) override { ++_counts->init; }
    void process(record<std::string, std::string>&& r) override {
        ++_counts->processed;
        context().forward(std::move(r));
    }
    void close() override { ++_counts->closed; }

private:
    std::shared_ptr<lifecycle_counts> _counts;
};

TEST(processor_api, init_and_close_are_called_once_per_processor) {
    auto counts = std::make_shared<lifecycle_counts>();
    topology_builder builder;
    builder.add_source<std::string, std::string>("source", {"in"})
        .add_processor<lifecycle_processor>(
            "life", [counts] { return std::make_unique<lifecycle_processor>(counts); }, {"source"})
        .add_sink<std::string, std::string>("sink", "out", {"life"});
    const topology t = builder.build();
    EXPECT_EQ(counts->made, 0);
    {
        topology_test_driver driver(t);
        EXPECT_EQ(counts->made, 1);
        EXPECT_EQ(counts->init, 1);
        EXPECT_EQ(counts->closed, 0);
        auto in = driver.create_input_topic<std::string, std::string>("in");
        in.pipe_input("k", "1", 1);
        in.pipe_input("k", "2", 2);
        driver.advance_wall_clock_time(1s);
        EXPECT_EQ(counts->processed, 2);
        EXPECT_EQ(counts->init, 1);
        EXPECT_EQ(counts->closed, 0);
    }
    EXPECT_EQ(counts->made, 1);
    EXPECT_EQ(counts->init, 1);
    EXPECT_EQ(counts->closed, 1);
}

// Takes int64 values: cannot follow a source of strings.
class int64_sink_processor final : public processor<std::string, int64_t> {
public:
    void process(record<std::string, int64_t>&& /*r*/) override {}
};

TEST(processor_api, connecting_nodes_of_different_record_types_is_a_topology_error) {
    topology_builder builder;
    builder.add_source<std::string, std::string>("source", {"in"})
        .add_processor<int64_sink_processor>(
            "numbers", [] { return std::make_unique<int64_sink_processor>(); }, {"source"});
    const topology t = builder.build();
    EXPECT_THROW(topology_test_driver driver(t), topology_error);
}

TEST(topology_builder, a_duplicate_node_name_is_a_topology_error) {
    topology_builder builder;
    builder.add_source<std::string, std::string>("source", {"in"});
    EXPECT_THROW((builder.add_source<std::string, std::string>("source", {"other"})),
                 topology_error);
    EXPECT_THROW((builder.add_sink<std::string, std::string>("source", "out", {"source"})),
                 topology_error);
}

TEST(topology_builder, an_unknown_parent_is_a_topology_error) {
    topology_builder builder;
    builder.add_source<std::string, std::string>("source", {"in"});
    EXPECT_THROW((builder.add_sink<std::string, std::string>("sink", "out", {"nope"})),
                 topology_error);
    EXPECT_THROW(
        builder.add_processor<lifecycle_processor>(
            "p", [] { return std::make_unique<lifecycle_processor>(nullptr); }, {"source", "nope"}),
        topology_error);
    EXPECT_FALSE(builder.has_node("sink"));
    EXPECT_FALSE(builder.has_node("p"));
}

TEST(topology_builder, a_node_without_parents_or_with_a_sink_parent_is_a_topology_error) {
    topology_builder builder;
    builder.add_source<std::string, std::string>("source", {"in"})
        .add_sink<std::string, std::string>("sink", "out", {"source"});
    EXPECT_THROW((builder.add_sink<std::string, std::string>("orphan", "out", {})), topology_error);
    EXPECT_THROW((builder.add_sink<std::string, std::string>("after-sink", "out2", {"sink"})),
                 topology_error);
}

TEST(topology_builder, two_sources_on_one_topic_are_a_topology_error) {
    topology_builder builder;
    builder.add_source<std::string, std::string>("first", {"a", "shared"});
    EXPECT_THROW((builder.add_source<std::string, std::string>("second", {"b", "shared"})),
                 topology_error);
    EXPECT_FALSE(builder.has_node("second"));
}

TEST(topology_builder, a_source_without_topics_and_an_empty_graph_are_topology_errors) {
    topology_builder builder;
    EXPECT_THROW((builder.add_source<std::string, std::string>("source", {})), topology_error);
    EXPECT_THROW(builder.build(), topology_error);
}

TEST(topology_builder, stores_must_be_unique_and_connected_to_processors) {
    topology_builder builder;
    builder.add_source<std::string, std::string>("source", {"in"})
        .add_processor<counting_processor>(
            "count", [] { return std::make_unique<counting_processor>(); }, {"source"})
        .add_state_store(in_memory_store("counts"), {"count"});
    EXPECT_THROW(builder.add_state_store(in_memory_store("counts"), {"count"}), topology_error);
    EXPECT_THROW(builder.connect_store("missing", {"count"}), topology_error);
    EXPECT_THROW(builder.connect_store("counts", {"source"}), topology_error);
    EXPECT_THROW(builder.connect_store("counts", {"nope"}), topology_error);
}

TEST(topology_test_driver, reading_a_topic_never_written_does_not_make_it_produced) {
    topology_builder builder;
    builder.add_source<std::string, std::string>("source", {"in"})
        .add_sink<std::string, std::string>("sink", "out", {"source"});
    const topology t = builder.build();
    topology_test_driver driver(t);
    auto never = driver.create_output_topic<std::string, std::string>("never");
    EXPECT_TRUE(never.is_empty());
    EXPECT_EQ(never.queue_size(), 0U);
    EXPECT_THROW(never.read_raw(), std::out_of_range);
    EXPECT_TRUE(driver.produced_topics().empty());
    driver.create_input_topic<std::string, std::string>("in").pipe_input("k", "v", 1);
    auto out = driver.create_output_topic<std::string, std::string>("out");
    EXPECT_EQ(out.queue_size(), 1U);
    (void)out.read_raw();
    // A topic read empty still counts as produced.
    EXPECT_EQ(driver.produced_topics(), (strings{"out"}));
}

TEST(topology_test_driver, runs_a_topology_built_in_place_as_a_temporary) {
    stream_builder b;
    b.stream<std::string, std::string>({"in"})
        .map_values([](const std::string& v) { return v + v; })
        .to("out");
    topology_test_driver driver(b.build());
    driver.create_input_topic<std::string, std::string>("in").pipe_input("k", "ab", 1);
    EXPECT_EQ((driver.create_output_topic<std::string, std::string>("out").read_value()), "abab");
}

TEST(topology_test_driver, piping_to_a_topic_no_source_reads_throws) {
    topology_builder builder;
    builder.add_source<std::string, std::string>("source", {"in"})
        .add_sink<std::string, std::string>("sink", "out", {"source"});
    const topology t = builder.build();
    topology_test_driver driver(t);
    EXPECT_THROW(
        (driver.create_input_topic<std::string, std::string>("unknown").pipe_input("k", "v")),
        topology_error);
    // An output topic is not an input either.
    EXPECT_THROW((driver.create_input_topic<std::string, std::string>("out").pipe_input("k", "v")),
                 topology_error);
    EXPECT_EQ(driver.counters().records_processed.load(), 0U);
}

} // namespace
} // namespace brook
