// Golden tests of topology descriptions: the text format (Kafka Streams' layout), sub-
// topologies split at repartition topics, stores, joins, and the DOT and Mermaid renderings.

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "engine/topology/topology_builder.h"
#include "operators/stream_builder.h"
#include "state/in_memory_key_value_store.h"

namespace brook {
namespace {

// source -> filter -> map_values -> to, with generated names.
topology small_dsl_topology() {
    stream_builder b;
    b.stream<std::string, std::string>({"in"})
        .filter([](const std::string&, const std::string& v) { return !v.empty(); })
        .map_values([](const std::string& v) { return v + "!"; })
        .to("out");
    return b.build();
}

// source -> select_key -> repartition -> filter -> to: two sub-topologies.
topology repartitioning_topology() {
    stream_builder b;
    b.stream<std::string, std::string>({"in"})
        .select_key([](const std::string&, const std::string& v) { return v; })
        .repartition()
        .filter([](const std::string&, const std::string& v) { return !v.empty(); })
        .to("out");
    return b.build();
}

TEST(topology_describe, a_linear_dsl_topology_is_described_exactly) {
    const std::string expected = R"(Topologies:
   Sub-topology: 0
    Source: KSTREAM-SOURCE-0000000000 (topics: [in])
      --> KSTREAM-FILTER-0000000001
    Processor: KSTREAM-FILTER-0000000001 (stores: [])
      --> KSTREAM-MAPVALUES-0000000002
      <-- KSTREAM-SOURCE-0000000000
    Processor: KSTREAM-MAPVALUES-0000000002 (stores: [])
      --> KSTREAM-SINK-0000000003
      <-- KSTREAM-FILTER-0000000001
    Sink: KSTREAM-SINK-0000000003 (topic: out)
      <-- KSTREAM-MAPVALUES-0000000002

)";
    EXPECT_EQ(small_dsl_topology().describe(), expected);
}

TEST(topology_describe, a_repartition_splits_the_topology_into_two_sub_topologies) {
    const std::string expected = R"(Topologies:
   Sub-topology: 0
    Source: KSTREAM-SOURCE-0000000000 (topics: [in])
      --> KSTREAM-KEY-SELECT-0000000001
    Processor: KSTREAM-KEY-SELECT-0000000001 (stores: [])
      --> KSTREAM-REPARTITION-0000000002-sink
      <-- KSTREAM-SOURCE-0000000000
    Sink: KSTREAM-REPARTITION-0000000002-sink (topic: <application.id>-KSTREAM-REPARTITION-0000000002-repartition)
      <-- KSTREAM-KEY-SELECT-0000000001

   Sub-topology: 1
    Source: KSTREAM-REPARTITION-0000000002-source (topics: [<application.id>-KSTREAM-REPARTITION-0000000002-repartition])
      --> KSTREAM-FILTER-0000000003
    Processor: KSTREAM-FILTER-0000000003 (stores: [])
      --> KSTREAM-SINK-0000000004
      <-- KSTREAM-REPARTITION-0000000002-source
    Sink: KSTREAM-SINK-0000000004 (topic: out)
      <-- KSTREAM-FILTER-0000000003

)";
    const topology t = repartitioning_topology();
    EXPECT_EQ(t.describe(), expected);
    ASSERT_EQ(t.subtopologies().size(), 2U);
    EXPECT_EQ(t.subtopologies()[1].source_topics,
              (std::vector<std::string>{"KSTREAM-REPARTITION-0000000002-repartition"}));
    EXPECT_EQ(t.source_topics("app"),
              (std::vector<std::string>{"app-KSTREAM-REPARTITION-0000000002-repartition", "in"}));
    EXPECT_EQ(t.external_source_topics(), (std::vector<std::string>{"in"}));
}

TEST(topology_describe, the_description_is_the_same_for_every_build_of_the_same_code) {
    EXPECT_EQ(small_dsl_topology().describe(), small_dsl_topology().describe());
    EXPECT_EQ(repartitioning_topology().describe(), repartitioning_topology().describe());
    EXPECT_EQ(repartitioning_topology().to_dot(), repartitioning_topology().to_dot());
    EXPECT_EQ(repartitioning_topology().to_mermaid(), repartitioning_topology().to_mermaid());
}

