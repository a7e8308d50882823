// Versioned key-value stores (KIP-889) at the byte level: versions and as-of lookups,
// out-of-order versions and their valid-to, the history retention as grace period and
// expiry, tombstones, and a restore from the changelog that answers as the original did.
// Run over both bottoms (in memory and RocksDB).

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "state/store_stacks.h"
#include "state/versioned_key_value_store.h"
#include "tests/unit/store_contract.h"

namespace brook::state {
namespace {

using contract::recording_changelog;

constexpr int64_t retention = 100;

class versioned_store_test : public ::testing::TestWithParam<store_type> {
protected:
    void SetUp() override {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "brook-versioned-XXXXXX").string();
        ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
        _dir = pattern;
        _store = open("v");
    }
    void TearDown() override {
        for (auto* s : {_store.get(), _restored.get()}) {
            if (s != nullptr) {
                s->close();
            }
        }
        std::error_code ec;
        std::filesystem::remove_all(_dir, ec);
    }

    std::unique_ptr<versioned_key_value_store> open(const std::string& name) {
        auto store = std::make_unique<versioned_key_value_store>(
            make_key_value_stack(name, GetParam(), false, true), retention);
        store_context context;
        context.directory = _dir;
        context.changelog = &_changelog;
        context.timestamp = [] { return int64_t{0}; };
        store->init(context);
        return store;
    }

    // The value at `as_of`, or "none".
    std::string at(versioned_key_value_store& s, const std::string& key, int64_t as_of) {
        auto v = s.get(key, as_of);
        return v ? v->value + "@" + std::to_string(v->timestamp) : "none";
    }
    // A new store "v-restored", restored from everything store "v" logged so far.
    versioned_key_value_store& restore_copy() {
        _restored = open("v-restored");
        std::vector<changelog_entry> batch;
        for (const auto& e : _changelog.entries()) {
            if (e.store == "v") {
                batch.push_back(
                    {e.key, e.value ? std::optional<std::string_view>(*e.value) : std::nullopt});
            }
        }
        _restored->restore_target().begin_restore();
        _restored->restore_target().restore_batch(batch);
        _restored->restore_target().end_restore();
        return *_restored;
    }
    std::string latest(versioned_key_value_store& s, const std::string& key) {
        auto v = s.get(key);
        return v ? v->value + "@" + std::to_string(v->timestamp) : "none";
    }

