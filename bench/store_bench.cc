// Store bottoms: per-operation costs of the RocksDB and in-memory stores (put, get, range
// scan; window put and fetch) and restore throughput (restore_batch of 100k records in
// batches of 1000, then end_restore's flush). RocksDB stores share one environment with
// the production defaults (64 MiB block cache, 64 MiB write buffers) and live in a
// temporary directory under /tmp, so the figures depend on that file system.

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "state/in_memory_key_value_store.h"
#include "state/in_memory_window_store.h"
#include "state/key_encoding.h"
#include "state/rocksdb_environment.h"
#include "state/rocksdb_key_value_store.h"
#include "state/rocksdb_window_store.h"

namespace {

using namespace brook::state;

enum class store_kind { rocksdb, in_memory };

constexpr int prefilled_keys = 100'000;
constexpr size_t value_bytes = 100;

// A temporary directory, removed with its contents at scope exit.
class bench_dir {
public:
    bench_dir() {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "brook-store-bench-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) {
            throw std::runtime_error("mkdtemp failed for " + pattern);
        }
        _path = pattern;
    }
    ~bench_dir() {
        std::error_code ec;
        std::filesystem::remove_all(_path, ec);
    }
    bench_dir(const bench_dir&) = delete;
    bench_dir& operator=(const bench_dir&) = delete;
    const std::filesystem::path& path() const { return _path; }

private:
    std::filesystem::path _path;
};

rocksdb_environment& environment() {
    static rocksdb_environment env{rocksdb_environment::settings{}};
    return env;
}

store_context context_for(const bench_dir& dir) {
    store_context context;
    context.directory = dir.path();
    context.rocksdb = &environment();
    return context;
}

std::unique_ptr<key_value_store> make_kv(store_kind kind, const bench_dir& dir) {
    std::unique_ptr<key_value_store> store;
    if (kind == store_kind::rocksdb) {
        store = std::make_unique<rocksdb_key_value_store>("bench");
    } else {
        store = std::make_unique<in_memory_key_value_store>("bench");
    }
    store->init(context_for(dir));
    return store;
}

std::unique_ptr<window_store> make_window(store_kind kind, const bench_dir& dir) {
    constexpr int64_t retention_ms = 600'000;
    std::unique_ptr<window_store> store;
    if (kind == store_kind::rocksdb) {
        store = std::make_unique<rocksdb_window_store>("bench", retention_ms);
    } else {
        store = std::make_unique<in_memory_window_store>("bench", retention_ms);
    }
    store->init(context_for(dir));
    return store;
}

std::string key_of(int i) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "key-%08d", i);
    return buf;
}

std::vector<std::string> make_keys(int count) {
    std::vector<std::string> keys;
    keys.reserve(count);
    for (int i = 0; i < count; ++i) {
        keys.push_back(key_of(i));
    }
    return keys;
}

// Indices into `count` keys in a fixed random order, so reads miss the CPU caches the way
// a stream of distinct keys would.
std::vector<int> random_order(int count) {
    std::vector<int> order(count);
    for (int i = 0; i < count; ++i) {
        order[i] = i;
    }
    std::shuffle(order.begin(), order.end(), std::mt19937(42));
    return order;
}

void prefill(key_value_store& store, const std::vector<std::string>& keys) {
    const std::string value(value_bytes, 'v');
    for (const auto& k : keys) {
        store.put(k, value);
    }
    store.restore_target().end_restore(); // RocksDB: into SST files, as after a restart
}

void BM_store_put(benchmark::State& state, store_kind kind) {
    bench_dir dir;
    auto store = make_kv(kind, dir);
    const auto keys = make_keys(prefilled_keys);
    const auto order = random_order(prefilled_keys);
    const std::string value(value_bytes, 'v');
    size_t i = 0;
    for (auto _ : state) {
        store->put(keys[order[i++ % order.size()]], value);
    }
    state.SetItemsProcessed(state.iterations());
    store->close();
}

void BM_store_get(benchmark::State& state, store_kind kind) {
    bench_dir dir;
    auto store = make_kv(kind, dir);
    const auto keys = make_keys(prefilled_keys);
    prefill(*store, keys);
    const auto order = random_order(prefilled_keys);
    size_t i = 0;
    for (auto _ : state) {
        auto value = store->get(keys[order[i++ % order.size()]]);
        benchmark::DoNotOptimize(value);
    }
    state.SetItemsProcessed(state.iterations());
    store->close();
}

// A scan of 100 consecutive keys from a random start: the cost per visited entry.
void BM_store_range(benchmark::State& state, store_kind kind) {
    constexpr int scan_length = 100;
    bench_dir dir;
    auto store = make_kv(kind, dir);
    const auto keys = make_keys(prefilled_keys);
    prefill(*store, keys);
    const auto order = random_order(prefilled_keys - scan_length);
    size_t i = 0;
    int64_t visited = 0;
    for (auto _ : state) {
        const int first = order[i++ % order.size()];
        store->range(keys[first], keys[first + scan_length],
                     [&](std::string_view k, std::string_view v) {
                         benchmark::DoNotOptimize(k.data());
                         benchmark::DoNotOptimize(v.data());
                         ++visited;
                         return true;
                     });
    }
    state.SetItemsProcessed(visited);
    store->close();
}