// Passes records on; only here to be described.
class noop_processor final : public processor<std::string, std::string> {
public:
    void process(record<std::string, std::string>&& r) override { context().forward(std::move(r)); }
};

TEST(topology_describe, stores_merge_and_per_record_sinks_are_described) {
    topology_builder builder;
    const auto noop = [] { return std::make_unique<noop_processor>(); };
    builder.add_source<std::string, std::string>("left", {"a", "b"})
        .add_source<std::string, std::string>("right", {"c"})
        .add_processor<noop_processor>("counter", noop, {"left"})
        .add_processor<noop_processor>("auditor", noop, {"right"})
        .add_processor<noop_processor>("joined", noop, {"counter", "auditor"})
        .add_state_store(
            {"counts", [] { return std::make_unique<state::in_memory_key_value_store>("counts"); }},
            {"counter", "joined"})
        .add_sink<std::string, std::string>(
            "router",
            topic_extractor<std::string, std::string>(
                [](const record<std::string, std::string>& r) { return r.key; }),
            {"joined"});
    const std::string expected = R"(Topologies:
   Sub-topology: 0
    Source: left (topics: [a, b])
      --> counter
    Source: right (topics: [c])
      --> auditor
    Processor: counter (stores: [counts])
      --> joined
      <-- left
    Processor: auditor (stores: [])
      --> joined
      <-- right
    Processor: joined (stores: [counts])
      --> router
      <-- counter, auditor
    Sink: router (topic: <chosen per record>)
      <-- joined

)";
    const topology t = builder.build();
    EXPECT_EQ(t.describe(), expected);
    ASSERT_EQ(t.subtopologies().size(), 1U);
    EXPECT_EQ(t.subtopologies()[0].stores, (std::vector<std::string>{"counts"}));
}

TEST(topology_describe, a_shared_store_joins_otherwise_separate_sub_topologies) {
    topology_builder builder;
    const auto noop = [] { return std::make_unique<noop_processor>(); };
    builder.add_source<std::string, std::string>("s1", {"t1"})
        .add_processor<noop_processor>("p1", noop, {"s1"})
        .add_source<std::string, std::string>("s2", {"t2"})
        .add_processor<noop_processor>("p2", noop, {"s2"})
        .add_source<std::string, std::string>("s3", {"t3"})
        .add_processor<noop_processor>("p3", noop, {"s3"})
        .add_state_store(
            {"shared", [] { return std::make_unique<state::in_memory_key_value_store>("shared"); }},
            {"p1", "p3"});
    const topology t = builder.build();
    ASSERT_EQ(t.subtopologies().size(), 2U);
    EXPECT_EQ(t.subtopologies()[0].nodes, (std::vector<std::string>{"s1", "p1", "s3", "p3"}));
    EXPECT_EQ(t.subtopologies()[0].stores, (std::vector<std::string>{"shared"}));
    EXPECT_EQ(t.subtopologies()[1].nodes, (std::vector<std::string>{"s2", "p2"}));
    EXPECT_EQ(t.subtopology_of("t3", "app"), std::optional<int>(0));
    EXPECT_EQ(t.subtopology_of("t2", "app"), std::optional<int>(1));
    EXPECT_EQ(t.subtopology_of("t4", "app"), std::nullopt);
}

TEST(topology_describe, dot_output_names_every_node_topic_and_sub_topology) {
    const std::string dot = repartitioning_topology().to_dot();
    EXPECT_EQ(dot.rfind("digraph topology {", 0), 0U);
    for (const char* name :
         {"\"KSTREAM-SOURCE-0000000000\"", "\"KSTREAM-KEY-SELECT-0000000001\"",
          "\"KSTREAM-REPARTITION-0000000002-sink\"", "\"KSTREAM-REPARTITION-0000000002-source\"",
          "\"KSTREAM-FILTER-0000000003\"", "\"KSTREAM-SINK-0000000004\"", "\"topic:in\"",
          "\"topic:out\"", "cluster_0", "cluster_1",
          "\"KSTREAM-SOURCE-0000000000\" -> \"KSTREAM-KEY-SELECT-0000000001\";"}) {
        EXPECT_NE(dot.find(name), std::string::npos) << name;
    }
}

