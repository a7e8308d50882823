#include "apps/smoke/smoke_topology.h"

#include <chrono>
#include <climits>
#include <cstdint>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "operators/stream_builder.h"

namespace brook::apps {
namespace {

using namespace std::chrono_literals;

// SmokeTestUtil.END: a value the driver never sends that the client filters out anyway.
constexpr int32_t end_value = INT32_MAX;

bool is_flush(const std::string& key) {
    return key == "flush";
}

// Windowed<K>.toString() in Kafka Streams: "[key@start/end]".
std::string windowed_text(const windowed<std::string>& key) {
    return fmt::format("[{}@{}/{}]", key.key, key.start, key.end);
}

// SmokeTestClient.streamify: a windowed table's updates, keyed by their text, to `topic`.
void streamify(const table<windowed<std::string>, int32_t>& windowed_table,
               const std::string& topic) {
    windowed_table.to_stream()
        .filter_not([](const windowed<std::string>& key, int32_t) { return is_flush(key.key); })
        .map([](const windowed<std::string>& key, int32_t value) {
            return key_value<std::string, int32_t>{windowed_text(key), value};
        })
        .to(topic);
}

// Drops the window from a windowed table's updates (SmokeTestUtil.Unwindow), then "flush".
template <class V>
stream<std::string, V> unwindowed(const table<windowed<std::string>, V>& windowed_table) {
    return windowed_table.to_stream()
        .select_key([](const windowed<std::string>& key, const V&) { return key.key; })
        .filter_not([](const std::string& key, const V&) { return is_flush(key); });
}

} // namespace

std::vector<std::string> smoke_topics() {
    return {"data",
            "echo",
            "min",
            "min-raw",
            "min-suppressed",
            "sws-raw",
            "sws-suppressed",
            "max",
            "sum",
            "cnt",
            "dif",
            "avg",
            "tagg"};
}

void build_smoke_topology(stream_builder& builder) {
    auto source = builder.stream<std::string, int32_t>({"data"});
    source.filter_not([](const std::string& key, int32_t) { return is_flush(key); }).to("echo");
    auto data = source.filter([](const std::string&, int32_t value) { return value != end_value; });
    auto grouped_data = data.group_by_key();

    // min: a day's minimum, raw and as final results, and per key.
    auto min_aggregation =
        grouped_data.windowed_by(time_windows::of_size_and_grace(24h, 1min))
            .aggregate([] { return INT32_MAX; },
                       [](const std::string&, int32_t value, int32_t aggregate) {
                           return value < aggregate ? value : aggregate;
                       },
                       materialized<std::string, int32_t>::as("uwin-min").with_retention(25h));
    streamify(min_aggregation, "min-raw");
    streamify(min_aggregation.suppress(suppressed::until_window_closes(buffer_config::unbounded())),
              "min-suppressed");
    unwindowed(min_aggregation).to("min");

    // sws: sums in small hopping windows, raw and as final results.
    auto small_window_sum =
        grouped_data.windowed_by(time_windows::of_size_and_grace(2s, 30s).advance_by(1s))
            .reduce([](int32_t aggregate, int32_t value) { return aggregate + value; });
    streamify(small_window_sum, "sws-raw");
    streamify(
        small_window_sum.suppress(suppressed::until_window_closes(buffer_config::unbounded())),
        "sws-suppressed");

    auto min_table = builder.table<std::string, int32_t>(
        "min", {}, materialized<std::string, int32_t>::as("minStoreName"));

    // max
    unwindowed(grouped_data.windowed_by(time_windows::of_size_with_no_grace(48h))
                   .aggregate([] { return INT32_MIN; },
                              [](const std::string&, int32_t value, int32_t aggregate) {
                                  return value > aggregate ? value : aggregate;
                              },
                              materialized<std::string, int32_t>::as("uwin-max")))
        .to("max");
    auto max_table = builder.table<std::string, int32_t>(
        "max", {}, materialized<std::string, int32_t>::as("maxStoreName"));

    // sum
    unwindowed(grouped_data.windowed_by(time_windows::of_size_with_no_grace(48h))
                   .aggregate([] { return int64_t{0}; },
                              [](const std::string&, int32_t value, int64_t aggregate) {
                                  return int64_t{value} + aggregate;
                              },
                              materialized<std::string, int64_t>::as("win-sum")))
        .to("sum");
    auto sum_table = builder.table<std::string, int64_t>("sum");

    // cnt
    unwindowed(grouped_data.windowed_by(time_windows::of_size_with_no_grace(48h))
                   .count(materialized<std::string, int64_t>::as("uwin-cnt")))
        .to("cnt");
    auto cnt_table = builder.table<std::string, int64_t>(
        "cnt", {}, materialized<std::string, int64_t>::as("cntStoreName"));

    // dif
    max_table.join(min_table, [](int32_t max, int32_t min) { return max - min; })
        .to_stream()
        .filter_not(
            [](const std::string& key, const std::optional<int32_t>&) { return is_flush(key); })
        .to("dif");

    // avg
    sum_table
        .join(cnt_table,
              [](int64_t sum, int64_t cnt) {
                  return static_cast<double>(sum) / static_cast<double>(cnt);
              })
        .to_stream()
        .filter_not(
            [](const std::string& key, const std::optional<double>&) { return is_flush(key); })
        .to("avg");

    // tagg: how many keys have each count.
    cnt_table
        .group_by([](const std::string&, int64_t cnt) {
            return key_value<std::string, int64_t>{std::to_string(cnt), 1};
        })
        .aggregate(
            [] { return int64_t{0}; },
            [](const std::string&, int64_t value, int64_t aggregate) { return aggregate + value; },
            [](const std::string&, int64_t value, int64_t aggregate) { return aggregate - value; },
            materialized<std::string, int64_t>::as("cntByCnt").in_memory())
        .to_stream()
        .to("tagg");
}

} // namespace brook::apps