    std::filesystem::path _dir;
    recording_changelog _changelog;
    std::unique_ptr<versioned_key_value_store> _store;
    std::unique_ptr<versioned_key_value_store> _restored;
};

TEST_P(versioned_store_test, answers_as_of_any_time_with_the_version_valid_then) {
    auto& s = *_store;
    EXPECT_EQ(s.put("k", "a", 10), versioned_key_value_store::put_is_latest);
    EXPECT_EQ(s.put("k", "b", 20), versioned_key_value_store::put_is_latest);
    EXPECT_EQ(s.put("k", "c", 30), versioned_key_value_store::put_is_latest);
    EXPECT_EQ(at(s, "k", 9), "none");
    EXPECT_EQ(at(s, "k", 10), "a@10");
    EXPECT_EQ(at(s, "k", 19), "a@10");
    EXPECT_EQ(at(s, "k", 20), "b@20");
    EXPECT_EQ(at(s, "k", 29), "b@20");
    EXPECT_EQ(at(s, "k", 1000), "c@30");
    EXPECT_EQ(latest(s, "k"), "c@30");
    EXPECT_EQ(at(s, "other", 30), "none");
    EXPECT_EQ(s.observed_stream_time(), 30);
}

TEST_P(versioned_store_test, a_put_at_an_existing_timestamp_replaces_that_version) {
    auto& s = *_store;
    s.put("k", "a", 10);
    s.put("k", "b", 20);
    EXPECT_EQ(s.put("k", "B", 20), versioned_key_value_store::put_is_latest);
    EXPECT_EQ(s.put("k", "A", 10), 20) << "a replaced old version is valid until the next one";
    EXPECT_EQ(at(s, "k", 15), "A@10");
    EXPECT_EQ(at(s, "k", 25), "B@20");
}

TEST_P(versioned_store_test, an_out_of_order_version_enters_the_history_with_its_valid_to) {
    auto& s = *_store;
    s.put("k", "a", 10);
    s.put("k", "c", 30);
    EXPECT_EQ(s.put("k", "b", 20), 30);
    EXPECT_EQ(s.put("k", "a2", 15), 20);
    EXPECT_EQ(latest(s, "k"), "c@30") << "an older version never becomes the latest";
    EXPECT_EQ(at(s, "k", 12), "a@10");
    EXPECT_EQ(at(s, "k", 17), "a2@15");
    EXPECT_EQ(at(s, "k", 25), "b@20");
    EXPECT_EQ(s.put("k", "first", 5), 10);
    EXPECT_EQ(at(s, "k", 7), "first@5");
}

TEST_P(versioned_store_test, tombstones_are_versions_too) {
    auto& s = *_store;
    s.put("k", "a", 10);
    EXPECT_EQ(s.put("k", std::nullopt, 20), versioned_key_value_store::put_is_latest);
    EXPECT_EQ(latest(s, "k"), "none");
    EXPECT_EQ(at(s, "k", 15), "a@10");
    EXPECT_EQ(at(s, "k", 25), "none");
    s.put("k", "b", 30);
    EXPECT_EQ(at(s, "k", 25), "none") << "the gap between a delete and the next version";
    EXPECT_EQ(at(s, "k", 30), "b@30");
    // An out-of-order put into the gap, and an out-of-order delete.
    EXPECT_EQ(s.put("k", "gap", 22), 30);
    EXPECT_EQ(at(s, "k", 25), "gap@22");
    auto removed = s.remove("k", 12);
    ASSERT_TRUE(removed);
    EXPECT_EQ(removed->value, "a");
    EXPECT_EQ(at(s, "k", 11), "a@10");
    EXPECT_EQ(at(s, "k", 13), "none");
}

TEST_P(versioned_store_test, writes_older_than_the_history_retention_are_refused) {
    auto& s = *_store;
    s.put("k", "a", 10);
    s.put("k", "b", 500);
    EXPECT_EQ(s.put("k", "late", 399), versioned_key_value_store::put_not_put);
    EXPECT_EQ(s.put("other", "late", 399), versioned_key_value_store::put_not_put);
    EXPECT_FALSE(s.remove("k", 399));
    EXPECT_EQ(at(s, "other", 1000), "none") << "a refused write leaves nothing behind";
    EXPECT_EQ(s.put("k", "in-grace", 400), 500) << "exactly at the retention is still accepted";
    EXPECT_EQ(at(s, "k", 450), "in-grace@400");
}

TEST_P(versioned_store_test, queries_older_than_the_history_retention_find_nothing_but_latest) {
    auto& s = *_store;
    s.put("k", "a", 10);
    s.put("k", "b", 20);
    s.put("x", "y", 1000); // moves stream time to 1000: horizon 900
    EXPECT_EQ(at(s, "k", 15), "none") << "as of 15 is older than the retention keeps";
    EXPECT_EQ(at(s, "k", 20), "b@20") << "the latest version answers even beyond retention";
    EXPECT_EQ(at(s, "x", 950), "none");
}

TEST_P(versioned_store_test, history_expires_when_its_successor_is_older_than_the_retention) {
    auto& s = *_store;
    for (int t = 0; t < 50; ++t) {
        s.put("k", "v" + std::to_string(t), t * 10);
    }
    // Stream time 490, horizon 390: the version at 390 and later ones can still answer
    // a valid query; older ones were removed as the key was written.
    EXPECT_EQ(at(s, "k", 390), "v39@390");
    EXPECT_EQ(at(s, "k", 389), "none");
    EXPECT_EQ(at(s, "k", 400), "v40@400");
    if (GetParam() == store_type::in_memory) {
        EXPECT_EQ(s.approximate_size(), 11U) << "'L' and the history from 390 to 480";
    }
    // A key deleted and then left alone goes entirely once the delete is older than the
    // retention: the sweep at flush finds it without another write to it.
    s.put("k", std::nullopt, 500);
    s.put("x", "y", 700);
    s.flush();
    EXPECT_EQ(at(s, "k", 650), "none");
    EXPECT_EQ(at(s, "x", 700), "y@700");
    if (GetParam() == store_type::in_memory) {
        EXPECT_EQ(s.approximate_size(), 2U) << "only x's latest and the stream time are left";
    }
}

TEST_P(versioned_store_test, a_restore_from_the_changelog_answers_as_the_original_did) {
    auto& s = *_store;
    s.put("k", "a", 10);
    s.put("k", "c", 30);
    s.put("k", "b", 20);
    s.put("j", "x", 25);
    s.put("j", std::nullopt, 28);
    s.put("k", "d", 200);
    s.flush(); // writes the observed stream time down

    auto& r = restore_copy();
    for (int64_t t : {5, 10, 15, 20, 25, 28, 30, 100, 199, 200, 300}) {
        EXPECT_EQ(at(r, "k", t), at(s, "k", t)) << "k as of " << t;
        EXPECT_EQ(at(r, "j", t), at(s, "j", t)) << "j as of " << t;
    }
    EXPECT_EQ(r.observed_stream_time(), 200);
    EXPECT_EQ(r.put("k", "late", 99), versioned_key_value_store::put_not_put)
        << "the restored store knows its stream time, so it refuses what the original refused";
}

TEST_P(versioned_store_test, a_restore_without_the_stream_time_entry_takes_it_from_the_versions) {
    // A crash after the puts and before the flush that writes the stream time down (at
    // least once): the changelog has the versions but not the stream time.
    auto& s = *_store;
    s.put("k", "a", 10);
    s.put("j", "b", 500);
    auto& r = restore_copy();
    EXPECT_EQ(r.observed_stream_time(), 500);
    EXPECT_EQ(r.put("k", "late", 399), versioned_key_value_store::put_not_put);
}

INSTANTIATE_TEST_SUITE_P(bottoms, versioned_store_test,
                         ::testing::Values(store_type::in_memory, store_type::rocksdb),
                         [](const auto& info) {
                             return info.param == store_type::rocksdb ? "rocksdb" : "in_memory";
                         });

} // namespace
} // namespace brook::state