TEST(topology_describe, mermaid_output_names_every_node_and_sub_topology) {
    const std::string mermaid = small_dsl_topology().to_mermaid();
    EXPECT_EQ(mermaid.rfind("flowchart LR\n", 0), 0U);
    for (const char* name :
         {"[\"KSTREAM-SOURCE-0000000000\"]", "[\"KSTREAM-FILTER-0000000001\"]",
          "[\"KSTREAM-MAPVALUES-0000000002\"]", "[\"KSTREAM-SINK-0000000003\"]",
          "subgraph sub0[\"Sub-topology 0\"]", "t_in[/\"in\"/] --> KSTREAM_SOURCE_0000000000",
          "KSTREAM_SINK_0000000003 --> t_out[/\"out\"/]"}) {
        EXPECT_NE(mermaid.find(name), std::string::npos) << name;
    }
}

// orders left-join payments (stream-stream) and left-join customers (stream-table).
topology join_topology() {
    stream_builder b;
    auto orders = b.stream<std::string, std::string>({"orders"});
    auto payments = b.stream<std::string, std::string>({"payments"});
    auto customers = b.table<std::string, std::string>("customers");
    orders
        .left_join(
            payments,
            [](const std::string& o, const std::optional<std::string>& p) {
                return o + p.value_or("");
            },
            join_windows::of_time_difference_without_grace(std::chrono::minutes(10)))
        .left_join(customers,
                   [](const std::string& o, const std::optional<std::string>& c) {
                       return o + c.value_or("");
                   })
        .to("out");
    return b.build();
}

TEST(topology_describe, joins_show_their_nodes_and_stores_exactly) {
    const std::string expected = R"(Topologies:
   Sub-topology: 0
    Source: KSTREAM-SOURCE-0000000000 (topics: [orders])
      --> KSTREAM-WINDOWED-0000000005
    Source: KSTREAM-SOURCE-0000000001 (topics: [payments])
      --> KSTREAM-WINDOWED-0000000006
    Source: KSTREAM-SOURCE-0000000003 (topics: [customers])
      --> KTABLE-SOURCE-0000000004
    Processor: KTABLE-SOURCE-0000000004 (stores: [customers-STATE-STORE-0000000002])
      <-- KSTREAM-SOURCE-0000000003
    Processor: KSTREAM-WINDOWED-0000000005 (stores: [KSTREAM-JOINTHIS-0000000007-store])
      --> KSTREAM-JOINTHIS-0000000007
      <-- KSTREAM-SOURCE-0000000000
    Processor: KSTREAM-WINDOWED-0000000006 (stores: [KSTREAM-OUTEROTHER-0000000008-store])
      --> KSTREAM-OUTEROTHER-0000000008
      <-- KSTREAM-SOURCE-0000000001
    Processor: KSTREAM-JOINTHIS-0000000007 (stores: [KSTREAM-OUTEROTHER-0000000008-store, KSTREAM-OUTERSHARED-0000000009-store])
      --> KSTREAM-MERGE-0000000010
      <-- KSTREAM-WINDOWED-0000000005
    Processor: KSTREAM-OUTEROTHER-0000000008 (stores: [KSTREAM-JOINTHIS-0000000007-store, KSTREAM-OUTERSHARED-0000000009-store])
      --> KSTREAM-MERGE-0000000010
      <-- KSTREAM-WINDOWED-0000000006
    Processor: KSTREAM-MERGE-0000000010 (stores: [])
      --> KSTREAM-JOIN-0000000011
      <-- KSTREAM-JOINTHIS-0000000007, KSTREAM-OUTEROTHER-0000000008
    Processor: KSTREAM-JOIN-0000000011 (stores: [customers-STATE-STORE-0000000002])
      --> KSTREAM-SINK-0000000012
      <-- KSTREAM-MERGE-0000000010
    Sink: KSTREAM-SINK-0000000012 (topic: out)
      <-- KSTREAM-JOIN-0000000011

)";
    EXPECT_EQ(join_topology().describe(), expected);
}

