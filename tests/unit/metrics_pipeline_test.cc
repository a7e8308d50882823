// The metrics pipeline (make demo's topology) through the test driver: valid records come
// out normalised, every kind of bad input goes to the DLQ unchanged with the reason.

#include <gtest/gtest.h>

#include "apps/metrics/metrics_topology.h"
#include "engine/testing/topology_test_driver.h"

namespace brook {
namespace {

using key = std::optional<std::string>;
using value = std::optional<std::string>;

struct pipeline {
    pipeline() {
        stream_builder b;
        apps::build_metrics_pipeline(b, {});
        driver = std::make_unique<topology_test_driver>(b.build());
    }
    std::unique_ptr<topology_test_driver> driver;
    test_input_topic<key, value> in() {
        return driver->create_input_topic<key, value>("raw-metrics");
    }
    test_output_topic<key, nlohmann::json> out() {
        return driver->create_output_topic<key, nlohmann::json>("processed-metrics");
    }
    test_output_topic<key, value> dlq() {
        return driver->create_output_topic<key, value>("raw-metrics.dlq");
    }
};

TEST(metrics_pipeline, valid_metrics_are_normalised_by_name_and_unit) {
    pipeline p;
    auto in = p.in();
    in.pipe_input("web-1",
                  R"({"name":" CPU.Usage ","host":"web-1","value":42,"unit":"percent","ts":5})");
    in.pipe_input("web-1", R"({"name":"lat","host":"web-1","value":250,"unit":"ms","ts":6})");
    in.pipe_input("web-1", R"({"name":"mem","host":"web-1","value":7,"unit":"%","ts":7})");
    in.pipe_input("web-1",
                  R"({"name":"disk","host":"web-1","value":9,"unit":"bytes","tags":{"a":1}})", 123);
    const auto records = p.out().read_records_to_list();
    ASSERT_EQ(records.size(), 4U);
    EXPECT_EQ(records[0].value, (nlohmann::json{{"name", "cpu.usage"},
                                                {"host", "web-1"},
                                                {"value", 0.42},
                                                {"unit", "ratio"},
                                                {"ts", 5}}));
    EXPECT_EQ(records[0].key, "web-1");
    EXPECT_EQ(records[1].value["value"], 0.25);
    EXPECT_EQ(records[1].value["unit"], "s");
    EXPECT_EQ(records[2].value["value"], 0.07);
    EXPECT_EQ(records[2].value["unit"], "ratio");
    EXPECT_EQ(records[3].value["unit"], "bytes");
    EXPECT_EQ(records[3].value["ts"], 123) << "without a ts field the record timestamp is used";
    EXPECT_EQ(records[3].value["tags"], (nlohmann::json{{"a", 1}}));
    EXPECT_TRUE(p.dlq().is_empty());
}

TEST(metrics_pipeline, bad_records_go_to_the_dlq_unchanged_with_the_reason_and_their_origin) {
    pipeline p;
    auto in = p.in();
    const std::vector<std::pair<std::string, std::string>> bad = {
        {"not json", "not valid JSON"},
        {"[1,2]", "not a JSON object"},
        {R"({"host":"h","value":1})", "missing field 'name'"},
        {R"({"name":"n","host":"  ","value":1})", "must not be empty"},
        {R"({"name":"n","host":"h","value":"1"})", "'value' must be a number"},
        {R"({"name":"n","host":"h","value":1e999})", "number overflow"},
        {R"({"name":"n","host":"h","value":1,"ts":-4})", "'ts' must be"},
        {R"({"name":"n","host":"h","value":1,"tags":[1]})", "'tags' must be an object"},
    };
    for (const auto& [text, reason] : bad) {
        in.pipe_input("k", text);
    }
    in.pipe_input(std::nullopt, std::nullopt); // a Kafka null value, and a null key
    EXPECT_TRUE(p.out().is_empty());
    auto dlq = p.dlq();
    for (size_t i = 0; i < bad.size(); ++i) {
        const captured_record r = dlq.read_raw();
        EXPECT_EQ(r.value, bad[i].first) << "the DLQ must hold the input unchanged";
        EXPECT_EQ(r.key, "k");
        const auto error = r.hdrs.last("error");
        ASSERT_TRUE(error.has_value());
        EXPECT_NE(error->find(bad[i].second), std::string_view::npos) << *error;
        EXPECT_EQ(r.hdrs.last("source-topic"), "raw-metrics");
        EXPECT_EQ(r.hdrs.last("source-partition"), "0");
        EXPECT_EQ(r.hdrs.last("source-offset"), std::to_string(i));
    }
    const captured_record null_record = dlq.read_raw();
    EXPECT_FALSE(null_record.value.has_value()) << "a null value stays null in the DLQ";
    EXPECT_FALSE(null_record.key.has_value());
    EXPECT_EQ(null_record.hdrs.last("error"), "value is null");
    EXPECT_TRUE(dlq.is_empty());
}

} // namespace
} // namespace brook
