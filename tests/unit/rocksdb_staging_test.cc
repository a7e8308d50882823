// Exactly-once staging in the RocksDB bottoms: writes made during a transaction are seen
// by reads and scans at once, reach the data only with commit() (together with the
// checkpoint), and are gone after a close without commit (which flushes memtables, so
// anything staged that leaked into the DB would show), so a store never has to be wiped
// after an abort.

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

} // namespace
} // namespace brook::state