TEST(topology_describe, joins_are_drawn_exactly_in_dot) {
    const std::string expected = R"(digraph topology {
  rankdir=LR;
  subgraph cluster_0 {
    label="Sub-topology 0";
    "KSTREAM-SOURCE-0000000000" [shape=ellipse];
    "KSTREAM-SOURCE-0000000001" [shape=ellipse];
    "KSTREAM-SOURCE-0000000003" [shape=ellipse];
    "KTABLE-SOURCE-0000000004" [shape=box];
    "KSTREAM-WINDOWED-0000000005" [shape=box];
    "KSTREAM-WINDOWED-0000000006" [shape=box];
    "KSTREAM-JOINTHIS-0000000007" [shape=box];
    "KSTREAM-OUTEROTHER-0000000008" [shape=box];
    "KSTREAM-MERGE-0000000010" [shape=box];
    "KSTREAM-JOIN-0000000011" [shape=box];
    "KSTREAM-SINK-0000000012" [shape=ellipse];
    "store:KSTREAM-JOINTHIS-0000000007-store" [shape=cylinder];
    "store:KSTREAM-OUTEROTHER-0000000008-store" [shape=cylinder];
    "store:KSTREAM-OUTERSHARED-0000000009-store" [shape=cylinder];
    "store:customers-STATE-STORE-0000000002" [shape=cylinder];
  }
  "topic:orders" [shape=cds];
  "topic:orders" -> "KSTREAM-SOURCE-0000000000";
  "topic:payments" [shape=cds];
  "topic:payments" -> "KSTREAM-SOURCE-0000000001";
  "topic:customers" [shape=cds];
  "topic:customers" -> "KSTREAM-SOURCE-0000000003";
  "KSTREAM-SOURCE-0000000003" -> "KTABLE-SOURCE-0000000004";
  "KTABLE-SOURCE-0000000004" -> "store:customers-STATE-STORE-0000000002" [dir=both, style=dashed];
  "KSTREAM-SOURCE-0000000000" -> "KSTREAM-WINDOWED-0000000005";
  "KSTREAM-WINDOWED-0000000005" -> "store:KSTREAM-JOINTHIS-0000000007-store" [dir=both, style=dashed];
  "KSTREAM-SOURCE-0000000001" -> "KSTREAM-WINDOWED-0000000006";
  "KSTREAM-WINDOWED-0000000006" -> "store:KSTREAM-OUTEROTHER-0000000008-store" [dir=both, style=dashed];
  "KSTREAM-WINDOWED-0000000005" -> "KSTREAM-JOINTHIS-0000000007";
  "KSTREAM-JOINTHIS-0000000007" -> "store:KSTREAM-OUTEROTHER-0000000008-store" [dir=both, style=dashed];
  "KSTREAM-JOINTHIS-0000000007" -> "store:KSTREAM-OUTERSHARED-0000000009-store" [dir=both, style=dashed];
  "KSTREAM-WINDOWED-0000000006" -> "KSTREAM-OUTEROTHER-0000000008";
  "KSTREAM-OUTEROTHER-0000000008" -> "store:KSTREAM-JOINTHIS-0000000007-store" [dir=both, style=dashed];
  "KSTREAM-OUTEROTHER-0000000008" -> "store:KSTREAM-OUTERSHARED-0000000009-store" [dir=both, style=dashed];
  "KSTREAM-JOINTHIS-0000000007" -> "KSTREAM-MERGE-0000000010";
  "KSTREAM-OUTEROTHER-0000000008" -> "KSTREAM-MERGE-0000000010";
  "KSTREAM-MERGE-0000000010" -> "KSTREAM-JOIN-0000000011";
  "KSTREAM-JOIN-0000000011" -> "store:customers-STATE-STORE-0000000002" [dir=both, style=dashed];
  "topic:out" [shape=cds];
  "KSTREAM-SINK-0000000012" -> "topic:out";
  "KSTREAM-JOIN-0000000011" -> "KSTREAM-SINK-0000000012";
}
)";
    EXPECT_EQ(join_topology().to_dot(), expected);
}

