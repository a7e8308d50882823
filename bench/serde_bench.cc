// Per-record costs on the sink and source paths: hashing a key to pick its partition, and
// serializing or deserializing a key or value with a buffer reused across records, as the
// record collector does.

#include <cstdint>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>

#include "engine/serde/json_serde.h"
#include "engine/serde/partitioner.h"
#include "engine/serde/serdes.h"

namespace brook {
namespace {

struct bench_order {
    std::string id;
    int64_t amount_cents = 0;
    std::vector<std::string> items;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(bench_order, id, amount_cents, items)

void bm_murmur2_16_byte_key(benchmark::State& state) {
    const std::string key = "user-0000012345x";
    for (auto _ : state) {
        benchmark::DoNotOptimize(murmur2(key));
    }
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * key.size()));
}
BENCHMARK(bm_murmur2_16_byte_key);

void bm_default_partition_16_byte_key(benchmark::State& state) {
    const std::string key = "user-0000012345x";
    for (auto _ : state) {
        benchmark::DoNotOptimize(default_partition(key, 12));
    }
}
BENCHMARK(bm_default_partition_16_byte_key);

void bm_int64_serialize(benchmark::State& state) {
    const int64_serde serde;
    std::string buffer;
    int64_t value = 1234567890123;
    for (auto _ : state) {
        benchmark::DoNotOptimize(serde.serialize(value, buffer));
        ++value;
    }
}
BENCHMARK(bm_int64_serialize);

void bm_int64_deserialize(benchmark::State& state) {
    const int64_serde serde;
    std::string buffer;
    const nullable_bytes in = serde.serialize(int64_t{1234567890123}, buffer);
    for (auto _ : state) {
        benchmark::DoNotOptimize(serde.deserialize(in));
    }
}
BENCHMARK(bm_int64_deserialize);

void bm_string_serialize(benchmark::State& state) {
    const string_serde serde;
    std::string buffer;
    const std::string value(static_cast<std::size_t>(state.range(0)), 'v');
    for (auto _ : state) {
        benchmark::DoNotOptimize(serde.serialize(value, buffer));
    }
}
BENCHMARK(bm_string_serialize)->Arg(16)->Arg(1024);

void bm_string_deserialize(benchmark::State& state) {
    const string_serde serde;
    const std::string bytes(static_cast<std::size_t>(state.range(0)), 'v');
    for (auto _ : state) {
        benchmark::DoNotOptimize(serde.deserialize(bytes));
    }
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes.size()));
}
BENCHMARK(bm_string_deserialize)->Arg(16)->Arg(1024);

bench_order sample_order() {
    return {"order-000123", 125050, {"tea", "scone", "jam", "clotted cream"}};
}

void bm_json_serialize(benchmark::State& state) {
    const json_serde<bench_order> serde;
    std::string buffer;
    const bench_order value = sample_order();
    for (auto _ : state) {
        benchmark::DoNotOptimize(serde.serialize(value, buffer));
    }
}
BENCHMARK(bm_json_serialize);

void bm_json_deserialize(benchmark::State& state) {
    const json_serde<bench_order> serde;
    std::string buffer;
    const std::string bytes(*serde.serialize(sample_order(), buffer));
    for (auto _ : state) {
        benchmark::DoNotOptimize(serde.deserialize(bytes));
    }
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes.size()));
}
BENCHMARK(bm_json_deserialize);

} // namespace
} // namespace brook