// 1000 keys, stream time moving 10 ms per put: segments roll over and expire as in a
// tumbling-window aggregation.
void BM_window_store_put(benchmark::State& state, store_kind kind) {
    constexpr int key_count = 1000;
    bench_dir dir;
    auto store = make_window(kind, dir);
    const auto keys = make_keys(key_count);
    const std::string value(value_bytes, 'v');
    int64_t i = 0;
    for (auto _ : state) {
        store->put(keys[i % key_count], value, (i / 10) * 100);
        ++i;
    }
    state.SetItemsProcessed(state.iterations());
    store->close();
}

// 1000 keys x 100 windows each (starts 1 s apart); each fetch reads 11 windows of one key.
void BM_window_store_fetch(benchmark::State& state, store_kind kind) {
    constexpr int key_count = 1000;
    constexpr int windows_per_key = 100;
    bench_dir dir;
    auto store = make_window(kind, dir);
    const auto keys = make_keys(key_count);
    const std::string value(value_bytes, 'v');
    for (int w = 0; w < windows_per_key; ++w) {
        for (const auto& k : keys) {
            store->put(k, value, w * 1000);
        }
    }
    store->restore_target().end_restore();
    const auto order = random_order(key_count);
    std::mt19937 rng(7);
    std::uniform_int_distribution<int> first_window(0, windows_per_key - 11);
    size_t i = 0;
    int64_t visited = 0;
    for (auto _ : state) {
        const int64_t from = first_window(rng) * 1000;
        store->fetch(keys[order[i++ % order.size()]], from, from + 10'000,
                     [&](int64_t start, std::string_view v) {
                         benchmark::DoNotOptimize(start);
                         benchmark::DoNotOptimize(v.data());
                         ++visited;
                         return true;
                     });
    }
    state.SetItemsProcessed(visited);
    store->close();
}

// Restore of 100k records in batches of 1000 into a fresh store, including end_restore's
// flush to disk: records per second is the restore throughput.
void BM_store_restore(benchmark::State& state, store_kind kind) {
    constexpr int records = 100'000;
    constexpr int batch_size = 1000;
    const auto keys = make_keys(records);
    const std::string value(value_bytes, 'v');
    std::vector<changelog_entry> entries;
    entries.reserve(records);
    for (const auto& k : keys) {
        entries.push_back({k, value});
    }
    const std::span<const changelog_entry> all(entries);
    for (auto _ : state) {
        state.PauseTiming();
        auto dir = std::make_unique<bench_dir>();
        auto store = make_kv(kind, *dir);
        state.ResumeTiming();
        auto& target = store->restore_target();
        target.begin_restore();
        for (size_t at = 0; at < all.size(); at += batch_size) {
            target.restore_batch(all.subspan(at, batch_size));
        }
        target.end_restore();
        target.write_checkpoint(records);
        state.PauseTiming();
        store->close();
        store.reset();
        dir.reset();
        state.ResumeTiming();
    }
    state.SetItemsProcessed(state.iterations() * records);
    state.SetBytesProcessed(state.iterations() * records * (keys[0].size() + value_bytes));
}

// The same for a window store: encoded window keys routed to their segments.
void BM_window_store_restore(benchmark::State& state, store_kind kind) {
    constexpr int records = 100'000;
    constexpr int batch_size = 1000;
    const std::string value(value_bytes, 'v');
    std::vector<std::string> keys;
    keys.reserve(records);
    for (int i = 0; i < records; ++i) {
        keys.push_back(encode_window_key(key_of(i % 1000), (i / 1000) * 1000));
    }
    std::vector<changelog_entry> entries;
    entries.reserve(records);
    for (const auto& k : keys) {
        entries.push_back({k, value});
    }
    const std::span<const changelog_entry> all(entries);
    for (auto _ : state) {
        state.PauseTiming();
        auto dir = std::make_unique<bench_dir>();
        auto store = make_window(kind, *dir);
        state.ResumeTiming();
        auto& target = store->restore_target();
        target.begin_restore();
        for (size_t at = 0; at < all.size(); at += batch_size) {
            target.restore_batch(all.subspan(at, batch_size));
        }
        target.end_restore();
        state.PauseTiming();
        store->close();
        store.reset();
        dir.reset();
        state.ResumeTiming();
    }
    state.SetItemsProcessed(state.iterations() * records);
}

BENCHMARK_CAPTURE(BM_store_put, rocksdb, store_kind::rocksdb);
BENCHMARK_CAPTURE(BM_store_put, in_memory, store_kind::in_memory);
BENCHMARK_CAPTURE(BM_store_get, rocksdb, store_kind::rocksdb);
BENCHMARK_CAPTURE(BM_store_get, in_memory, store_kind::in_memory);
BENCHMARK_CAPTURE(BM_store_range, rocksdb, store_kind::rocksdb);
BENCHMARK_CAPTURE(BM_store_range, in_memory, store_kind::in_memory);
BENCHMARK_CAPTURE(BM_window_store_put, rocksdb, store_kind::rocksdb);
BENCHMARK_CAPTURE(BM_window_store_put, in_memory, store_kind::in_memory);
BENCHMARK_CAPTURE(BM_window_store_fetch, rocksdb, store_kind::rocksdb);
BENCHMARK_CAPTURE(BM_window_store_fetch, in_memory, store_kind::in_memory);
BENCHMARK_CAPTURE(BM_store_restore, rocksdb, store_kind::rocksdb)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_store_restore, in_memory, store_kind::in_memory)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_window_store_restore, rocksdb, store_kind::rocksdb)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_window_store_restore, in_memory, store_kind::in_memory)
    ->Unit(benchmark::kMillisecond);

} // namespace
