// The caching and change-logging store layers: what they add on top of a bottom store
// (de-duplication between flushes, eviction under a shared budget, merged scans, changelog
// records with the bottom's keys), and the store contract run over every layered stack.

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "state/cache_budget.h"
#include "state/caching_key_value_store.h"
#include "state/caching_session_store.h"
#include "state/caching_window_store.h"
#include "state/encoded_key_buffer.h"
#include "state/in_memory_key_value_store.h"
#include "state/in_memory_session_store.h"
#include "state/in_memory_window_store.h"
#include "state/key_encoding.h"
#include "state/logging_key_value_store.h"
#include "state/logging_session_store.h"
#include "state/logging_window_store.h"
#include "state/rocksdb_key_value_store.h"
#include "state/rocksdb_window_store.h"
#include "state/store_cache.h"
#include "state/store_stacks.h"
#include "tests/unit/store_contract.h"

namespace {

using namespace brook::state;
using brook::contract::recording_changelog;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

// One call of the cache flush listener.
struct flushed {
    std::string key;
    std::optional<std::string> value;
    int64_t timestamp;
    bool operator==(const flushed&) const = default;
    friend void PrintTo(const flushed& f, std::ostream* os) {
        *os << f.key << "=" << (f.value ? *f.value : "<deleted>") << "@" << f.timestamp;
    }
};

// A temporary directory for RocksDB bottoms, removed at the end of the test.
class temp_dir {
public:
    temp_dir() {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "brook-store-layers-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) {
            throw std::runtime_error("mkdtemp failed for " + pattern);
        }
        _path = pattern;
    }
    ~temp_dir() {
        std::error_code ec;
        std::filesystem::remove_all(_path, ec);
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
    const std::filesystem::path& path() const { return _path; }

private:
    std::filesystem::path _path;
};

// What every layer test shares: a changelog, a budget, a clock and a listener log.
class layer_test : public ::testing::Test {
protected:
    store_context context(cache_budget* cache) {
        store_context context;
        context.directory = _dir.path();
        context.changelog = &_changelog;
        context.cache = cache;
        context.timestamp = [this] { return _now; };
        return context;
    }

    // caching -> logging -> in-memory session stack with an hour's retention, opened on
    // `budget` and reporting flushes to listener().
    std::unique_ptr<caching_session_store> open_session_stack(cache_budget& budget) {
        auto store = std::make_unique<caching_session_store>(
            std::make_unique<logging_session_store>(
                std::make_unique<in_memory_session_store>("sessions", 3'600'000, 0)),
            0);
        store->init(context(&budget));
        EXPECT_TRUE(store->set_cache_flush_listener(listener()));
        return store;
    }

    cache_flush_listener listener() {
        return
            [this](std::string_view key, std::optional<std::string_view> value, int64_t timestamp) {
                _flushed.push_back({std::string(key),
                                    value ? std::optional<std::string>(*value) : std::nullopt,
                                    timestamp});
            };
    }

    std::vector<std::string> logged_keys() const {
        std::vector<std::string> keys;
        for (const auto& entry : _changelog.entries()) {
            keys.push_back(entry.key);
        }
        return keys;
    }

    std::vector<std::string> flushed_keys() const {
        std::vector<std::string> keys;
        for (const auto& f : _flushed) {
            keys.push_back(f.key);
        }
        return keys;
    }

    static std::vector<std::pair<std::string, std::string>>
    scan(key_value_store& store, std::string_view from, std::string_view to) {
        std::vector<std::pair<std::string, std::string>> out;
        store.range(from, to, [&](std::string_view k, std::string_view v) {
            out.emplace_back(k, v);
            return true;
        });
        return out;
    }

    // caching -> logging -> in-memory key-value stack, opened.
    std::unique_ptr<caching_key_value_store> open_cached_kv(cache_budget& budget,
                                                            std::string name = "store") {
        auto store =
            std::make_unique<caching_key_value_store>(std::make_unique<logging_key_value_store>(
                std::make_unique<in_memory_key_value_store>(std::move(name))));
        store->init(context(&budget));
        return store;
    }

    // The bytes one cached entry of this key and value costs (measured, not assumed).
    static size_t entry_cost(std::string_view key, std::string_view value) {
        cache_budget budget(1 << 20);
        store_cache cache(budget, [](auto, auto, auto) {});
        cache.write(key, value, 0);
        return budget.used();
    }