TEST(topology_describe, joins_are_drawn_exactly_in_mermaid_with_their_stores) {
    const std::string expected = R"(flowchart LR
  subgraph sub0["Sub-topology 0"]
    KSTREAM_SOURCE_0000000000["KSTREAM-SOURCE-0000000000"]
    KSTREAM_SOURCE_0000000001["KSTREAM-SOURCE-0000000001"]
    KSTREAM_SOURCE_0000000003["KSTREAM-SOURCE-0000000003"]
    KTABLE_SOURCE_0000000004["KTABLE-SOURCE-0000000004"]
    KSTREAM_WINDOWED_0000000005["KSTREAM-WINDOWED-0000000005"]
    KSTREAM_WINDOWED_0000000006["KSTREAM-WINDOWED-0000000006"]
    KSTREAM_JOINTHIS_0000000007["KSTREAM-JOINTHIS-0000000007"]
    KSTREAM_OUTEROTHER_0000000008["KSTREAM-OUTEROTHER-0000000008"]
    KSTREAM_MERGE_0000000010["KSTREAM-MERGE-0000000010"]
    KSTREAM_JOIN_0000000011["KSTREAM-JOIN-0000000011"]
    KSTREAM_SINK_0000000012["KSTREAM-SINK-0000000012"]
    s_KSTREAM_JOINTHIS_0000000007_store[("KSTREAM-JOINTHIS-0000000007-store")]
    s_KSTREAM_OUTEROTHER_0000000008_store[("KSTREAM-OUTEROTHER-0000000008-store")]
    s_KSTREAM_OUTERSHARED_0000000009_store[("KSTREAM-OUTERSHARED-0000000009-store")]
    s_customers_STATE_STORE_0000000002[("customers-STATE-STORE-0000000002")]
  end
  t_orders[/"orders"/] --> KSTREAM_SOURCE_0000000000
  t_payments[/"payments"/] --> KSTREAM_SOURCE_0000000001
  t_customers[/"customers"/] --> KSTREAM_SOURCE_0000000003
  KSTREAM_SOURCE_0000000003 --> KTABLE_SOURCE_0000000004
  KTABLE_SOURCE_0000000004 -.- s_customers_STATE_STORE_0000000002
  KSTREAM_SOURCE_0000000000 --> KSTREAM_WINDOWED_0000000005
  KSTREAM_WINDOWED_0000000005 -.- s_KSTREAM_JOINTHIS_0000000007_store
  KSTREAM_SOURCE_0000000001 --> KSTREAM_WINDOWED_0000000006
  KSTREAM_WINDOWED_0000000006 -.- s_KSTREAM_OUTEROTHER_0000000008_store
  KSTREAM_WINDOWED_0000000005 --> KSTREAM_JOINTHIS_0000000007
  KSTREAM_JOINTHIS_0000000007 -.- s_KSTREAM_OUTEROTHER_0000000008_store
  KSTREAM_JOINTHIS_0000000007 -.- s_KSTREAM_OUTERSHARED_0000000009_store
  KSTREAM_WINDOWED_0000000006 --> KSTREAM_OUTEROTHER_0000000008
  KSTREAM_OUTEROTHER_0000000008 -.- s_KSTREAM_JOINTHIS_0000000007_store
  KSTREAM_OUTEROTHER_0000000008 -.- s_KSTREAM_OUTERSHARED_0000000009_store
  KSTREAM_JOINTHIS_0000000007 --> KSTREAM_MERGE_0000000010
  KSTREAM_OUTEROTHER_0000000008 --> KSTREAM_MERGE_0000000010
  KSTREAM_MERGE_0000000010 --> KSTREAM_JOIN_0000000011
  KSTREAM_JOIN_0000000011 -.- s_customers_STATE_STORE_0000000002
  KSTREAM_SINK_0000000012 --> t_out[/"out"/]
  KSTREAM_JOIN_0000000011 --> KSTREAM_SINK_0000000012
)";
    EXPECT_EQ(join_topology().to_mermaid(), expected);
}

// A foreign-key join: the left table's sub-topology (subscribing, answering itself,
// resolving) and the right table's (keeping subscriptions, answering), linked only through
// the two internal topics.
topology foreign_key_join_topology() {
    stream_builder b;
    auto comments = b.table<std::string, std::string>("comments");
    auto articles = b.table<std::string, std::string>("articles");
    comments
        .join(
            articles, [](const std::string& c) { return c.substr(0, c.find(':')); },
            [](const std::string& c, const std::string& a) { return c + a; }, "by-article")
        .to_stream()
        .to("out", produced<std::string, std::optional<std::string>>{});
    return b.build();
}

