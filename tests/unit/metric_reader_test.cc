// parse_metric reads one metrics input in a single SAX pass (metric_reader.h); it must give
// what reading a whole nlohmann document gives (parse_metric_with_document), the same
// metric or the same DLQ reason word for word, on every kind of input: the generator's
// valid and malformed records, and hand-made edge cases (repeated keys, nesting, every JSON
// type in every field, tags of every shape, text after the value).

#include <bit>
#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "apps/loadgen/generators.h"
#include "apps/metrics/metrics_topology.h"
#include "engine/serde/json_serde.h"

namespace brook::apps {
namespace {

constexpr int64_t record_ts = 1'700'000'000'000;

void expect_same_reading(std::string_view raw) {
    const parsed_metric fast = parse_metric(raw, record_ts);
    const parsed_metric reference = parse_metric_with_document(raw, record_ts);
    EXPECT_EQ(fast.error, reference.error) << raw;
    ASSERT_EQ(fast.ok.has_value(), reference.ok.has_value()) << raw;
    if (fast.ok) {
        EXPECT_EQ(fast.ok->name, reference.ok->name) << raw;
        EXPECT_EQ(fast.ok->host, reference.ok->host) << raw;
        EXPECT_EQ(std::bit_cast<uint64_t>(fast.ok->value),
                  std::bit_cast<uint64_t>(reference.ok->value))
            << raw;
        EXPECT_EQ(fast.ok->ts, reference.ok->ts) << raw;
        EXPECT_EQ(fast.ok->unit, reference.ok->unit) << raw;
        EXPECT_EQ(fast.ok->tags, reference.ok->tags) << raw;
    }
}

TEST(metric_reader, edge_cases_read_as_a_document_reads_them) {
    const std::vector<std::string> inputs{
        R"({"name":"cpu","host":"h","value":1})",
        R"({"name":"cpu","host":"h","value":-1,"ts":5,"unit":"ms","tags":{"a":"b"}})",
        R"({"name":"a","name":"cpu","host":"h","value":1})",  // the last "name" counts
        R"({"name":"cpu","name":7,"host":"h","value":1})",    // ... also to refuse it
        R"({"name":"cpu","host":"h","value":"1","value":2})", // and to accept it
        R"({"name":"cpu","host":"h","value":1,"tags":{"x":1},"tags":{"y":[1,{"z":null}]}})",
        R"({"name":"cpu","host":"h","value":1,"tags":{"x":1},"tags":"no"})",
        R"({"name":"cpu","host":"h","value":1,"tags":"no","tags":{"x":{"y":{"z":[[],{}]}}}})",
        R"({"name":"cpu","host":"h","value":1,"tags":{"k":1,"k":2,"n":{"k":1,"k":[3]}}})",
        R"({"name":"cpu","host":"h","value":1,"tags":[]})",
        R"({"name":"cpu","host":"h","value":1,"tags":null})",
        R"({"name":"cpu","host":"h","value":1,"tags":{}})",
        R"({"name":{"name":"cpu"},"host":"h","value":1})", // nested keys do not count
        R"({"x":{"name":"cpu","host":"h","value":1}})",
        R"([{"name":"cpu","host":"h","value":1}])",
        R"({"name":["cpu"],"host":"h","value":1})",
        R"({"name":"cpu","host":"h","value":true})",
        R"({"name":"cpu","host":"h","value":null})",
        R"({"name":"cpu","host":"h","value":1e300})",
        R"({"name":"cpu","host":"h","value":-1.0000001e300})",
        R"({"name":"cpu","host":"h","value":1e999})",
        R"({"name":"cpu","host":"h","value":18446744073709551615})",
        R"({"name":"cpu","host":"h","value":18446744073709551616})",
        R"({"name":"cpu","host":"h","value":-9223372036854775808})",
        R"({"name":"cpu","host":"h","value":1,"ts":0})",
        R"({"name":"cpu","host":"h","value":1,"ts":-5})",
        R"({"name":"cpu","host":"h","value":1,"ts":5.0})",
        R"({"name":"cpu","host":"h","value":1,"ts":"5"})",
        R"({"name":"cpu","host":"h","value":1,"ts":253402300799999})",
        R"({"name":"cpu","host":"h","value":1,"ts":253402300800000})",
        R"({"name":"cpu","host":"h","value":1,"ts":null})",
        R"({"name":"cpu","host":"h","value":1,"unit":null})",
        R"({"name":"cpu","host":"h","value":1,"unit":["s"]})",
        R"({"name":"  ","host":"h","value":1})",
        R"({"name":"cpu","host":"","value":1})",
        R"({"name":"cpu","host":"h"})",
        R"({"host":"h","value":1})",
        R"({"name":"cpu","value":1})",
        R"({})",
        R"("text")",
        R"(17)",
        R"(null)",
        R"()",
        R"(   )",
        R"({"name":"cpu","host":"h","value":1} )",
        R"({"name":"cpu","host":"h","value":1} {})",
        R"({"name":"cpu","host":"h","value":1}])",
        R"({"name":"cpu","host":"h","value":1,})",
        R"({"name":"cpu","host":"h","value":01})",
        R"({"name":"c\u0000pu","host":"h","value":1})",
        R"({"name":"c\ud800pu","host":"h","value":1})",
        R"({"name":"cpu","host":"h","value":1,"deep":[[[[[[[[[[1]]]]]]]]]]})",
        std::string(R"({"name":"cpu","host":"h","value":1})") + '\0',
        std::string(100, '[') + std::string(100, ']'),
        "{\"name\":\"cpu\",\"host\":\"h\",\"value\":1,\"tags\":{\"b\xff\":1}}",
    };
    for (const std::string& raw : inputs) {
        expect_same_reading(raw);
    }
}

TEST(metric_reader, every_generated_record_reads_as_a_document_reads_it) {
    // The load generator's records: valid ones, and 5% malformed in each of its ways.
    generator_options o;
    o.seed = 7;
    o.malformed_ratio = 0.05;
    metrics_generator g(o);
    int malformed = 0;
    for (int i = 0; i < 20'000; ++i) {
        const generated_record& r = g.next();
        malformed += r.malformed() ? 1 : 0;
        expect_same_reading(r.value);
    }
    EXPECT_GT(malformed, 500);
}

} // namespace
} // namespace brook::apps
