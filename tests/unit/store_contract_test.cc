// The store contract (store_contract.h), run here over the bottoms: RocksDB and in-memory
// key-value, window and session stores. Layered stacks are instantiated elsewhere
// (store_layers_test.cc) over the same TEST_Ps.

#include <algorithm>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "state/in_memory_key_value_store.h"
#include "state/in_memory_session_store.h"
#include "state/in_memory_window_store.h"
#include "state/key_encoding.h"
#include "state/rocksdb_key_value_store.h"
#include "state/rocksdb_session_store.h"
#include "state/rocksdb_window_store.h"
#include "tests/unit/store_contract.h"

namespace brook::contract {
namespace {

using state::changelog_entry;
using kv_pairs = std::vector<std::pair<std::string, std::string>>;
using window_list = std::vector<std::pair<int64_t, std::string>>;

std::string bytes(std::initializer_list<int> values) {
    std::string out;
    for (int v : values) {
        out.push_back(static_cast<char>(v));
    }
    return out;
}

// ---------------------------------------------------------------------------------------
// key-value stores

TEST_P(kv_store_contract, get_returns_nothing_for_a_key_never_put) {
    EXPECT_EQ(store().get("missing"), std::nullopt);
}

TEST_P(kv_store_contract, put_then_get_returns_the_value) {
    store().put("k", "v");
    EXPECT_EQ(store().get("k"), "v");
}

TEST_P(kv_store_contract, put_overwrites_the_previous_value) {
    store().put("k", "first");
    store().put("k", "second");
    EXPECT_EQ(store().get("k"), "second");
    EXPECT_EQ(all_entries(), (kv_pairs{{"k", "second"}}));
}

TEST_P(kv_store_contract, an_empty_value_is_a_value_and_not_a_missing_key) {
    store().put("k", "");
    EXPECT_EQ(store().get("k"), std::string());
}

TEST_P(kv_store_contract, remove_deletes_the_key_and_removing_a_missing_key_is_harmless) {
    store().put("k", "v");
    store().put("other", "w");
    store().remove("k");
    store().remove("never-there");
    EXPECT_EQ(store().get("k"), std::nullopt);
    EXPECT_EQ(all_entries(), (kv_pairs{{"other", "w"}}));
}

TEST_P(kv_store_contract, range_visits_keys_from_inclusive_to_exclusive_in_order) {
    for (const char* k : {"d", "a", "c", "b", "e"}) {
        store().put(k, std::string("v") + k);
    }
    kv_pairs seen;
    store().range("b", "d", [&](std::string_view k, std::string_view v) {
        seen.emplace_back(k, v);
        return true;
    });
    EXPECT_EQ(seen, (kv_pairs{{"b", "vb"}, {"c", "vc"}}));
}

TEST_P(kv_store_contract, range_with_an_empty_to_has_no_upper_bound) {
    for (const char* k : {"a", "b", "c"}) {
        store().put(k, "v");
    }
    std::vector<std::string> seen;
    store().range("b", "", [&](std::string_view k, std::string_view) {
        seen.emplace_back(k);
        return true;
    });
    EXPECT_EQ(seen, (std::vector<std::string>{"b", "c"}));
}

TEST_P(kv_store_contract, range_whose_to_is_not_after_from_visits_nothing) {
    store().put("a", "v");
    store().put("b", "v");
    int visits = 0;
    const auto count = [&](std::string_view, std::string_view) { return ++visits, true; };
    store().range("b", "b", count);
    store().range("b", "a", count);
    EXPECT_EQ(visits, 0);
}

TEST_P(kv_store_contract, reverse_range_visits_the_same_keys_backwards) {
    for (const char* k : {"d", "a", "c", "b", "e"}) {
        store().put(k, std::string("v") + k);
    }
    store().put(std::string("c\xff", 2), "vcff");
    store().put(std::string("c\0", 2), "vc0");
    kv_pairs seen;
    const auto keep = [&](std::string_view k, std::string_view v) {
        seen.emplace_back(k, v);
        return true;
    };
    store().reverse_range("b", "d", keep);
    EXPECT_EQ(seen, (kv_pairs{{std::string("c\xff", 2), "vcff"},
                              {std::string("c\0", 2), "vc0"},
                              {"c", "vc"},
                              {"b", "vb"}}));
    seen.clear();
    store().reverse_range("d", "", keep);
    EXPECT_EQ(seen, (kv_pairs{{"e", "ve"}, {"d", "vd"}})) << "an empty to has no upper bound";
    seen.clear();
    store().reverse_range("b", "b", keep);
    store().reverse_range("c", "a", keep);
    EXPECT_TRUE(seen.empty());
    int visits = 0;
    store().reverse_range("", "", [&](std::string_view, std::string_view) { return ++visits < 2; });
    EXPECT_EQ(visits, 2) << "the visitor stops the scan by returning false";
}

TEST_P(kv_store_contract, all_visits_every_entry_in_key_order) {
    store().put("b", "2");
    store().put("a", "1");
    store().put("c", "3");
    EXPECT_EQ(all_entries(), (kv_pairs{{"a", "1"}, {"b", "2"}, {"c", "3"}}));
}

TEST_P(kv_store_contract, prefix_scan_visits_exactly_the_keys_that_start_with_the_prefix) {
    for (const char* k : {"a", "ab", "abc", "abd", "ac", "b", "aa"}) {
        store().put(k, "v");
    }
    std::vector<std::string> seen;
    store().prefix_scan("ab", [&](std::string_view k, std::string_view) {
        seen.emplace_back(k);
        return true;
    });
    EXPECT_EQ(seen, (std::vector<std::string>{"ab", "abc", "abd"}));
}

TEST_P(kv_store_contract, prefix_scan_handles_prefixes_ending_in_ff_bytes) {
    const std::string prefix = bytes({'a', 0xff});
    const std::vector<std::string> inside{prefix, prefix + bytes({0x00}), prefix + bytes({0xff}),
                                          prefix + bytes({0xff, 0xff, 0x01})};
    const std::vector<std::string> outside{"a", bytes({'a', 0xfe, 0xff}), "b", bytes({0xff, 0xff})};
    for (const auto& k : outside) {
        store().put(k, "out");
    }
    for (const auto& k : inside) {
        store().put(k, "in");
    }
    std::vector<std::string> seen;
    store().prefix_scan(prefix, [&](std::string_view k, std::string_view v) {
        EXPECT_EQ(v, "in");
        seen.emplace_back(k);
        return true;
    });
    EXPECT_EQ(seen, inside);

    std::vector<std::string> all_ff;
    store().prefix_scan(bytes({0xff}), [&](std::string_view k, std::string_view) {
        all_ff.emplace_back(k);
        return true;
    });
    EXPECT_EQ(all_ff, (std::vector<std::string>{bytes({0xff, 0xff})}));
}

TEST_P(kv_store_contract, binary_keys_with_zero_and_ff_bytes_round_trip_and_sort_as_unsigned) {
    const std::string zero = bytes({0x00});
    const std::string zero_zero = bytes({0x00, 0x00});
    const std::string low = bytes({0x01, 0x00, 0x02});
    const std::string high = bytes({0x7f});
    const std::string highest = bytes({0x80});
    const std::string ff = bytes({0xff, 0x00, 0xff});
    for (const auto& k : {ff, highest, low, zero_zero, high, zero}) {
        store().put(k, k + "-value");
    }
    EXPECT_EQ(store().get(ff), ff + "-value");
    EXPECT_EQ(store().get(zero), zero + "-value");
    std::vector<std::string> keys;
    for (const auto& [k, v] : all_entries()) {
        keys.push_back(k);
    }
    // 0x80 and 0xff sort after 0x7f: bytes compare unsigned, as in RocksDB.
    EXPECT_EQ(keys, (std::vector<std::string>{zero, zero_zero, low, high, highest, ff}));
}

TEST_P(kv_store_contract, the_visitor_stops_the_scan_by_returning_false) {
    for (const char* k : {"a", "b", "c", "d"}) {
        store().put(k, "v");
    }
    std::vector<std::string> seen;
    store().range("", "", [&](std::string_view k, std::string_view) {
        seen.emplace_back(k);
        return seen.size() < 2;
    });
    EXPECT_EQ(seen, (std::vector<std::string>{"a", "b"}));
    seen.clear();
    store().prefix_scan("", [&](std::string_view k, std::string_view) {
        seen.emplace_back(k);
        return false;
    });
    EXPECT_EQ(seen, (std::vector<std::string>{"a"}));
}

TEST_P(kv_store_contract, approximate_size_grows_with_the_number_of_keys) {
    for (int i = 0; i < 100; ++i) {
        store().put("key-" + std::to_string(i), "v");
    }
    store().flush();
    EXPECT_GE(store().approximate_size(), 50u);
    EXPECT_LE(store().approximate_size(), 200u);
}

TEST_P(kv_store_contract, a_large_value_round_trips) {
    const std::string big(1 << 20, 'x');
    store().put("big", big);
    EXPECT_EQ(store().get("big"), big);
}

TEST_P(kv_store_contract, flush_and_close_twice_are_harmless) {
    store().put("k", "v");
    store().flush();
    store().flush();
    EXPECT_EQ(store().get("k"), "v");
    store().close();
    store().close();
}

TEST_P(kv_store_contract, restore_batch_applies_puts_and_deletes_in_order) {
    auto& target = store().restore_target();
    const std::vector<changelog_entry> first{
        {"a", "1"}, {"b", "2"}, {"c", "3"}, {"a", "1bis"}, {"b", std::nullopt}};
    const std::vector<changelog_entry> second{{"d", "4"}, {"c", std::nullopt}, {"e", ""}};
    target.begin_restore();
    target.restore_batch(first);
    target.restore_batch(second);
    target.end_restore();
    EXPECT_EQ(all_entries(), (kv_pairs{{"a", "1bis"}, {"d", "4"}, {"e", ""}}));
}

TEST_P(kv_store_contract, a_checkpoint_written_is_read_back_by_persistent_stores_only) {
    auto& target = store().restore_target();
    EXPECT_EQ(target.checkpoint(), std::nullopt);
    target.write_checkpoint(42);
    target.write_checkpoint(1'234'567'890'123);
    if (persistent()) {
        EXPECT_EQ(target.checkpoint(), 1'234'567'890'123);
    } else {
        EXPECT_EQ(target.checkpoint(), std::nullopt);
    }
}

TEST_P(kv_store_contract, a_reopened_persistent_store_keeps_its_data_and_checkpoint) {
    if (!persistent()) {
        GTEST_SKIP() << "in-memory stores start empty by design";
    }
    store().put("kept", "1");
    store().put("gone", "2");
    store().remove("gone");
    auto& target = store().restore_target();
    target.begin_restore();
    const std::vector<changelog_entry> batch{{"restored", "3"}};
    target.restore_batch(batch);
    target.end_restore();
    target.write_checkpoint(77);

    reopen();
    EXPECT_EQ(store().get("kept"), "1");
    EXPECT_EQ(store().get("gone"), std::nullopt);
    EXPECT_EQ(store().get("restored"), "3");
    EXPECT_EQ(store().restore_target().checkpoint(), 77);
}

// The runtime wipes right after init(), before restoring from scratch: the data to drop
// came from an earlier life of the store (here: a restore), never through the layers above.
TEST_P(kv_store_contract, wipe_drops_every_record_and_the_checkpoint_and_the_store_stays_usable) {
    auto& target = store().restore_target();
    const std::vector<changelog_entry> batch{{"a", "1"}, {"b", "2"}};
    target.restore_batch(batch);
    target.write_checkpoint(10);
    if (persistent()) {
        reopen();
    }
    store().restore_target().wipe();
    EXPECT_EQ(store().get("a"), std::nullopt);
    EXPECT_EQ(store().get("b"), std::nullopt);
    EXPECT_EQ(all_entries(), kv_pairs{});
    EXPECT_EQ(store().restore_target().checkpoint(), std::nullopt);
    store().put("c", "3");
    EXPECT_EQ(store().get("c"), "3");
    if (persistent()) {
        reopen();
        EXPECT_EQ(all_entries(), (kv_pairs{{"c", "3"}}));
        EXPECT_EQ(store().restore_target().checkpoint(), std::nullopt);
    }
}

TEST_P(kv_store_contract, a_bottom_without_a_cache_refuses_a_flush_listener_only_when_uncached) {
    const bool registered = store().set_cache_flush_listener(
        [](std::string_view, std::optional<std::string_view>, int64_t) {});
    if (GetParam().cache_bytes == 0) {
        EXPECT_FALSE(registered);
    }
    EXPECT_EQ(store().name(), "store");
}

// ---------------------------------------------------------------------------------------
// window stores

TEST_P(window_store_contract, fetch_returns_the_value_put_for_a_key_and_window_start) {
    store().put("k", "v", 1000);
    EXPECT_EQ(store().fetch("k", 1000), "v");
    EXPECT_EQ(store().fetch("k", 1001), std::nullopt);
    EXPECT_EQ(store().fetch("other", 1000), std::nullopt);
}

TEST_P(window_store_contract, a_put_overwrites_the_same_window_and_no_value_removes_it) {
    store().put("k", "first", 1000);
    store().put("k", "second", 1000);
    EXPECT_EQ(store().fetch("k", 1000), "second");
    store().put("k", std::nullopt, 1000);
    EXPECT_EQ(store().fetch("k", 1000), std::nullopt);
    EXPECT_EQ(windows("k", 0, 10'000), window_list{});
}

TEST_P(window_store_contract, fetch_over_a_time_range_includes_both_bounds) {
    for (int64_t start : {0, 10, 20, 30}) {
        store().put("k", "w" + std::to_string(start), start);
    }
    EXPECT_EQ(windows("k", 10, 20), (window_list{{10, "w10"}, {20, "w20"}}));
    EXPECT_EQ(windows("k", 11, 19), window_list{});
    EXPECT_EQ(windows("k", 30, 30), (window_list{{30, "w30"}}));
    EXPECT_EQ(windows("k", 20, 10), window_list{});
}

TEST_P(window_store_contract, one_keys_windows_come_back_oldest_first_across_segments) {
    open(/*retention_ms=*/100'000, /*segment_interval_ms=*/100);
    for (int64_t start : {550, 50, 250, 150, 99, 100}) {
        store().put("k", std::to_string(start), start);
    }
    EXPECT_EQ(windows("k", 0, 1000),
              (window_list{
                  {50, "50"}, {99, "99"}, {100, "100"}, {150, "150"}, {250, "250"}, {550, "550"}}));
    EXPECT_EQ(windows("k", 99, 150), (window_list{{99, "99"}, {100, "100"}, {150, "150"}}));
}

TEST_P(window_store_contract, a_key_that_is_a_prefix_of_another_never_sees_its_windows) {
    const std::string a_zero = std::string("a") + '\0';
    store().put("a", "a", 100);
    store().put("ab", "ab", 100);
    store().put(a_zero, "a0", 100);
    store().put("", "empty", 100);
    EXPECT_EQ(windows("a", 0, 1000), (window_list{{100, "a"}}));
    EXPECT_EQ(windows("ab", 0, 1000), (window_list{{100, "ab"}}));
    EXPECT_EQ(windows(a_zero, 0, 1000), (window_list{{100, "a0"}}));
    EXPECT_EQ(windows("", 0, 1000), (window_list{{100, "empty"}}));
}

TEST_P(window_store_contract, binary_keys_with_zero_and_ff_bytes_keep_their_windows_apart) {
    const std::string low = bytes({0x00, 0xff});
    const std::string high = bytes({0xff, 0x00});
    store().put(low, "low", 5);
    store().put(high, "high", 5);
    store().put(high, "high-later", 7);
    EXPECT_EQ(windows(low, 0, 10), (window_list{{5, "low"}}));
    EXPECT_EQ(windows(high, 0, 10), (window_list{{5, "high"}, {7, "high-later"}}));
}

TEST_P(window_store_contract, fetch_all_visits_every_key_with_a_start_in_range) {
    store().put("a", "a1", 10);
    store().put("b", "b1", 15);
    store().put("a", "a2", 20);
    store().put("c", "c1", 40);
    std::vector<std::tuple<std::string, int64_t, std::string>> seen;
    store().fetch_all(10, 20, [&](std::string_view k, int64_t start, std::string_view v) {
        seen.emplace_back(k, start, v);
        return true;
    });
    std::sort(seen.begin(), seen.end());
    EXPECT_EQ(seen, (std::vector<std::tuple<std::string, int64_t, std::string>>{
                        {"a", 10, "a1"}, {"a", 20, "a2"}, {"b", 15, "b1"}}));
}

TEST_P(window_store_contract, the_visitor_stops_a_fetch_by_returning_false) {
    open(100'000, 100);
    for (int64_t start : {10, 20, 150, 250}) {
        store().put("k", "v", start);
        store().put("j", "v", start);
    }
    int visits = 0;
    store().fetch("k", 0, 1000, [&](int64_t, std::string_view) { return ++visits < 3; });
    EXPECT_EQ(visits, 3);
    visits = 0;
    store().fetch_all(0, 1000,
                      [&](std::string_view, int64_t, std::string_view) { return ++visits < 2; });
    EXPECT_EQ(visits, 2);
}

TEST_P(window_store_contract, observed_stream_time_is_the_largest_window_start_put) {
    EXPECT_EQ(store().observed_stream_time(), -1);
    store().put("k", "v", 500);
    store().put("k", "v", 200);
    EXPECT_EQ(store().observed_stream_time(), 500);
    EXPECT_EQ(store().retention_ms(), default_retention_ms);
}

TEST_P(window_store_contract, retention_drops_whole_segments_once_stream_time_passes_them) {
    open(/*retention_ms=*/1000, /*segment_interval_ms=*/500);
    store().put("k", "0", 0);       // segment 0: [0, 500)
    store().put("k", "400", 400);   // segment 0
    store().put("k", "600", 600);   // segment 1: [500, 1000)
    store().put("k", "1000", 1000); // segment 2: [1000, 1500)
    EXPECT_EQ(windows("k", 0, 5000).size(), 4u);

    // Stream time 2000: min live time 1000, so segments 0 and 1 go, and segment 2 stays
    // whole even though nothing in it is newer than the retention would keep record by record.
    store().put("k", "2000", 2000);
    EXPECT_EQ(store().fetch("k", 0), std::nullopt);
    EXPECT_EQ(store().fetch("k", 600), std::nullopt);
    EXPECT_EQ(windows("k", 0, 5000), (window_list{{1000, "1000"}, {2000, "2000"}}));

    // Stream time 2100 still keeps segment 2 (it ends at 1500 > 1100).
    store().put("other", "x", 2100);
    EXPECT_EQ(store().fetch("k", 1000), "1000");
    // Stream time 2600: min live 1600, segment 2 is dropped.
    store().put("other", "y", 2600);
    EXPECT_EQ(store().fetch("k", 1000), std::nullopt);
    EXPECT_EQ(windows("k", 0, 5000), (window_list{{2000, "2000"}}));
}

TEST_P(window_store_contract, a_put_into_an_expired_segment_is_ignored_and_counted) {
    open(/*retention_ms=*/1000, /*segment_interval_ms=*/500);
    store().put("k", "new", 5000);
    EXPECT_EQ(store().expired_puts(), 0u);
    store().put("k", "late", 100);
    store().put("k", std::nullopt, 200);
    EXPECT_EQ(store().expired_puts(), 2u);
    EXPECT_EQ(store().fetch("k", 100), std::nullopt);
    EXPECT_EQ(store().observed_stream_time(), 5000);
    // Still live: stream time 5000 - retention 1000 = 4000 is inside segment 8.
    store().put("k", "in-time", 4000);
    EXPECT_EQ(store().fetch("k", 4000), "in-time");
    EXPECT_EQ(store().expired_puts(), 2u);
}

TEST_P(window_store_contract, restore_batch_puts_encoded_keys_in_their_windows) {
    auto& target = store().restore_target();
    const std::string a10 = state::encode_window_key("a", 10);
    const std::string a20 = state::encode_window_key("a", 20);
    const std::string b10 = state::encode_window_key("b", 10);
    const std::vector<changelog_entry> batch{
        {a10, "a10"}, {a20, "a20"}, {b10, "b10"}, {a10, std::nullopt}};
    target.begin_restore();
    target.restore_batch(batch);
    target.end_restore();
    EXPECT_EQ(windows("a", 0, 100), (window_list{{20, "a20"}}));
    EXPECT_EQ(store().fetch("b", 10), "b10");
    EXPECT_EQ(store().observed_stream_time(), 20);
}

TEST_P(window_store_contract, restore_batch_advances_stream_time_and_drops_as_puts_would) {
    open(/*retention_ms=*/1000, /*segment_interval_ms=*/500);
    const std::string old_key = state::encode_window_key("k", 100);
    const std::string new_key = state::encode_window_key("k", 5000);
    const std::string late_key = state::encode_window_key("k", 200);
    const std::vector<changelog_entry> batch{
        {old_key, "old"}, {new_key, "new"}, {late_key, "late"}};
    store().restore_target().restore_batch(batch);
    EXPECT_EQ(store().observed_stream_time(), 5000);
    EXPECT_EQ(windows("k", 0, 10'000), (window_list{{5000, "new"}}));
    EXPECT_EQ(store().expired_puts(), 1u); // "late" came after stream time moved on
}

TEST_P(window_store_contract, restore_batch_rejects_a_malformed_key_with_state_error) {
    const std::vector<changelog_entry> batch{{"not a window key", "v"}};
    EXPECT_THROW(store().restore_target().restore_batch(batch), state::state_error);
}

TEST_P(window_store_contract, a_checkpoint_written_is_read_back_by_persistent_stores_only) {
    auto& target = store().restore_target();
    EXPECT_EQ(target.checkpoint(), std::nullopt);
    target.write_checkpoint(99);
    EXPECT_EQ(target.checkpoint(), persistent() ? std::optional<int64_t>(99) : std::nullopt);
}

TEST_P(window_store_contract,
       a_reopened_persistent_store_keeps_windows_checkpoint_and_stream_time) {
    if (!persistent()) {
        GTEST_SKIP() << "in-memory stores start empty by design";
    }
    open(/*retention_ms=*/1000, /*segment_interval_ms=*/500);
    store().put("k", "a", 3000);
    store().put("k", "b", 3600);
    store().restore_target().write_checkpoint(12);
    reopen();
    EXPECT_EQ(windows("k", 0, 10'000), (window_list{{3000, "a"}, {3600, "b"}}));
    EXPECT_EQ(store().restore_target().checkpoint(), 12);
    EXPECT_EQ(store().observed_stream_time(), 3600);
    // Retention carries on from the persisted stream time.
    store().put("k", "late", 2000);
    EXPECT_EQ(store().expired_puts(), 1u);
    store().put("k", "c", 4600); // min live 3600: segment 6 [3000, 3500) goes
    EXPECT_EQ(windows("k", 0, 10'000), (window_list{{3600, "b"}, {4600, "c"}}));
    reopen();
    EXPECT_EQ(windows("k", 0, 10'000), (window_list{{3600, "b"}, {4600, "c"}}));
}

TEST_P(window_store_contract, wipe_drops_every_window_the_checkpoint_and_stream_time) {
    const std::string k100 = state::encode_window_key("k", 100);
    const std::vector<changelog_entry> batch{{k100, "v"}};
    store().restore_target().restore_batch(batch);
    store().restore_target().write_checkpoint(5);
    if (persistent()) {
        reopen();
    }
    store().restore_target().wipe();
    EXPECT_EQ(store().fetch("k", 100), std::nullopt);
    EXPECT_EQ(windows("k", 0, 1000), window_list{});
    EXPECT_EQ(store().restore_target().checkpoint(), std::nullopt);
    EXPECT_EQ(store().observed_stream_time(), -1);
    store().put("k", "again", 50);
    EXPECT_EQ(store().fetch("k", 50), "again");
    if (persistent()) {
        reopen();
        EXPECT_EQ(windows("k", 0, 1000), (window_list{{50, "again"}}));
        EXPECT_EQ(store().observed_stream_time(), 50);
    }
}

// ---------------------------------------------------------------------------------------
// session stores

TEST_P(session_store_contract, fetch_returns_the_value_of_exactly_that_session) {
    store().put("k", 10, 20, "v");
    EXPECT_EQ(store().fetch("k", 10, 20), "v");
    EXPECT_EQ(store().fetch("k", 10, 21), std::nullopt);
    EXPECT_EQ(store().fetch("k", 11, 20), std::nullopt);
    EXPECT_EQ(store().fetch("j", 10, 20), std::nullopt);
}

TEST_P(session_store_contract, a_put_with_no_value_removes_the_session) {
    store().put("k", 10, 20, "v");
    store().put("k", 10, 20, std::nullopt);
    EXPECT_EQ(store().fetch("k", 10, 20), std::nullopt);
    EXPECT_EQ(find("k", 0, 1000), std::vector<session>{});
}

TEST_P(session_store_contract,
       find_sessions_returns_those_ending_at_or_after_and_starting_at_or_before) {
    store().put("k", 0, 10, "early");
    store().put("k", 20, 30, "middle");
    store().put("k", 40, 50, "late");
    store().put("k", 5, 100, "long");
    store().put("k", 60, 70, "after");
    EXPECT_EQ(find("k", 25, 45),
              (std::vector<session>{{20, 30, "middle"}, {40, 50, "late"}, {5, 100, "long"}}));
    // Both bounds are inclusive.
    EXPECT_EQ(find("k", 30, 20), (std::vector<session>{{20, 30, "middle"}, {5, 100, "long"}}));
    EXPECT_EQ(find("k", 101, 1000), std::vector<session>{});
}

TEST_P(session_store_contract, find_sessions_orders_by_end_then_start) {
    store().put("k", 10, 20, "c");
    store().put("k", 0, 20, "b");
    store().put("k", 5, 15, "a");
    EXPECT_EQ(find("k", 0, 100), (std::vector<session>{{5, 15, "a"}, {0, 20, "b"}, {10, 20, "c"}}));
}

TEST_P(session_store_contract, find_sessions_finds_a_long_session_in_a_later_segment) {
    open(/*retention_ms=*/100'000, /*segment_interval_ms=*/100);
    store().put("k", 0, 1000, "long"); // segment 10 by its end
    store().put("k", 40, 60, "short"); // segment 0
    EXPECT_EQ(find("k", 50, 10), (std::vector<session>{{0, 1000, "long"}}));
    EXPECT_EQ(find("k", 50, 50), (std::vector<session>{{40, 60, "short"}, {0, 1000, "long"}}));
}

TEST_P(session_store_contract, a_key_that_is_a_prefix_of_another_never_sees_its_sessions) {
    store().put("a", 0, 10, "a");
    store().put("ab", 0, 10, "ab");
    store().put(std::string("a") + '\0', 0, 10, "a0");
    EXPECT_EQ(find("a", 0, 100), (std::vector<session>{{0, 10, "a"}}));
    EXPECT_EQ(find("ab", 0, 100), (std::vector<session>{{0, 10, "ab"}}));
}

TEST_P(session_store_contract, fetch_all_visits_every_session_with_an_end_in_range) {
    store().put("a", 0, 10, "a1");
    store().put("b", 5, 15, "b1");
    store().put("a", 12, 20, "a2");
    store().put("c", 30, 40, "c1");
    std::vector<std::tuple<std::string, int64_t, int64_t, std::string>> seen;
    store().fetch_all(10, 20,
                      [&](std::string_view k, int64_t start, int64_t end, std::string_view v) {
                          seen.emplace_back(k, start, end, v);
                          return true;
                      });
    std::sort(seen.begin(), seen.end());
    EXPECT_EQ(seen, (std::vector<std::tuple<std::string, int64_t, int64_t, std::string>>{
                        {"a", 0, 10, "a1"}, {"a", 12, 20, "a2"}, {"b", 5, 15, "b1"}}));
}

TEST_P(session_store_contract, the_visitor_stops_find_sessions_by_returning_false) {
    for (int64_t end : {10, 20, 30}) {
        store().put("k", 0, end, "v");
    }
    int visits = 0;
    store().find_sessions("k", 0, 100,
                          [&](int64_t, int64_t, std::string_view) { return ++visits < 2; });
    EXPECT_EQ(visits, 2);
}

TEST_P(session_store_contract, retention_follows_session_ends_and_drops_whole_segments) {
    open(/*retention_ms=*/1000, /*segment_interval_ms=*/500);
    store().put("k", 0, 400, "old");
    store().put("k", 100, 1200, "long"); // ends in segment 2
    EXPECT_EQ(store().observed_stream_time(), 1200);
    store().put("k", 1900, 2100, "new"); // stream time 2100: min live 1100, segment 0 goes
    EXPECT_EQ(store().fetch("k", 0, 400), std::nullopt);
    EXPECT_EQ(store().fetch("k", 100, 1200), "long");
    store().put("k", 300, 450, "late");
    EXPECT_EQ(store().expired_puts(), 1u);
    EXPECT_EQ(find("k", 0, 10'000),
              (std::vector<session>{{100, 1200, "long"}, {1900, 2100, "new"}}));
}

TEST_P(session_store_contract, restore_batch_puts_encoded_keys_in_their_sessions) {
    const std::string s1 = state::encode_session_key("k", 0, 10);
    const std::string s2 = state::encode_session_key("k", 20, 30);
    const std::vector<changelog_entry> batch{{s1, "one"}, {s2, "two"}, {s1, std::nullopt}};
    auto& target = store().restore_target();
    target.begin_restore();
    target.restore_batch(batch);
    target.end_restore();
    EXPECT_EQ(find("k", 0, 100), (std::vector<session>{{20, 30, "two"}}));
    EXPECT_EQ(store().observed_stream_time(), 30);
}

TEST_P(session_store_contract, restore_batch_rejects_a_malformed_key_with_state_error) {
    const std::vector<changelog_entry> batch{{state::encode_window_key("k", 5), "v"}};
    EXPECT_THROW(store().restore_target().restore_batch(batch), state::state_error);
}

TEST_P(session_store_contract,
       a_reopened_persistent_store_keeps_sessions_checkpoint_and_stream_time) {
    if (!persistent()) {
        GTEST_SKIP() << "in-memory stores start empty by design";
    }
    store().put("k", 0, 10, "a");
    store().put("k", 5, 50, "b");
    store().restore_target().write_checkpoint(3);
    reopen();
    EXPECT_EQ(find("k", 0, 100), (std::vector<session>{{0, 10, "a"}, {5, 50, "b"}}));
    EXPECT_EQ(store().restore_target().checkpoint(), 3);
    EXPECT_EQ(store().observed_stream_time(), 50);
}

TEST_P(session_store_contract, wipe_drops_every_session_the_checkpoint_and_stream_time) {
    const std::string s10 = state::encode_session_key("k", 0, 10);
    const std::vector<changelog_entry> batch{{s10, "a"}};
    store().restore_target().restore_batch(batch);
    store().restore_target().write_checkpoint(3);
    if (persistent()) {
        reopen();
    }
    store().restore_target().wipe();
    EXPECT_EQ(find("k", 0, 100), std::vector<session>{});
    EXPECT_EQ(store().restore_target().checkpoint(), std::nullopt);
    EXPECT_EQ(store().observed_stream_time(), -1);
    store().put("k", 1, 2, "b");
    EXPECT_EQ(store().fetch("k", 1, 2), "b");
    if (persistent()) {
        reopen();
        EXPECT_EQ(find("k", 0, 100), (std::vector<session>{{1, 2, "b"}}));
    }
}

// ---------------------------------------------------------------------------------------
// the bottoms

INSTANTIATE_TEST_SUITE_P(
    bottoms, kv_store_contract,
    ::testing::Values(kv_store_param{"rocksdb",
                                     [](const std::filesystem::path&) {
                                         return std::make_unique<state::rocksdb_key_value_store>(
                                             "store");
                                     },
                                     true},
                      kv_store_param{"in_memory",
                                     [](const std::filesystem::path&) {
                                         return std::make_unique<state::in_memory_key_value_store>(
                                             "store");
                                     },
                                     false}),
    param_label{});

INSTANTIATE_TEST_SUITE_P(
    bottoms, window_store_contract,
    ::testing::Values(
        window_store_param{"rocksdb",
                           [](const std::filesystem::path&, int64_t retention, int64_t interval) {
                               return std::make_unique<state::rocksdb_window_store>(
                                   "store", retention, interval);
                           },
                           true},
        window_store_param{"in_memory",
                           [](const std::filesystem::path&, int64_t retention, int64_t interval) {
                               return std::make_unique<state::in_memory_window_store>(
                                   "store", retention, interval);
                           },
                           false}),
    param_label{});

INSTANTIATE_TEST_SUITE_P(
    bottoms, session_store_contract,
    ::testing::Values(
        session_store_param{"rocksdb",
                            [](const std::filesystem::path&, int64_t retention, int64_t interval) {
                                return std::make_unique<state::rocksdb_session_store>(
                                    "store", retention, interval);
                            },
                            true},
        session_store_param{"in_memory",
                            [](const std::filesystem::path&, int64_t retention, int64_t interval) {
                                return std::make_unique<state::in_memory_session_store>(
                                    "store", retention, interval);
                            },
                            false}),
    param_label{});

} // namespace
} // namespace brook::contract
