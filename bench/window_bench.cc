// Windowed count updates through the topology test driver, on RocksDB: a tumbling
// one-minute count over 100 keys, emitting on window update, with the store's cache off
// (every update reaches RocksDB, the changelog and the output) and on (updates of a key
// between commits are merged in memory; a commit, here after each batch of 1000 records,
// writes each dirty window once). Items/s is input records per second. Each iteration
// pipes a batch of pre-serialized records with advancing timestamps (10 ms apart, so
// windows roll over as in a live stream), commits, and empties the output and changelog
// topics.

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "engine/serde/serdes.h"
#include "engine/testing/topology_test_driver.h"
#include "operators/stream_builder.h"

namespace brook {
namespace {

using namespace std::chrono_literals;

constexpr int64_t batch_size = 1000;
constexpr int64_t key_count = 100;

void drain(topology_test_driver& driver, const std::string& topic) {
    while (driver.unread(topic) > 0) {
        benchmark::DoNotOptimize(driver.take(topic));
    }
}

void bm_tumbling_count_on_rocksdb(benchmark::State& state) {
    const bool caching = state.range(0) != 0;
    stream_builder b;
    b.stream<std::string, std::string>({"clicks"})
        .group_by_key()
        .windowed_by(time_windows::of_size_with_no_grace(1min))
        .count(materialized<std::string, int64_t>::as("counts"))
        .to_stream()
        .to("counts-per-minute");
    std::map<std::string, std::string> config{{"application.id", "bench"}};
    if (!caching) {
        config["statestore.cache.max.bytes"] = "0";
    }
    topology_test_driver driver(b.build(), config);
    driver.set_auto_commit(false);

    std::vector<std::string> keys;
    for (int64_t k = 0; k < key_count; ++k) {
        keys.push_back("user-" + std::to_string(k));
    }
    const std::string value = "click";
    int64_t timestamp = 0;
    for (auto _ : state) {
        for (int64_t i = 0; i < batch_size; ++i) {
            driver.pipe_raw("clicks", keys[static_cast<size_t>(i % key_count)], value, timestamp,
                            {});
            timestamp += 10;
        }
        driver.commit();
        drain(driver, "counts-per-minute");
        drain(driver, "bench-counts-changelog");
    }
    state.SetItemsProcessed(state.iterations() * batch_size);
    state.SetLabel(caching ? "caching on" : "caching off");
}
BENCHMARK(bm_tumbling_count_on_rocksdb)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

} // namespace
} // namespace brook