TEST(topology_describe, foreign_key_joins_are_described_exactly) {
    const std::string expected = R"(Topologies:
   Sub-topology: 0
    Source: KSTREAM-SOURCE-0000000001 (topics: [comments])
      --> KTABLE-SOURCE-0000000002
    Processor: KTABLE-SOURCE-0000000002 (stores: [comments-STATE-STORE-0000000000])
      --> by-article-subscription-send, by-article-self-answer
      <-- KSTREAM-SOURCE-0000000001
    Processor: by-article-subscription-send (stores: [by-article-previous-store, by-article-store])
      --> by-article-subscription-registration-topic-sink
      <-- KTABLE-SOURCE-0000000002
    Sink: by-article-subscription-registration-topic-sink (topic: <application.id>-by-article-subscription-registration-topic)
      <-- by-article-subscription-send
    Processor: by-article-self-answer (stores: [])
      --> by-article-self-answer-sink
      <-- KTABLE-SOURCE-0000000002
    Sink: by-article-self-answer-sink (topic: <application.id>-by-article-subscription-response-topic)
      <-- by-article-self-answer
    Source: by-article-subscription-response-topic-source (topics: [<application.id>-by-article-subscription-response-topic])
      --> by-article-response-resolver
    Processor: by-article-response-resolver (stores: [comments-STATE-STORE-0000000000])
      --> by-article
      <-- by-article-subscription-response-topic-source
    Processor: by-article (stores: [by-article-store])
      --> KTABLE-TOSTREAM-0000000006
      <-- by-article-response-resolver
    Processor: KTABLE-TOSTREAM-0000000006 (stores: [])
      --> KSTREAM-SINK-0000000007
      <-- by-article
    Sink: KSTREAM-SINK-0000000007 (topic: out)
      <-- KTABLE-TOSTREAM-0000000006

   Sub-topology: 1
    Source: KSTREAM-SOURCE-0000000004 (topics: [articles])
      --> KTABLE-SOURCE-0000000005
    Processor: KTABLE-SOURCE-0000000005 (stores: [articles-STATE-STORE-0000000003])
      --> by-article-right-update
      <-- KSTREAM-SOURCE-0000000004
    Source: by-article-subscription-registration-topic-source (topics: [<application.id>-by-article-subscription-registration-topic])
      --> by-article-subscription-receive
    Processor: by-article-subscription-receive (stores: [by-article-subscription-store, articles-STATE-STORE-0000000003])
      --> by-article-subscription-response-topic-sink
      <-- by-article-subscription-registration-topic-source
    Processor: by-article-right-update (stores: [by-article-subscription-store])
      --> by-article-subscription-response-topic-sink
      <-- KTABLE-SOURCE-0000000005
    Sink: by-article-subscription-response-topic-sink (topic: <application.id>-by-article-subscription-response-topic)
      <-- by-article-subscription-receive, by-article-right-update

)";
    EXPECT_EQ(foreign_key_join_topology().describe(), expected);
}

// A stream-table join with a grace period: the join node holds the versioned table's
// store and its own buffer, "<name>-Buffer".
TEST(topology_describe, a_grace_period_join_shows_its_buffer_store) {
    stream_builder b;
    auto prices = b.table("prices", consumed<std::string, std::string>{},
                          materialized<std::string, std::string>::as("prices-store")
                              .versioned(std::chrono::hours(1)));
    joined<std::string, std::string> options;
    options.name = "enrich";
    options.grace_period = std::chrono::seconds(2);
    b.stream<std::string, std::string>({"orders"})
        .join(
            prices, [](const std::string& o, const std::string& p) { return o + p; }, options)
        .to("out");
    const std::string expected = R"(Topologies:
   Sub-topology: 0
    Source: KSTREAM-SOURCE-0000000000 (topics: [prices])
      --> KTABLE-SOURCE-0000000001
    Processor: KTABLE-SOURCE-0000000001 (stores: [prices-store])
      <-- KSTREAM-SOURCE-0000000000
    Source: KSTREAM-SOURCE-0000000002 (topics: [orders])
      --> enrich
    Processor: enrich (stores: [prices-store, enrich-Buffer])
      --> KSTREAM-SINK-0000000003
      <-- KSTREAM-SOURCE-0000000002
    Sink: KSTREAM-SINK-0000000003 (topic: out)
      <-- enrich

)";
    EXPECT_EQ(b.build().describe(), expected);
}

} // namespace
} // namespace brook
