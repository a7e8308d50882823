// prometheus_writer: the text exposition format 0.0.4 it writes, its escaping, and the
// misuse it refuses before a scrape would fail on it.

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include <gtest/gtest.h>

#include "ops/prometheus_text.h"

namespace brook::apps {
namespace {

TEST(prometheus_writer, writes_help_type_and_labelled_samples_in_the_text_format) {
    prometheus_writer w;
    w.family("brook_records_consumed_total", prometheus_type::counter, "Records read.");
    w.sample("brook_records_consumed_total", {{"topic", "orders"}}, 42);
    w.sample("brook_records_consumed_total", {{"topic", "payments"}}, uint64_t{7});
    w.family("brook_consumer_lag", prometheus_type::gauge, "Lag.");
    w.sample("brook_consumer_lag", {{"topic", "orders"}, {"partition", "3"}}, int64_t{-1});
    EXPECT_EQ(w.text(), "# HELP brook_records_consumed_total Records read.\n"
                        "# TYPE brook_records_consumed_total counter\n"
                        "brook_records_consumed_total{topic=\"orders\"} 42\n"
                        "brook_records_consumed_total{topic=\"payments\"} 7\n"
                        "# HELP brook_consumer_lag Lag.\n"
                        "# TYPE brook_consumer_lag gauge\n"
                        "brook_consumer_lag{topic=\"orders\",partition=\"3\"} -1\n");
}

TEST(prometheus_writer, a_summary_takes_count_and_sum_samples) {
    prometheus_writer w;
    w.family("brook_process_latency_seconds", prometheus_type::summary, "Latency.");
    w.sample("brook_process_latency_seconds_count", {}, 3);
    w.sample("brook_process_latency_seconds_sum", {}, 0.25);
    w.sample("brook_process_latency_seconds", {{"quantile", "0.5"}}, 0.1);
    EXPECT_EQ(w.text(), "# HELP brook_process_latency_seconds Latency.\n"
                        "# TYPE brook_process_latency_seconds summary\n"
                        "brook_process_latency_seconds_count 3\n"
                        "brook_process_latency_seconds_sum 0.25\n"
                        "brook_process_latency_seconds{quantile=\"0.5\"} 0.1\n");
    EXPECT_THROW(w.sample("brook_process_latency_seconds_bucket", {}, 1), std::invalid_argument);
}

TEST(prometheus_writer, label_values_escape_backslash_quote_and_newline) {
    EXPECT_EQ(prometheus_writer::escape_label_value("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
    prometheus_writer w;
    w.family("m", prometheus_type::gauge, "");
    w.sample("m", {{"v", "C:\\dir \"x\"\nnext"}}, 1);
    EXPECT_NE(w.text().find("m{v=\"C:\\\\dir \\\"x\\\"\\nnext\"} 1\n"), std::string::npos)
        << w.text();
}

TEST(prometheus_writer, help_text_escapes_backslash_and_newline_but_not_quotes) {
    prometheus_writer w;
    w.family("m", prometheus_type::counter, "line one\nsays \"a\\b\"");
    EXPECT_EQ(w.text(), "# HELP m line one\\nsays \"a\\\\b\"\n# TYPE m counter\n");
}

TEST(prometheus_writer, values_are_exact_integers_and_shortest_round_trip_doubles) {
    EXPECT_EQ(prometheus_value(std::numeric_limits<uint64_t>::max()).str(), "18446744073709551615");
    EXPECT_EQ(prometheus_value(std::numeric_limits<int64_t>::min()).str(), "-9223372036854775808");
    EXPECT_EQ(prometheus_value(0.1).str(), "0.1");
    EXPECT_EQ(prometheus_value(1e-7).str(), "1e-07");
    EXPECT_EQ(prometheus_value(std::nan("")).str(), "NaN");
    EXPECT_EQ(prometheus_value(std::numeric_limits<double>::infinity()).str(), "+Inf");
    EXPECT_EQ(prometheus_value(-std::numeric_limits<double>::infinity()).str(), "-Inf");
    EXPECT_EQ(std::stod(prometheus_value(1.0 / 3).str()), 1.0 / 3);
}

TEST(prometheus_writer, metric_and_label_names_are_validated) {
    EXPECT_TRUE(prometheus_writer::valid_metric_name("brook_x:rate_total"));
    EXPECT_TRUE(prometheus_writer::valid_metric_name("_x"));
    EXPECT_FALSE(prometheus_writer::valid_metric_name(""));
    EXPECT_FALSE(prometheus_writer::valid_metric_name("1x"));
    EXPECT_FALSE(prometheus_writer::valid_metric_name("brook-x"));
    EXPECT_FALSE(prometheus_writer::valid_metric_name("brook x"));
    EXPECT_TRUE(prometheus_writer::valid_label_name("topic"));
    EXPECT_FALSE(prometheus_writer::valid_label_name("__name__"));
    EXPECT_FALSE(prometheus_writer::valid_label_name("a:b"));
    EXPECT_FALSE(prometheus_writer::valid_label_name("9a"));

    prometheus_writer w;
    EXPECT_THROW(w.family("bad-name", prometheus_type::gauge, ""), std::invalid_argument);
    w.family("ok", prometheus_type::gauge, "");
    EXPECT_THROW(w.sample("ok", {{"bad-label", "v"}}, 1), std::invalid_argument);
    EXPECT_THROW(w.sample("ok", {{"a", "1"}, {"a", "2"}}, 1), std::invalid_argument);
}

TEST(prometheus_writer, refuses_samples_outside_their_family_and_repeated_series) {
    prometheus_writer w;
    EXPECT_THROW(w.sample("orphan", {}, 1), std::invalid_argument);
    w.family("a_total", prometheus_type::counter, "");
    EXPECT_THROW(w.sample("b_total", {}, 1), std::invalid_argument);
    EXPECT_THROW(w.sample("a_total_sum", {}, 1), std::invalid_argument); // counters have none
    w.sample("a_total", {{"topic", "t"}}, 1);
    EXPECT_THROW(w.sample("a_total", {{"topic", "t"}}, 2), std::invalid_argument);
    EXPECT_THROW(w.family("a_total", prometheus_type::counter, ""), std::invalid_argument);
    // What was written before a refused call stays as it was.
    EXPECT_EQ(w.text(), "# HELP a_total\n# TYPE a_total counter\na_total{topic=\"t\"} 1\n");
}

TEST(prometheus_writer, merge_appends_another_writer_unless_a_family_repeats) {
    prometheus_writer a;
    a.single("x", prometheus_type::gauge, "X.", 1);
    prometheus_writer b;
    b.single("y", prometheus_type::gauge, "Y.", 2);
    a.merge(std::move(b));
    EXPECT_EQ(a.text(), "# HELP x X.\n# TYPE x gauge\nx 1\n# HELP y Y.\n# TYPE y gauge\ny 2\n");

    prometheus_writer c;
    c.single("y", prometheus_type::gauge, "Y again.", 3);
    EXPECT_THROW(a.merge(std::move(c)), std::invalid_argument);
    EXPECT_EQ(a.text().find("Y again"), std::string::npos);
    EXPECT_THROW(a.family("x", prometheus_type::gauge, ""), std::invalid_argument);
}

TEST(prometheus_writer, take_returns_the_text_and_starts_over) {
    prometheus_writer w;
    w.single("x", prometheus_type::untyped, "", 1.5);
    EXPECT_EQ(w.take(), "# HELP x\n# TYPE x untyped\nx 1.5\n");
    EXPECT_EQ(w.text(), "");
    w.single("x", prometheus_type::untyped, "", 2); // the family may be written again
}

} // namespace
} // namespace brook::apps
