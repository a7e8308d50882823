// Exactly-once staging in the RocksDB bottoms: writes made during a transaction are seen
// by reads and scans at once, reach the data only with commit() (together with the
// checkpoint), and are gone after a close without commit (which flushes memtables, so
// anything staged that leaked into the DB would show), so a store never has to be wiped
// after an abort. A sealed transaction (one being committed on the broker) is applied
// apart from the writes made while it commits, which belong to the next transaction.

#include <cstdlib>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <unistd.h>

#include <gtest/gtest.h>

#include "state/rocksdb_key_value_store.h"
#include "state/rocksdb_window_store.h"

namespace brook::state {
namespace {

class staging_dir {
public:
    staging_dir() {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "brook-staging-test-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) {
            throw std::runtime_error("mkdtemp failed for " + pattern);
        }
        _path = pattern;
    }
    ~staging_dir() {
        std::error_code ec;
        std::filesystem::remove_all(_path, ec);
    }
    store_context context() const {
        store_context c;
        c.directory = _path;
        return c;
    }

private:
    std::filesystem::path _path;
};

std::map<std::string, std::string> contents(key_value_store& store) {
    std::map<std::string, std::string> out;
    store.all([&](std::string_view k, std::string_view v) {
        out.emplace(k, v);
        return true;
    });
    return out;
}

TEST(rocksdb_staging, staged_writes_are_read_back_but_vanish_when_closed_without_commit) {
    staging_dir dir;
    {
        rocksdb_key_value_store store("s");
        store.init(dir.context());
        store.put("a", "committed");
        store.commit(7);
        store.stage_writes();
        store.put("a", "staged");
        store.put("b", "new");
        store.remove("a");
        store.put("c", "also");
        EXPECT_EQ(store.get("a"), std::nullopt);
        EXPECT_EQ(store.get("b"), "new");
        EXPECT_EQ(contents(store),
                  (std::map<std::string, std::string>{{"b", "new"}, {"c", "also"}}));
        store.close(); // an abort: nothing staged is kept
    }
    rocksdb_key_value_store reopened("s");
    reopened.init(dir.context());
    EXPECT_EQ(contents(reopened), (std::map<std::string, std::string>{{"a", "committed"}}));
    EXPECT_EQ(reopened.checkpoint(), 7);
}

TEST(rocksdb_staging, commit_applies_staged_writes_with_the_checkpoint) {
    staging_dir dir;
    {
        rocksdb_key_value_store store("s");
        store.init(dir.context());
        store.stage_writes();
        store.put("x", "1");
        store.commit(42);
        store.put("y", "2"); // staged again, never committed
        store.close();
    }
    rocksdb_key_value_store reopened("s");
    reopened.init(dir.context());
    EXPECT_EQ(contents(reopened), (std::map<std::string, std::string>{{"x", "1"}}));
    EXPECT_EQ(reopened.checkpoint(), 42);
}

TEST(rocksdb_staging, window_segments_expired_during_a_transaction_are_dropped_at_commit) {
    staging_dir dir;
    rocksdb_window_store store("w", 120000, 60000);
    store.init(dir.context());
    store.stage_writes();
    store.put("k", "early", 0);
    EXPECT_EQ(store.fetch("k", 0), "early");
    store.put("k", "late", 600000); // moves stream time far past the first segment
    EXPECT_EQ(store.fetch("k", 0), std::nullopt) << "the expired segment is gone for readers";
    EXPECT_EQ(store.fetch("k", 600000), "late");
    store.commit(3);
    EXPECT_EQ(store.fetch("k", 600000), "late");
    EXPECT_EQ(store.checkpoint(), 3);
    store.close();
}

TEST(rocksdb_staging, a_sealed_transaction_is_applied_apart_from_the_writes_made_after_the_seal) {
    staging_dir dir;
    {
        rocksdb_key_value_store store("s");
        store.init(dir.context());
        store.put("base", "db");
        store.put("kept", "db");
        store.commit(5);
        store.stage_writes();
        store.put("a", "sealed");
        store.put("b", "sealed");
        store.remove("base");
        store.seal();
        // The next transaction, written while the sealed one commits.
        store.put("a", "next");
        store.remove("b");
        store.put("base", "again");
        store.remove("kept");
        store.put("c", "next");
        const std::map<std::string, std::string> newest{
            {"a", "next"}, {"base", "again"}, {"c", "next"}};
        EXPECT_EQ(store.get("a"), "next");
        EXPECT_EQ(store.get("b"), std::nullopt) << "removed after the seal, put before it";
        EXPECT_EQ(store.get("base"), "again") << "put after the seal, removed before it";
        EXPECT_EQ(store.get("kept"), std::nullopt) << "removed after the seal, in the DB";
        EXPECT_EQ(contents(store), newest);
        store.commit_sealed(9);
        EXPECT_EQ(contents(store), newest) << "the next transaction's writes stay visible";
        EXPECT_EQ(store.get("b"), std::nullopt);
        store.close(); // the next transaction never commits
    }
    rocksdb_key_value_store reopened("s");
    reopened.init(dir.context());
    EXPECT_EQ(contents(reopened), (std::map<std::string, std::string>{
                                      {"a", "sealed"}, {"b", "sealed"}, {"kept", "db"}}));
    EXPECT_EQ(reopened.checkpoint(), 9);
}

TEST(rocksdb_staging, the_writes_after_a_seal_are_committed_by_the_next_commit) {
    staging_dir dir;
    {
        rocksdb_key_value_store store("s");
        store.init(dir.context());
        store.stage_writes();
        store.put("x", "1");
        store.seal();
        store.put("x", "2");
        store.put("y", "2");
        store.commit_sealed(1);
        store.seal();
        store.put("z", "3"); // a third transaction, never committed
        store.commit_sealed(2);
        store.close();
    }
    rocksdb_key_value_store reopened("s");
    reopened.init(dir.context());
    EXPECT_EQ(contents(reopened), (std::map<std::string, std::string>{{"x", "2"}, {"y", "2"}}));
    EXPECT_EQ(reopened.checkpoint(), 2);
}

TEST(rocksdb_staging, a_second_seal_before_the_first_commits_is_refused) {
    staging_dir dir;
    rocksdb_key_value_store store("s");
    store.init(dir.context());
    store.stage_writes();
    store.put("x", "1");
    store.seal();
    store.put("y", "2");
    EXPECT_THROW(store.seal(), std::logic_error);
    store.commit_sealed(1);
    EXPECT_NO_THROW(store.seal());
}

TEST(rocksdb_staging, a_segment_expired_while_a_transaction_is_sealed_goes_with_the_next_commit) {
    staging_dir dir;
    {
        rocksdb_window_store store("w", 120000, 60000);
        store.init(dir.context());
        store.stage_writes();
        store.put("k", "early", 0);
        store.seal();
        store.put("k", "late", 600000); // expires the segment the sealed write went to
        EXPECT_EQ(store.fetch("k", 0), std::nullopt) << "the expired segment is gone for readers";
        EXPECT_EQ(store.fetch("k", 600000), "late");
        store.commit_sealed(3); // writes "early" into the segment that is still kept
        EXPECT_EQ(store.fetch("k", 0), std::nullopt);
        store.commit(4); // drops it
        EXPECT_EQ(store.fetch("k", 600000), "late");
        store.close();
    }
    rocksdb_window_store reopened("w", 120000, 60000);
    reopened.init(dir.context());
    EXPECT_EQ(reopened.fetch("k", 0), std::nullopt);
    EXPECT_EQ(reopened.fetch("k", 600000), "late");
    EXPECT_EQ(reopened.checkpoint(), 4);
}

TEST(rocksdb_staging, a_segment_expired_by_an_aborted_transaction_is_kept) {
    staging_dir dir;
    {
        rocksdb_window_store store("w", 120000, 60000);
        store.init(dir.context());
        store.stage_writes();
        store.put("k", "early", 0);
        store.commit(1);
        // The first write of the next transaction moves stream time past the segment.
        store.put("k", "late", 600000);
        EXPECT_EQ(store.fetch("k", 0), std::nullopt);
        store.close(); // aborted: stream time and the segment stay as committed
    }
    rocksdb_window_store reopened("w", 120000, 60000);
    reopened.init(dir.context());
    EXPECT_EQ(reopened.fetch("k", 0), "early");
    EXPECT_EQ(reopened.fetch("k", 600000), std::nullopt);
    EXPECT_EQ(reopened.checkpoint(), 1);
}

TEST(rocksdb_staging, a_range_read_stays_inside_its_bounds_over_staged_and_sealed_writes) {
    // RocksDB applies the upper bound to the committed data only; the staged batches'
    // entries of later keys must not leak into a fetch, a range or a session lookup.
    staging_dir dir;
    rocksdb_window_store windows("w", 1200000, 600000);
    windows.init(dir.context());
    windows.stage_writes();
    windows.put("a", "a-db", 1000);
    windows.commit(1);
    windows.put("b", "b-sealed", 1000);
    windows.seal();
    windows.put("c", "c-staged", 1000);
    windows.put("a", "a-staged", 2000);
    std::vector<std::string> seen;
    windows.fetch("a", 0, 5000, [&](int64_t, std::string_view v) {
        seen.emplace_back(v);
        return true;
    });
    EXPECT_EQ(seen, (std::vector<std::string>{"a-db", "a-staged"}));
    windows.close();

    rocksdb_key_value_store kv("s");
    kv.init(dir.context());
    kv.stage_writes();
    kv.put("k1", "db");
    kv.commit(1);
    kv.put("k2", "sealed");
    kv.seal();
    kv.put("k3", "staged");
    kv.put("k9", "staged");
    std::vector<std::string> keys;
    kv.range("k1", "k3", [&](std::string_view k, std::string_view) { // [k1, k3)
        keys.emplace_back(k);
        return true;
    });
    EXPECT_EQ(keys, (std::vector<std::string>{"k1", "k2"}));
    keys.clear();
    kv.put("k0", "staged");
    kv.reverse_range("k1", "k3", [&](std::string_view k, std::string_view) { // backwards
        keys.emplace_back(k);
        return true;
    });
    EXPECT_EQ(keys, (std::vector<std::string>{"k2", "k1"}));
    keys.clear();
    kv.reverse_range("k1", "", [&](std::string_view k, std::string_view) {
        keys.emplace_back(k);
        return true;
    });
    EXPECT_EQ(keys, (std::vector<std::string>{"k9", "k3", "k2", "k1"}));
    kv.close();
}

} // namespace
} // namespace brook::state