    temp_dir _dir;
    recording_changelog _changelog;
    std::vector<flushed> _flushed;
    int64_t _now = 0;
};

// ---------------------------------------------------------------------------------------
// caching key-value layer

using caching_layer = layer_test;

TEST_F(caching_layer, many_updates_of_one_key_between_flushes_write_down_once) {
    cache_budget budget(1 << 20);
    auto store = open_cached_kv(budget);
    ASSERT_TRUE(store->set_cache_flush_listener(listener()));

    for (int i = 1; i <= 1000; ++i) {
        _now = i;
        store->put("k", std::to_string(i));
    }
    EXPECT_TRUE(_changelog.entries().empty()) << "nothing may reach the changelog before flush";
    EXPECT_TRUE(_flushed.empty());
    EXPECT_EQ(store->get("k"), "1000");

    store->flush();
    ASSERT_EQ(_changelog.entries().size(), 1u);
    EXPECT_EQ(_changelog.entries()[0].key, "k");
    EXPECT_EQ(_changelog.entries()[0].value, "1000");
    EXPECT_EQ(_changelog.entries()[0].timestamp, 1000);
    EXPECT_THAT(_flushed, ElementsAre(flushed{"k", "1000", 1000}));

    // A second flush with nothing dirty writes nothing.
    store->flush();
    EXPECT_EQ(_changelog.entries().size(), 1u);
    EXPECT_EQ(_flushed.size(), 1u);
}

TEST_F(caching_layer, flush_writes_down_in_the_order_entries_were_first_dirtied) {
    cache_budget budget(1 << 20);
    auto store = open_cached_kv(budget);
    store->set_cache_flush_listener(listener());
    store->put("b", "1");
    store->put("a", "1");
    store->put("c", "1");
    store->put("b", "2");
    store->remove("a");
    store->flush();
    EXPECT_THAT(logged_keys(), ElementsAre("b", "a", "c"));
    EXPECT_THAT(_flushed, ElementsAre(flushed{"b", "2", 0}, flushed{"a", std::nullopt, 0},
                                      flushed{"c", "1", 0}));
    EXPECT_EQ(_changelog.entries()[1].value, std::nullopt) << "a remove is logged as a tombstone";
}

TEST_F(caching_layer, listener_gets_the_timestamp_of_the_last_write) {
    cache_budget budget(1 << 20);
    auto store = open_cached_kv(budget);
    store->set_cache_flush_listener(listener());
    _now = 5;
    store->put("k", "a");
    _now = 9;
    store->put("k", "b");
    _now = 100;
    store->flush();
    EXPECT_THAT(_flushed, ElementsAre(flushed{"k", "b", 9}));
    EXPECT_EQ(_changelog.entries().at(0).timestamp, 9);
}

TEST_F(caching_layer, evicts_the_least_recently_used_entry_when_over_budget) {
    const size_t cost = entry_cost("k1", "v");
    cache_budget budget(3 * cost);
    auto store = open_cached_kv(budget);
    store->set_cache_flush_listener(listener());
    _now = 1;
    store->put("k1", "v");
    _now = 2;
    store->put("k2", "v");
    _now = 3;
    store->put("k3", "v");
    EXPECT_TRUE(_changelog.entries().empty());

    // Reading k1 makes k2 the least recently used.
    EXPECT_EQ(store->get("k1"), "v");
    _now = 4;
    store->put("k4", "v");
    EXPECT_THAT(logged_keys(), ElementsAre("k2"));
    EXPECT_THAT(_flushed, ElementsAre(flushed{"k2", "v", 2}));
    EXPECT_LE(budget.used(), budget.max_bytes());

    _now = 5;
    store->put("k5", "v");
    EXPECT_THAT(logged_keys(), ElementsAre("k2", "k3"));

    // Evicted entries are still readable from below; the rest flush in first-dirtied order.
    EXPECT_EQ(store->get("k2"), "v");
    store->flush();
    EXPECT_THAT(logged_keys(), ElementsAre("k2", "k3", "k1", "k4", "k5"));
}

TEST_F(caching_layer, heavy_eviction_between_flushes_keeps_every_write_in_order) {
    const size_t cost = entry_cost("k0000", "v");
    cache_budget budget(3 * cost);
    auto store = open_cached_kv(budget);
    std::vector<std::string> expected;
    for (int i = 0; i < 1000; ++i) {
        char key[8];
        std::snprintf(key, sizeof key, "k%04d", i);
        store->put(key, "v");
        expected.emplace_back(key);
    }
    EXPECT_EQ(_changelog.entries().size(), 997u) << "all but the three newest were evicted";
    store->flush();
    EXPECT_EQ(logged_keys(), expected);
    EXPECT_LE(budget.used(), budget.max_bytes());
}

TEST_F(caching_layer, clean_entries_are_dropped_on_eviction_without_a_write) {
    const size_t cost = entry_cost("k1", "v");
    cache_budget budget(2 * cost);
    auto store = open_cached_kv(budget);
    store->set_cache_flush_listener(listener());
    store->put("k1", "v");
    store->put("k2", "v");
    store->put("k3", "v");
    store->flush();
    ASSERT_EQ(_changelog.entries().size(), 3u);

    // Reads fill the cache with clean entries; pushing them out writes nothing.
    for (const char* key : {"k1", "k2", "k3", "k1", "k2", "k3"}) {
        EXPECT_EQ(store->get(key), "v") << key;
    }
    store->flush();
    EXPECT_EQ(_changelog.entries().size(), 3u);
    EXPECT_EQ(_flushed.size(), 3u);
    EXPECT_LE(budget.used(), budget.max_bytes());
}

TEST_F(caching_layer, stores_share_one_budget_and_each_evicts_only_its_own_entries) {
    const size_t cost = entry_cost("k1", "v");
    cache_budget budget(4 * cost);
    auto first = open_cached_kv(budget, "first");
    auto second = open_cached_kv(budget, "second");
    first->put("k1", "v");
    first->put("k2", "v");
    first->put("k3", "v");
    EXPECT_EQ(budget.used(), 3 * cost);

    second->put("k1", "v");
    EXPECT_TRUE(_changelog.entries().empty());
    second->put("k2", "v");
    ASSERT_EQ(_changelog.entries().size(), 1u);
    EXPECT_EQ(_changelog.entries()[0].store, "second");
    EXPECT_EQ(_changelog.entries()[0].key, "k1");
    EXPECT_EQ(budget.used(), 4 * cost);

    // Closing a store gives its bytes back (and writes nothing down).
    first->close();
    EXPECT_EQ(budget.used(), cost);
    EXPECT_EQ(_changelog.entries().size(), 1u);
    second->close();
    EXPECT_EQ(budget.used(), 0u);
}

TEST_F(caching_layer, a_pending_delete_hides_the_inner_entry_from_reads_and_scans) {
    cache_budget budget(1 << 20);
    auto store = open_cached_kv(budget);
    store->put("a", "1");
    store->put("b", "2");
    store->put("c", "3");
    store->flush();

    store->remove("b");
    EXPECT_EQ(store->get("b"), std::nullopt);
    EXPECT_THAT(scan(*store, "", ""), ElementsAre(Pair("a", "1"), Pair("c", "3")));
    std::vector<std::string> prefixed;
    store->prefix_scan("b", [&](std::string_view k, std::string_view) {
        prefixed.emplace_back(k);
        return true;
    });
    EXPECT_TRUE(prefixed.empty());
    EXPECT_EQ(store->approximate_size(), 2u);

    // The flush writes the tombstone down and drops the entry, releasing its bytes.
    const size_t used = budget.used();
    store->flush();
    EXPECT_LT(budget.used(), used);
    EXPECT_EQ(_changelog.entries().back().key, "b");
    EXPECT_EQ(_changelog.entries().back().value, std::nullopt);
    EXPECT_THAT(scan(*store, "", ""), ElementsAre(Pair("a", "1"), Pair("c", "3")));
}

TEST_F(caching_layer, range_scans_merge_cache_and_inner_store_in_key_order) {
    cache_budget budget(1 << 20);
    auto store = open_cached_kv(budget);
    for (const char* key : {"a", "c", "e", "g"}) {
        store->put(key, "old");
    }
    store->flush();
    store->put("b", "new");
    store->put("c", "new");
    store->put("f", "new");
    store->put("h", "new");
    store->remove("g");

    EXPECT_THAT(scan(*store, "", ""),
                ElementsAre(Pair("a", "old"), Pair("b", "new"), Pair("c", "new"), Pair("e", "old"),
                            Pair("f", "new"), Pair("h", "new")));
    EXPECT_THAT(scan(*store, "b", "f"),
                ElementsAre(Pair("b", "new"), Pair("c", "new"), Pair("e", "old")));
    EXPECT_THAT(scan(*store, "d", ""),
                ElementsAre(Pair("e", "old"), Pair("f", "new"), Pair("h", "new")));

    // The visitor can stop the merged scan, wherever the next entry would come from.
    std::vector<std::string> seen;
    store->all([&](std::string_view k, std::string_view) {
        seen.emplace_back(k);
        return seen.size() < 3;
    });
    EXPECT_THAT(seen, ElementsAre("a", "b", "c"));
    EXPECT_EQ(store->approximate_size(), 6u);
    EXPECT_TRUE(_changelog.entries().size() == 4u) << "scans must not flush";
}

TEST_F(caching_layer, prefix_scans_merge_cache_and_inner_store) {
    cache_budget budget(1 << 20);
    auto store = open_cached_kv(budget);
    store->put("ab", "old");
    store->put("ad", "old");
    store->put("b", "old");
    store->flush();
    store->put("ac", "new");
    store->put("a\xff", "new");
    store->put("c", "new");
    std::vector<std::pair<std::string, std::string>> out;
    store->prefix_scan("a", [&](std::string_view k, std::string_view v) {
        out.emplace_back(k, v);
        return true;
    });
    EXPECT_THAT(out, ElementsAre(Pair("ab", "old"), Pair("ac", "new"), Pair("ad", "old"),
                                 Pair("a\xff", "new")));
}

TEST_F(caching_layer, a_zero_budget_passes_every_write_straight_through) {
    cache_budget budget(0);
    auto store = open_cached_kv(budget);
    EXPECT_FALSE(store->caching());
    EXPECT_FALSE(store->set_cache_flush_listener(listener()))
        << "without caching the caller must forward updates itself";
    store->put("k", "1");
    store->put("k", "2");
    store->remove("k");
    EXPECT_EQ(_changelog.entries().size(), 3u);
    EXPECT_EQ(budget.used(), 0u);
    EXPECT_TRUE(_flushed.empty());
}

TEST_F(caching_layer, no_budget_in_the_context_passes_every_write_straight_through) {
    auto store =
        std::make_unique<caching_key_value_store>(std::make_unique<logging_key_value_store>(
            std::make_unique<in_memory_key_value_store>("s")));
    store->init(context(nullptr));
    EXPECT_FALSE(store->caching());
    store->put("k", "1");
    EXPECT_EQ(_changelog.entries().size(), 1u);
}

TEST_F(caching_layer, close_without_flush_writes_nothing_down) {
    cache_budget budget(1 << 20);
    {
        auto store =
            std::make_unique<caching_key_value_store>(std::make_unique<logging_key_value_store>(
                std::make_unique<rocksdb_key_value_store>("store")));
        store->init(context(&budget));
        store->set_cache_flush_listener(listener());
        store->put("committed", "1");
        store->flush();
        store->put("uncommitted", "2");
        store->remove("committed");
        store->close();
        store->close(); // idempotent
    }
    EXPECT_EQ(budget.used(), 0u);
    EXPECT_THAT(logged_keys(), ElementsAre("committed"));
    EXPECT_EQ(_flushed.size(), 1u);

    rocksdb_key_value_store reopened("store");
    reopened.init(context(nullptr));
    EXPECT_EQ(reopened.get("committed"), "1");
    EXPECT_EQ(reopened.get("uncommitted"), std::nullopt);
}

TEST_F(caching_layer, delegates_persistence_logging_and_restore_target_to_the_bottom) {
    auto stack = make_key_value_stack("store", store_type::rocksdb, true, true);
    stack->init(context(nullptr));
    EXPECT_TRUE(stack->persistent());
    EXPECT_TRUE(stack->logged());
    auto* bottom = dynamic_cast<rocksdb_key_value_store*>(&stack->restore_target());
    ASSERT_NE(bottom, nullptr) << "restore must write into the bottom";

    auto unlogged = make_key_value_stack("other", store_type::in_memory, true, false);
    unlogged->init(context(nullptr));
    EXPECT_FALSE(unlogged->persistent());
    EXPECT_FALSE(unlogged->logged());
}

TEST(store_cache_layer, key_after_prefix_is_the_exclusive_bound_of_a_prefix_scan) {
    EXPECT_EQ(key_after_prefix("ab"), "ac");
    EXPECT_EQ(key_after_prefix(std::string("a\xff\xff", 3)), "b");
    EXPECT_EQ(key_after_prefix(std::string("\xff\xff", 2)), "");
    EXPECT_EQ(key_after_prefix(""), "");
}

TEST(store_cache_layer, encoded_key_buffer_matches_key_encoding) {
    encoded_key_buffer buffer;
    EXPECT_EQ(buffer.window("key", 42), encode_window_key("key", 42));
    EXPECT_EQ(buffer.session("key", 3, 7), encode_session_key("key", 3, 7));
    EXPECT_EQ(buffer.prefix("k"), encode_key_prefix("k"));
    EXPECT_THROW(buffer.window("key", -1), std::invalid_argument);
}

// ---------------------------------------------------------------------------------------
// caching window and session layers

TEST_F(caching_layer, window_updates_write_down_once_under_the_encoded_window_key) {
    cache_budget budget(1 << 20);
    auto store = std::make_unique<caching_window_store>(
        std::make_unique<logging_window_store>(
            std::make_unique<in_memory_window_store>("windows", 3'600'000, 0)),
        0);
    store->init(context(&budget));
    ASSERT_TRUE(store->set_cache_flush_listener(listener()));
    for (int i = 1; i <= 100; ++i) {
        _now = 1000 + i;
        const auto count = store->fetch("user", 1000);
        store->put("user", std::to_string(count ? std::stoi(*count) + 1 : 1), 1000);
    }
    EXPECT_TRUE(_changelog.entries().empty());
    EXPECT_EQ(store->observed_stream_time(), 1000);
    store->flush();
    const std::string key = encode_window_key("user", 1000);
    EXPECT_THAT(_flushed, ElementsAre(flushed{key, "100", 1100}));
    ASSERT_EQ(_changelog.entries().size(), 1u);
    EXPECT_EQ(_changelog.entries()[0].key, key);
    EXPECT_EQ(_changelog.entries()[0].value, "100");
}

TEST_F(caching_layer, window_fetch_merges_cache_and_inner_store) {
    cache_budget budget(1 << 20);
    auto store = std::make_unique<caching_window_store>(
        std::make_unique<in_memory_window_store>("windows", 3'600'000, 0), 0);
    store->init(context(&budget));
    store->put("k", std::string_view("old"), 0);
    store->put("k", std::string_view("old"), 20);
    store->put("k", std::string_view("old"), 40);
    store->put("other", std::string_view("x"), 10);
    store->flush();
    store->put("k", std::string_view("new"), 10);
    store->put("k", std::string_view("new"), 20);
    store->put("k", std::nullopt, 40);
    store->put("k", std::string_view("new"), 50);

    std::vector<std::pair<int64_t, std::string>> out;
    store->fetch("k", 0, 50, [&](int64_t start, std::string_view value) {
        out.emplace_back(start, value);
        return true;
    });
    EXPECT_THAT(out,
                ElementsAre(Pair(0, "old"), Pair(10, "new"), Pair(20, "new"), Pair(50, "new")));
    out.clear();
    store->fetch("k", 10, 40, [&](int64_t start, std::string_view value) {
        out.emplace_back(start, value);
        return true;
    });
    EXPECT_THAT(out, ElementsAre(Pair(10, "new"), Pair(20, "new")));

    // fetch_all writes down first, then reads the inner store.
    std::vector<std::string> all;
    store->fetch_all(0, 100, [&](std::string_view key, int64_t start, std::string_view value) {
        all.push_back(std::string(key) + "@" + std::to_string(start) + "=" + std::string(value));
        return true;
    });
    EXPECT_THAT(all, ::testing::UnorderedElementsAre("k@0=old", "k@10=new", "k@20=new", "k@50=new",
                                                     "other@10=x"));
}

TEST_F(caching_layer, window_puts_into_expired_segments_are_ignored_even_before_write_down) {
    cache_budget budget(1 << 20);
    // Retention 100 ms, segments of 50 ms.
    auto store = std::make_unique<caching_window_store>(
        std::make_unique<logging_window_store>(
            std::make_unique<in_memory_window_store>("windows", 100, 50)),
        50);
    store->init(context(&budget));
    store->set_cache_flush_listener(listener());
    store->put("k", std::string_view("early"), 0);
    store->put("k", std::string_view("late"), 1000);
    EXPECT_EQ(store->observed_stream_time(), 1000);
    // Segment 0 expired when stream time reached 1000, as it would have in the bottom.
    EXPECT_EQ(store->fetch("k", 0), std::nullopt);
    store->put("k", std::string_view("too late"), 10);
    EXPECT_EQ(store->expired_puts(), 1u);
    EXPECT_EQ(store->fetch("k", 10), std::nullopt);

    store->flush();
    // The listener still hears of the accepted update to window 0; the changelog does not,
    // because the bottom could never hold it.
    EXPECT_THAT(flushed_keys(),
                ElementsAre(encode_window_key("k", 0), encode_window_key("k", 1000)));
    EXPECT_THAT(logged_keys(), ElementsAre(encode_window_key("k", 1000)));
}

// An emit-on-close aggregation removes a window as it emits it, and the record that closed
// it then puts a window far ahead, in the same commit: by the flush, the removed window's
// segment has expired. The removal must still reach the changelog, or a restore (which
// expires nothing before its task has a stream time) brings the emitted window back, and
// the aggregation emits it a second time.
TEST_F(caching_layer, a_window_removed_before_its_segment_expires_in_the_same_commit_is_logged) {
    cache_budget budget(1 << 20);
    // Retention 100 ms, segments of 50 ms.
    auto store = std::make_unique<caching_window_store>(
        std::make_unique<logging_window_store>(
            std::make_unique<in_memory_window_store>("windows", 100, 50)),
        50);
    store->init(context(&budget));
    store->put("k", std::string_view("closed"), 0);
    store->flush();
    store->put("k", std::nullopt, 0);                     // emitted and removed ...
    store->put("k", std::string_view("far ahead"), 1000); // ... then segment 0 expires
    store->flush();
    ASSERT_THAT(logged_keys(), ElementsAre(encode_window_key("k", 0), encode_window_key("k", 0),
                                           encode_window_key("k", 1000)));
    EXPECT_EQ(_changelog.entries()[1].value, std::nullopt);

    // A restore into a task that has no stream time yet expires nothing, so only the
    // tombstone keeps the window away.
    store_context restoring = context(nullptr);
    restoring.stream_time = [] { return int64_t{-1}; };
    in_memory_window_store restored("windows", 100, 50);
    restored.init(restoring);
    std::vector<changelog_entry> batch;
    for (const auto& entry : _changelog.entries()) {
        batch.push_back({entry.key, entry.value ? std::optional<std::string_view>(*entry.value)
                                                : std::nullopt});
    }
    restored.restore_batch(batch);
    EXPECT_EQ(restored.fetch("k", 0), std::nullopt) << "an emitted window came back";
    EXPECT_EQ(restored.fetch("k", 1000), "far ahead");

    // A removal into an already expired segment is logged too (sessions alike).
    store->put("k", std::nullopt, 10);
    store->flush();
    EXPECT_EQ(logged_keys().back(), encode_window_key("k", 10));
    auto sessions = std::make_unique<caching_session_store>(
        std::make_unique<logging_session_store>(
            std::make_unique<in_memory_session_store>("sessions", 100, 50)),
        50);
    sessions->init(context(&budget));
    sessions->put("k", 0, 10, std::string_view("closed"));
    sessions->flush();
    sessions->put("k", 0, 10, std::nullopt);
    sessions->put("k", 900, 1000, std::string_view("far ahead"));
    sessions->flush();
    const std::vector<std::string> logged = logged_keys();
    EXPECT_THAT(std::vector<std::string>(logged.end() - 3, logged.end()),
                ElementsAre(encode_session_key("k", 0, 10), encode_session_key("k", 0, 10),
                            encode_session_key("k", 900, 1000)));
}

TEST_F(caching_layer, session_find_sessions_merges_cache_and_inner_store) {
    cache_budget budget(1 << 20);
    auto store = open_session_stack(budget);
    store->put("k", 0, 10, std::string_view("old"));
    store->put("k", 20, 30, std::string_view("old"));
    store->put("k", 100, 200, std::string_view("old"));
    store->flush();
    EXPECT_EQ(_changelog.entries().size(), 3u);

    // Merge [0, 10] and [20, 30] into [0, 30], as a session aggregator would.
    store->put("k", 0, 10, std::nullopt);
    store->put("k", 20, 30, std::nullopt);
    store->put("k", 0, 30, std::string_view("merged"));
    store->put("k", 5, 15, std::string_view("new")); // ends before [0, 30]

    std::vector<std::string> out;
    store->find_sessions("k", 0, 150, [&](int64_t start, int64_t end, std::string_view value) {
        out.push_back(std::to_string(start) + "-" + std::to_string(end) + "=" + std::string(value));
        return true;
    });
    EXPECT_THAT(out, ElementsAre("5-15=new", "0-30=merged", "100-200=old"));
    out.clear();
    store->find_sessions("k", 20, 50, [&](int64_t start, int64_t end, std::string_view value) {
        out.push_back(std::to_string(start) + "-" + std::to_string(end) + "=" + std::string(value));
        return true;
    });
    EXPECT_THAT(out, ElementsAre("0-30=merged"));
    EXPECT_EQ(store->fetch("k", 0, 10), std::nullopt);

    store->flush();
    EXPECT_THAT(logged_keys(),
                ElementsAre(encode_session_key("k", 0, 10), encode_session_key("k", 20, 30),
                            encode_session_key("k", 100, 200), encode_session_key("k", 0, 10),
                            encode_session_key("k", 20, 30), encode_session_key("k", 0, 30),
                            encode_session_key("k", 5, 15)));
    EXPECT_EQ(_flushed.size(), 7u);
    EXPECT_THROW(store->put("k", 5, 4, std::string_view("x")), std::invalid_argument);
}

// A bidder's session grows with each bid: the aggregator puts [0, t] and removes the
// session it replaces. A session put and removed between two flushes, never below, goes
// nowhere: no changelog record, no flush-listener call (so no tombstone downstream for a
// session never emitted) and no tombstone in the store below. One that did reach the
// store below still gets its tombstone.
TEST_F(caching_layer, a_session_removed_before_it_was_ever_flushed_leaves_no_tombstone) {
    cache_budget budget(1 << 20);
    auto store = open_session_stack(budget);
    store->put("k", 0, 10, std::string_view("1"));
    store->flush(); // [0, 10] is below now
    store->put("k", 0, 10, std::nullopt);
    store->put("k", 0, 20, std::string_view("2"));
    store->put("k", 0, 20, std::nullopt);
    store->put("k", 0, 30, std::string_view("3"));
    store->put("k", 0, 30, std::nullopt);
    store->put("k", 0, 40, std::string_view("4"));
    store->flush();
    EXPECT_THAT(logged_keys(),
                ElementsAre(encode_session_key("k", 0, 10), encode_session_key("k", 0, 10),
                            encode_session_key("k", 0, 40)));
    EXPECT_EQ(_flushed, (std::vector<flushed>{{encode_session_key("k", 0, 10), "1", 0},
                                              {encode_session_key("k", 0, 10), std::nullopt, 0},
                                              {encode_session_key("k", 0, 40), "4", 0}}));

    // A flushed session that is removed keeps its tombstone, even when removed twice.
    store->put("k", 0, 40, std::nullopt);
    store->put("k", 0, 40, std::nullopt);
    store->flush();
    EXPECT_EQ(logged_keys().back(), encode_session_key("k", 0, 40));
    EXPECT_EQ(logged_keys().size(), 4u);
    std::vector<std::string> left;
    store->find_sessions("k", 0, 1000, [&](int64_t start, int64_t end, std::string_view) {
        left.push_back(std::to_string(start) + "-" + std::to_string(end));
        return true;
    });
    EXPECT_TRUE(left.empty());
}

// The cache may have forgotten that a session went below (evicted), and then see it written
// and removed again: it asks the store below, which has it, so the tombstone goes down.
TEST_F(caching_layer, a_session_evicted_then_written_and_removed_again_gets_its_tombstone) {
    cache_budget budget(600); // a few entries
    auto store = open_session_stack(budget);
    store->put("k", 0, 40, std::string_view("below"));
    store->flush();
    for (int i = 0; i < 20; ++i) { // push [0, 40] out of the cache
        store->put("other-" + std::to_string(i), 0, 40, std::string_view("x"));
    }
    store->flush();
    const size_t logged_before = logged_keys().size();
    _flushed.clear();
    store->put("k", 0, 40, std::string_view("again"));
    store->put("k", 0, 40, std::nullopt);
    store->flush();
    ASSERT_EQ(logged_keys().size(), logged_before + 1);
    EXPECT_EQ(logged_keys().back(), encode_session_key("k", 0, 40));
    EXPECT_EQ(_flushed, (std::vector<flushed>{{encode_session_key("k", 0, 40), std::nullopt, 0}}));
    EXPECT_EQ(store->fetch("k", 0, 40), std::nullopt);
}

// ---------------------------------------------------------------------------------------
// change-logging layers

using logging_layer = layer_test;

TEST_F(logging_layer, logs_every_put_and_a_tombstone_for_every_remove) {
    logging_key_value_store store(std::make_unique<in_memory_key_value_store>("store"));
    store.init(context(nullptr));
    EXPECT_TRUE(store.logged());
    EXPECT_FALSE(store.set_cache_flush_listener(listener()));
    _now = 7;
    store.put("k", "1");
    _now = 8;
    store.put("k", "2");
    _now = 9;
    store.remove("k");
    ASSERT_EQ(_changelog.entries().size(), 3u);
    EXPECT_EQ(_changelog.entries()[0].store, "store");
    EXPECT_EQ(_changelog.entries()[1].value, "2");
    EXPECT_EQ(_changelog.entries()[1].timestamp, 8);
    EXPECT_EQ(_changelog.entries()[2].key, "k");
    EXPECT_EQ(_changelog.entries()[2].value, std::nullopt);
    EXPECT_EQ(_changelog.entries()[2].timestamp, 9);
    EXPECT_EQ(store.get("k"), std::nullopt);
}

TEST_F(logging_layer, logs_window_puts_under_the_bottoms_own_key_so_restore_can_replay_them) {
    logging_window_store store(std::make_unique<rocksdb_window_store>("windows", 3'600'000, 0));
    store.init(context(nullptr));
    store.put("user", std::string_view("3"), 60'000);
    store.put("user", std::nullopt, 0);
    ASSERT_EQ(_changelog.entries().size(), 2u);
    EXPECT_EQ(_changelog.entries()[0].key, encode_window_key("user", 60'000));
    EXPECT_EQ(_changelog.entries()[1].key, encode_window_key("user", 0));
    EXPECT_EQ(_changelog.entries()[1].value, std::nullopt);

    // Replaying the changelog into a fresh bottom gives back the window.
    in_memory_window_store restored("windows", 3'600'000, 0);
    std::vector<changelog_entry> batch;
    for (const auto& entry : _changelog.entries()) {
        batch.push_back({entry.key, entry.value ? std::optional<std::string_view>(*entry.value)
                                                : std::nullopt});
    }
    restored.restore_batch(batch);
    EXPECT_EQ(restored.fetch("user", 60'000), "3");
}

TEST_F(logging_layer, logs_session_puts_under_the_bottoms_own_key) {
    logging_session_store store(std::make_unique<in_memory_session_store>("s", 3'600'000, 0));
    store.init(context(nullptr));
    _now = 33;
    store.put("user", 10, 20, std::string_view("v"));
    store.put("user", 10, 20, std::nullopt);
    ASSERT_EQ(_changelog.entries().size(), 2u);
    EXPECT_EQ(_changelog.entries()[0].key, encode_session_key("user", 10, 20));
    EXPECT_EQ(_changelog.entries()[0].value, "v");
    EXPECT_EQ(_changelog.entries()[0].timestamp, 33);
    EXPECT_EQ(_changelog.entries()[1].value, std::nullopt);
}

TEST_F(logging_layer, does_not_log_window_or_session_puts_into_expired_segments) {
    logging_window_store windows(std::make_unique<in_memory_window_store>("w", 100, 50));
    windows.init(context(nullptr));
    windows.put("k", std::string_view("v"), 1000);
    windows.put("k", std::string_view("late"), 0);
    EXPECT_EQ(windows.expired_puts(), 1u);

    logging_session_store sessions(std::make_unique<in_memory_session_store>("s", 100, 50));
    sessions.init(context(nullptr));
    sessions.put("k", 900, 1000, std::string_view("v"));
    sessions.put("k", 0, 10, std::string_view("late"));
    EXPECT_EQ(sessions.expired_puts(), 1u);

    EXPECT_THAT(logged_keys(),
                ElementsAre(encode_window_key("k", 1000), encode_session_key("k", 900, 1000)));
}

TEST_F(logging_layer, refuses_to_open_without_a_changelog_writer) {
    store_context no_changelog = context(nullptr);
    no_changelog.changelog = nullptr;
    logging_key_value_store kv(std::make_unique<in_memory_key_value_store>("counts"));
    try {
        kv.init(no_changelog);
        FAIL() << "init without a changelog writer must throw";
    } catch (const state_error& e) {
        EXPECT_THAT(e.what(), HasSubstr("store counts logs a changelog but the task gave it no "
                                        "changelog writer"));
    }
    logging_window_store windows(std::make_unique<in_memory_window_store>("w", 100, 0));
    EXPECT_THROW(windows.init(no_changelog), state_error);
    logging_session_store sessions(std::make_unique<in_memory_session_store>("s", 100, 0));
    EXPECT_THROW(sessions.init(no_changelog), state_error);

    // The layer above a logging layer does not hide the error.
    auto stack = make_window_stack("w", store_type::in_memory, 100, 0, true, true);
    EXPECT_THROW(stack->init(no_changelog), state_error);
}

TEST_F(logging_layer, refuses_to_open_without_a_timestamp_function) {
    store_context no_clock = context(nullptr);
    no_clock.timestamp = nullptr;
    logging_key_value_store kv(std::make_unique<in_memory_key_value_store>("counts"));
    EXPECT_THROW(kv.init(no_clock), state_error);
}

// ---------------------------------------------------------------------------------------
// The store contract over every layered stack.

using brook::contract::kv_store_param;
using brook::contract::param_label;
using brook::contract::session_store_param;
using brook::contract::window_store_param;

// Small enough that the contract's tests run through eviction too.
constexpr size_t contract_cache_bytes = 2048;

kv_store_param kv_stack(std::string label, store_type type, bool caching, bool logging) {
    return {std::move(label),
            [=](const std::filesystem::path&) {
                return make_key_value_stack("store", type, caching, logging);
            },
            type == store_type::rocksdb, caching ? contract_cache_bytes : 0};
}

window_store_param window_stack(std::string label, store_type type, bool caching, bool logging) {
    return {std::move(label),
            [=](const std::filesystem::path&, int64_t retention_ms, int64_t segment_interval_ms) {
                return make_window_stack("store", type, retention_ms, segment_interval_ms, caching,
                                         logging);
            },
            type == store_type::rocksdb, caching ? contract_cache_bytes : 0};
}

session_store_param session_stack(std::string label, store_type type, bool caching, bool logging) {
    return {std::move(label),
            [=](const std::filesystem::path&, int64_t retention_ms, int64_t segment_interval_ms) {
                return make_session_stack("store", type, retention_ms, segment_interval_ms, caching,
                                          logging);
            },
            type == store_type::rocksdb, caching ? contract_cache_bytes : 0};
}

} // namespace

namespace brook::contract {

INSTANTIATE_TEST_SUITE_P(
    layers, kv_store_contract,
    ::testing::Values(kv_stack("caching_logging_rocksdb", state::store_type::rocksdb, true, true),
                      kv_stack("caching_logging_in_memory", state::store_type::in_memory, true,
                               true),
                      kv_stack("logging_rocksdb", state::store_type::rocksdb, false, true),
                      kv_stack("caching_rocksdb", state::store_type::rocksdb, true, false)),
    param_label{});

INSTANTIATE_TEST_SUITE_P(
    layers, window_store_contract,
    ::testing::Values(
        window_stack("caching_logging_rocksdb", state::store_type::rocksdb, true, true),
        window_stack("caching_logging_in_memory", state::store_type::in_memory, true, true),
        window_stack("logging_rocksdb", state::store_type::rocksdb, false, true),
        window_stack("caching_rocksdb", state::store_type::rocksdb, true, false)),
    param_label{});

INSTANTIATE_TEST_SUITE_P(
    layers, session_store_contract,
    ::testing::Values(
        session_stack("caching_logging_rocksdb", state::store_type::rocksdb, true, true),
        session_stack("caching_logging_in_memory", state::store_type::in_memory, true, true),
        session_stack("logging_rocksdb", state::store_type::rocksdb, false, true),
        session_stack("caching_rocksdb", state::store_type::rocksdb, true, false)),
    param_label{});

} // namespace brook::contract
