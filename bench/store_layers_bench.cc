// Per-operation costs of byte-level store stacks (state/store_stacks.h): put, get and a
// 100-key range scan over 10k keys, through caching -> logging -> rocksdb, logging ->
// rocksdb, rocksdb alone and in-memory alone; and a windowed count (fetch + put of one
// one-minute window per record over 10k keys) through the window stacks. The changelog
// writer does nothing, so the logging layer's own cost shows, not a producer's. Every
// 1000 operations the store is flushed, as a commit would (commit.interval.ms covers
// many more records than that in practice, so the caching figures are conservative).
// The cache budget is Kafka Streams' default, 10 MiB.

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "state/cache_budget.h"
#include "state/store_stacks.h"

namespace brook::state {
namespace {

constexpr size_t key_count = 10'000;
constexpr int64_t commit_every = 1000;
constexpr size_t cache_bytes = 10 * 1024 * 1024;

struct stack_spec {
    store_type type;
    bool caching;
    bool logging;
};

const stack_spec caching_logging_rocksdb{store_type::rocksdb, true, true};
const stack_spec logging_rocksdb{store_type::rocksdb, false, true};
const stack_spec rocksdb_only{store_type::rocksdb, false, false};
const stack_spec in_memory_only{store_type::in_memory, false, false};

class noop_changelog final : public changelog_writer {
public:
    void log(std::string_view, std::string_view, std::optional<std::string_view>,
             int64_t) override {}
};

// A temporary directory, a budget, a changelog and a clock: what a task gives its stores.
class bench_env {
public:
    bench_env() {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "brook-layers-bench-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) {
            throw std::runtime_error("mkdtemp failed for " + pattern);
        }
        _dir = pattern;
        for (size_t i = 0; i < key_count; ++i) {
            char key[16];
            std::snprintf(key, sizeof key, "key-%06zu", i);
            _keys.emplace_back(key);
        }
    }
    ~bench_env() {
        std::error_code ec;
        std::filesystem::remove_all(_dir, ec);
    }
    bench_env(const bench_env&) = delete;
    bench_env& operator=(const bench_env&) = delete;

    store_context context() {
        store_context context;
        context.directory = _dir;
        context.changelog = &_changelog;
        context.cache = &_budget;
        context.timestamp = [this] { return now; };
        return context;
    }
    const std::string& key(size_t i) const { return _keys[i % key_count]; }

    int64_t now = 0;

private:
    std::filesystem::path _dir;
    cache_budget _budget{cache_bytes};
    noop_changelog _changelog;
    std::vector<std::string> _keys;
};

std::unique_ptr<key_value_store> open_kv(bench_env& env, const stack_spec& spec) {
    auto store = make_key_value_stack("bench", spec.type, spec.caching, spec.logging);
    store->init(env.context());
    return store;
}

void fill(bench_env& env, key_value_store& store) {
    for (size_t i = 0; i < key_count; ++i) {
        store.put(env.key(i), "value-0123456789");
    }
    store.flush();
}

void bm_layer_kv_put(benchmark::State& state, stack_spec spec) {
    bench_env env;
    auto store = open_kv(env, spec);
    const std::string value = "value-0123456789";
    int64_t n = 0;
    for (auto _ : state) {
        env.now = n;
        store->put(env.key(static_cast<size_t>(n)), value);
        if (++n % commit_every == 0) {
            store->flush();
        }
    }
    store->flush();
    store->close();
    state.SetItemsProcessed(state.iterations());
}

void bm_layer_kv_get(benchmark::State& state, stack_spec spec) {
    bench_env env;
    auto store = open_kv(env, spec);
    fill(env, *store);
    size_t n = 0;
    for (auto _ : state) {
        benchmark::DoNotOptimize(store->get(env.key(n++ * 7919)));
    }
    store->close();
    state.SetItemsProcessed(state.iterations());
}

void bm_layer_kv_range_100(benchmark::State& state, stack_spec spec) {
    bench_env env;
    auto store = open_kv(env, spec);
    fill(env, *store);
    // A few dirty entries, so the caching stack has something to merge.
    for (size_t i = 0; i < key_count; i += 50) {
        store->put(env.key(i), "updated");
    }
    size_t n = 0;
    int64_t visited = 0;
    for (auto _ : state) {
        const size_t first = (n++ * 7919) % (key_count - 100);
        int left = 100;
        store->range(env.key(first), {}, [&](std::string_view, std::string_view value) {
            benchmark::DoNotOptimize(value.data());
            ++visited;
            return --left > 0;
        });
    }
    store->flush();
    store->close();
    state.SetItemsProcessed(visited);
}

BENCHMARK_CAPTURE(bm_layer_kv_put, caching_logging_rocksdb, caching_logging_rocksdb);
BENCHMARK_CAPTURE(bm_layer_kv_put, logging_rocksdb, logging_rocksdb);
BENCHMARK_CAPTURE(bm_layer_kv_put, rocksdb, rocksdb_only);
BENCHMARK_CAPTURE(bm_layer_kv_put, in_memory, in_memory_only);
BENCHMARK_CAPTURE(bm_layer_kv_get, caching_logging_rocksdb, caching_logging_rocksdb);
BENCHMARK_CAPTURE(bm_layer_kv_get, logging_rocksdb, logging_rocksdb);
BENCHMARK_CAPTURE(bm_layer_kv_get, rocksdb, rocksdb_only);
BENCHMARK_CAPTURE(bm_layer_kv_get, in_memory, in_memory_only);
BENCHMARK_CAPTURE(bm_layer_kv_range_100, caching_logging_rocksdb, caching_logging_rocksdb);
BENCHMARK_CAPTURE(bm_layer_kv_range_100, logging_rocksdb, logging_rocksdb);
BENCHMARK_CAPTURE(bm_layer_kv_range_100, rocksdb, rocksdb_only);
BENCHMARK_CAPTURE(bm_layer_kv_range_100, in_memory, in_memory_only);

// One record of a tumbling one-minute count: read the record's window, add one, write it
// back. Records arrive 1 ms apart, round-robin over 10k keys.
void bm_windowed_count(benchmark::State& state, stack_spec spec) {
    constexpr int64_t window_ms = 60'000;
    bench_env env;
    auto store = make_window_stack("bench", spec.type, /*retention_ms=*/3'600'000,
                                   /*segment_interval_ms=*/0, spec.caching, spec.logging);
    store->init(env.context());
    int64_t n = 0;
    for (auto _ : state) {
        env.now = n;
        const int64_t start = n - n % window_ms;
        const std::string& key = env.key(static_cast<size_t>(n));
        int64_t count = 0;
        if (const auto current = store->fetch(key, start); current && current->size() == 8) {
            std::memcpy(&count, current->data(), sizeof count);
        }
        ++count;
        char bytes[sizeof count];
        std::memcpy(bytes, &count, sizeof count);
        store->put(key, std::string_view(bytes, sizeof bytes), start);
        if (++n % commit_every == 0) {
            store->flush();
        }
    }
    store->flush();
    store->close();
    state.SetItemsProcessed(state.iterations());
}

BENCHMARK_CAPTURE(bm_windowed_count, caching_logging_rocksdb, caching_logging_rocksdb);
BENCHMARK_CAPTURE(bm_windowed_count, logging_rocksdb, logging_rocksdb);

} // namespace
} // namespace brook::state
