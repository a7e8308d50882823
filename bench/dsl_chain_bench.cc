// The per-record cost of a filter + map_values chain with its serdes, run through the
// topology test driver, against the same work done by hand with the same serdes, so the
// engine's overhead (source and sink nodes, typed records, forwarding, the collector) shows
// as the ratio of the two. Each iteration pipes a batch of pre-serialized records, half of
// which pass the filter, and then empties the output topic.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>

#include "engine/serde/json_serde.h"
#include "engine/serde/serdes.h"
#include "engine/testing/topology_test_driver.h"
#include "operators/stream_builder.h"

namespace brook {
namespace {

constexpr int64_t batch_size = 1000;

// One input record, already in bytes as it would come from Kafka.
struct input_bytes {
    std::string key;
    std::string value;
};

// ---- JSON values: {"id": ..., "amount_cents": ..., "country": ...} ----

std::vector<input_bytes> json_orders() {
    std::vector<input_bytes> out;
    std::string buffer;
    for (int64_t i = 0; i < batch_size; ++i) {
        const nlohmann::json order{{"id", "order-" + std::to_string(i)},
                                   {"amount_cents", (i % 2 == 0) ? 15'000 + i : 50 + i},
                                   {"country", i % 3 == 0 ? "NL" : "DE"}};
        out.push_back({"customer-" + std::to_string(i % 97),
                       std::string(*json_serde<nlohmann::json>{}.serialize(order, buffer))});
    }
    return out;
}

bool is_large_order(const nlohmann::json& order) {
    return order.at("amount_cents").get<int64_t>() >= 10'000;
}

nlohmann::json to_summary(const nlohmann::json& order) {
    return {{"id", order.at("id")},
            {"euros", static_cast<double>(order.at("amount_cents").get<int64_t>()) / 100.0},
            {"country", order.at("country")}};
}

// filter -> map_values -> to through the test driver, `inputs` piped once per iteration.
template <class V, class Filter, class Map>
void run_chain_through_the_engine(benchmark::State& state, const std::vector<input_bytes>& inputs,
                                  Filter filter, Map map) {
    stream_builder b;
    b.stream<std::string, V>({"orders"}).filter(filter).map_values(map).to("large-orders");
    topology_test_driver driver(b.build());
    auto in = driver.create_input_topic<std::string, V>("orders");
    auto out = driver.create_output_topic<std::string, V>("large-orders");
    for (auto _ : state) {
        for (const auto& r : inputs) {
            in.pipe_bytes(r.key, r.value, 1);
        }
        while (!out.is_empty()) {
            benchmark::DoNotOptimize(out.read_raw());
        }
    }
    state.SetItemsProcessed(state.iterations() * batch_size);
}

void bm_json_chain_through_the_engine(benchmark::State& state) {
    run_chain_through_the_engine<nlohmann::json>(
        state, json_orders(),
        [](const std::string&, const nlohmann::json& v) { return is_large_order(v); },
        [](const nlohmann::json& v) { return to_summary(v); });
}
BENCHMARK(bm_json_chain_through_the_engine);

void bm_json_chain_by_hand(benchmark::State& state) {
    const std::vector<input_bytes> inputs = json_orders();
    const json_serde<nlohmann::json> serde;
    std::string buffer;
    std::vector<std::pair<std::string, std::string>> written;
    for (auto _ : state) {
        for (const auto& r : inputs) {
            const nlohmann::json order = serde.deserialize(nullable_bytes(r.value));
            if (!is_large_order(order)) {
                continue;
            }
            const nullable_bytes bytes = serde.serialize(to_summary(order), buffer);
            written.emplace_back(r.key, std::string(*bytes));
        }
        benchmark::DoNotOptimize(written.data());
        written.clear();
    }
    state.SetItemsProcessed(state.iterations() * batch_size);
}
BENCHMARK(bm_json_chain_by_hand);

// ---- string values: "id,amount_cents,country", where the serdes cost next to nothing ----

std::vector<input_bytes> csv_orders() {
    std::vector<input_bytes> out;
    for (int64_t i = 0; i < batch_size; ++i) {
        const int64_t amount = (i % 2 == 0) ? 15'000 + i : 50 + i;
        out.push_back({"customer-" + std::to_string(i % 97), "order-" + std::to_string(i) + "," +
                                                                 std::to_string(amount) + "," +
                                                                 (i % 3 == 0 ? "NL" : "DE")});
    }
    return out;
}

// The amount field, between the first and second comma.
int64_t csv_amount(const std::string& v) {
    const size_t first = v.find(',');
    return std::stoll(v.substr(first + 1, v.find(',', first + 1) - first - 1));
}

std::string csv_summary(const std::string& v) {
    const size_t last = v.rfind(',');
    return v.substr(last + 1) + ":" + v.substr(0, v.find(','));
}

void bm_string_chain_through_the_engine(benchmark::State& state) {
    run_chain_through_the_engine<std::string>(
        state, csv_orders(),
        [](const std::string&, const std::string& v) { return csv_amount(v) >= 10'000; },
        [](const std::string& v) { return csv_summary(v); });
}
BENCHMARK(bm_string_chain_through_the_engine);

void bm_string_chain_by_hand(benchmark::State& state) {
    const std::vector<input_bytes> inputs = csv_orders();
    const string_serde serde;
    std::string buffer;
    std::vector<std::pair<std::string, std::string>> written;
    for (auto _ : state) {
        for (const auto& r : inputs) {
            const std::string value = serde.deserialize(nullable_bytes(r.value));
            if (csv_amount(value) < 10'000) {
                continue;
            }
            const std::string summary = csv_summary(value);
            written.emplace_back(r.key, std::string(*serde.serialize(summary, buffer)));
        }
        benchmark::DoNotOptimize(written.data());
        written.clear();
    }
    state.SetItemsProcessed(state.iterations() * batch_size);
}
BENCHMARK(bm_string_chain_by_hand);

} // namespace
} // namespace brook
