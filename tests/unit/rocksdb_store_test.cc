// What only the RocksDB bottoms promise, beyond the store contract: where files live, that
// the checkpoint sits inside RocksDB, that the DB refuses a second instance, that segments
// are column families dropped whole, that the shared environment is used, and that a
// crash (no close, WAL off) leaves data and checkpoint agreeing on one prefix of writes.

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include "state/key_encoding.h"
#include "state/rocksdb_environment.h"
#include "state/rocksdb_key_value_store.h"
#include "state/rocksdb_session_store.h"
#include "state/rocksdb_window_store.h"

namespace brook::state {
namespace {

// A temporary directory, removed with everything in it at scope exit.
class temp_dir {
public:
    temp_dir() {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "brook-rocksdb-test-XXXXXX").string();
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

store_context context_for(const std::filesystem::path& dir, rocksdb_environment* env = nullptr) {
    store_context context;
    context.directory = dir;
    context.rocksdb = env;
    return context;
}

std::vector<std::string> column_families(const std::filesystem::path& db_path) {
    std::vector<std::string> names;
    const auto status = rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), db_path, &names);
    EXPECT_TRUE(status.ok()) << status.ToString();
    std::sort(names.begin(), names.end());
    return names;
}

std::string numbered_key(int i) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "key-%06d", i);
    return buf;
}

TEST(rocksdb_key_value_store, keeps_its_files_in_the_directory_named_after_the_store) {
    temp_dir dir;
    rocksdb_key_value_store store("counts");
    store.init(context_for(dir.path()));
    EXPECT_EQ(store.path(), dir.path() / "counts");
    EXPECT_TRUE(std::filesystem::exists(dir.path() / "counts" / "CURRENT"));
    store.close();
}

TEST(rocksdb_key_value_store, keeps_the_checkpoint_inside_rocksdb_and_never_in_a_side_file) {
    temp_dir dir;
    {
        rocksdb_key_value_store store("s");
        store.init(context_for(dir.path()));
        store.put("k", "v");
        store.write_checkpoint(1234);
        store.close();
    }
    EXPECT_EQ(column_families(dir.path() / "s"),
              (std::vector<std::string>{"brook-meta", "default"}));
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir.path())) {
        const std::string name = entry.path().filename().string();
        EXPECT_EQ(name.find("checkpoint"), std::string::npos) << entry.path();
    }
    rocksdb_key_value_store reopened("s");
    reopened.init(context_for(dir.path()));
    EXPECT_EQ(reopened.checkpoint(), 1234);
    reopened.close();
}

TEST(rocksdb_key_value_store, refuses_a_second_instance_on_the_same_directory_and_says_why) {
    temp_dir dir;
    rocksdb_key_value_store first("s");
    first.init(context_for(dir.path()));
    rocksdb_key_value_store second("s");
    try {
        second.init(context_for(dir.path()));
        FAIL() << "a second instance opened a locked store";
    } catch (const state_error& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find("'s'"), std::string::npos) << what;
        EXPECT_NE(what.find((dir.path() / "s").string()), std::string::npos) << what;
        EXPECT_NE(what.find("state.dir"), std::string::npos) << what;
    }
    first.close();
}

TEST(rocksdb_key_value_store, refuses_to_open_without_a_directory_or_to_work_before_init) {
    rocksdb_key_value_store store("s");
    EXPECT_THROW(store.put("k", "v"), state_error);
    EXPECT_THROW(store.init(store_context{}), state_error);
    store.close(); // harmless on a store never opened
}

TEST(rocksdb_key_value_store, a_large_restore_with_the_wal_off_survives_close_and_reopen) {
    temp_dir dir;
    constexpr int records = 20'000;
    {
        rocksdb_key_value_store store("s");
        store.init(context_for(dir.path()));
        store.begin_restore();
        std::vector<std::string> keys;
        std::vector<changelog_entry> batch;
        for (int i = 0; i < records; i += 1000) {
            keys.clear();
            batch.clear();
            for (int j = i; j < i + 1000; ++j) {
                keys.push_back(numbered_key(j));
            }
            for (const auto& k : keys) {
                batch.push_back({k, k});
            }
            store.restore_batch(batch);
        }
        store.end_restore();
        store.write_checkpoint(records);
        store.close();
    }
    // Nothing was logged: restored data lives in SST files only.
    for (const auto& entry : std::filesystem::directory_iterator(dir.path() / "s")) {
        if (entry.path().extension() == ".log") {
            EXPECT_LT(std::filesystem::file_size(entry.path()), 4096u) << entry.path();
        }
    }
    rocksdb_key_value_store store("s");
    store.init(context_for(dir.path()));
    EXPECT_EQ(store.checkpoint(), records);
    int seen = 0;
    store.all([&](std::string_view k, std::string_view v) {
        EXPECT_EQ(k, numbered_key(seen));
        EXPECT_EQ(v, k);
        ++seen;
        return true;
    });
    EXPECT_EQ(seen, records);
    store.close();
}

TEST(rocksdb_key_value_store, wipe_deletes_the_files_and_leaves_an_empty_open_store) {
    temp_dir dir;
    rocksdb_key_value_store store("s");
    store.init(context_for(dir.path()));
    for (int i = 0; i < 100; ++i) {
        store.put(numbered_key(i), "v");
    }
    store.write_checkpoint(100);
    store.end_restore(); // flush to SST files
    store.wipe();
    EXPECT_EQ(store.approximate_size(), 0u);
    EXPECT_EQ(store.checkpoint(), std::nullopt);
    store.put("after", "wipe");
    EXPECT_EQ(store.get("after"), "wipe");
    store.close();
}

TEST(rocksdb_environment, is_shared_by_stores_whose_reads_fill_its_one_block_cache) {
    temp_dir dir;
    rocksdb_environment::settings settings;
    settings.block_cache_bytes = 4 << 20;
    settings.write_buffer_manager_bytes = 4 << 20;
    rocksdb_environment env(settings);
    rocksdb_key_value_store a("a");
    rocksdb_key_value_store b("b");
    a.init(context_for(dir.path(), &env));
    b.init(context_for(dir.path(), &env));
    for (int i = 0; i < 1000; ++i) {
        a.put(numbered_key(i), "a");
        b.put(numbered_key(i), "b");
    }
    a.end_restore(); // flush both to SST files, so reads go through the block cache
    b.end_restore();
    const size_t before = env.block_cache()->GetUsage();
    EXPECT_EQ(a.get(numbered_key(5)), "a");
    EXPECT_EQ(b.get(numbered_key(5)), "b");
    EXPECT_GT(env.block_cache()->GetUsage(), before);
    EXPECT_LE(env.block_cache()->GetUsage(), settings.block_cache_bytes);
    EXPECT_EQ(env.write_buffer_manager()->buffer_size(), settings.write_buffer_manager_bytes);
    a.close();
    b.close();
}

TEST(rocksdb_environment, rejects_a_zero_size_with_a_message_naming_the_setting) {
    rocksdb_environment::settings settings;
    settings.block_cache_bytes = 0;
    try {
        rocksdb_environment env(settings);
        FAIL() << "a zero-byte block cache was accepted";
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("block_cache_bytes"), std::string::npos);
    }
}

TEST(rocksdb_window_store, uses_kafka_streams_default_segment_interval_when_given_zero) {
    EXPECT_EQ(rocksdb_window_store("w", 3'600'000).segment_interval_ms(), 1'800'000);
    EXPECT_EQ(rocksdb_window_store("w", 10'000).segment_interval_ms(), 60'000);
    EXPECT_EQ(rocksdb_window_store("w", 10'000, 500).segment_interval_ms(), 500);
    EXPECT_THROW(rocksdb_window_store("w", -1), std::invalid_argument);
}

TEST(rocksdb_window_store, keeps_each_segment_in_a_column_family_and_drops_it_whole) {
    temp_dir dir;
    rocksdb_window_store store("w", /*retention_ms=*/1000, /*segment_interval_ms=*/500);
    store.init(context_for(dir.path()));
    store.put("k", "a", 100);  // seg-0
    store.put("k", "b", 700);  // seg-1
    store.put("k", "c", 1200); // seg-2
    EXPECT_EQ(store.segment_count(), 3u);
    store.put("k", "d", 2000); // min live 1000: seg-0 and seg-1 dropped, seg-4 created
    EXPECT_EQ(store.segment_count(), 2u);
    store.close();
    EXPECT_EQ(column_families(dir.path() / "w"),
              (std::vector<std::string>{"brook-meta", "default", "seg-2", "seg-4"}));

    rocksdb_window_store reopened("w", 1000, 500);
    reopened.init(context_for(dir.path()));
    EXPECT_EQ(reopened.segment_count(), 2u);
    EXPECT_EQ(reopened.observed_stream_time(), 2000);
    EXPECT_EQ(reopened.fetch("k", 1200), "c");
    reopened.close();
}

TEST(rocksdb_window_store, drops_on_reopen_what_a_shorter_retention_no_longer_keeps) {
    temp_dir dir;
    {
        rocksdb_window_store store("w", 10'000, 500);
        store.init(context_for(dir.path()));
        store.put("k", "old", 100);
        store.put("k", "new", 5000);
        store.close();
    }
    rocksdb_window_store store("w", 1000, 500);
    store.init(context_for(dir.path()));
    EXPECT_EQ(store.fetch("k", 100), std::nullopt);
    EXPECT_EQ(store.fetch("k", 5000), "new");
    store.close();
}

TEST(rocksdb_session_store, segments_by_session_end) {
    temp_dir dir;
    rocksdb_session_store store("s", 10'000, 1000);
    store.init(context_for(dir.path()));
    store.put("k", 0, 2500, "v");
    store.close();
    EXPECT_EQ(column_families(dir.path() / "s"),
              (std::vector<std::string>{"brook-meta", "default", "seg-2"}));
}

// ---------------------------------------------------------------------------------------
// Crash consistency. The writer runs in a child process (gtest's "threadsafe" death-test
// style re-executes this binary and runs only this test) and ends with _Exit(0): no
// close(), no flush, nothing of RocksDB's shutdown. Small memtables make RocksDB flush on
// its own while the writes go on, so the crash lands between automatic atomic flushes.

constexpr const char* crash_dir_variable = "BROOK_ROCKSDB_CRASH_TEST_DIR";
constexpr int flushed_records = 1000;
constexpr int batch_records = 10;
constexpr int unflushed_records = 3000;

rocksdb_environment::settings crash_test_settings() {
    rocksdb_environment::settings settings = rocksdb_environment::small_settings();
    settings.write_buffer_size = 64 << 10; // RocksDB's minimum
    settings.write_buffer_manager_bytes = 1 << 20;
    return settings;
}

[[noreturn]] void write_then_crash(const std::filesystem::path& dir) {
    rocksdb_environment env(crash_test_settings());
    rocksdb_key_value_store store("s");
    store.init(context_for(dir, &env));
    const std::string value(1024, 'v');
    std::vector<std::string> keys;
    std::vector<changelog_entry> batch;
    // The checkpoint after each batch is the number of records written so far: the next
    // changelog offset, were these records a changelog.
    const auto write = [&](int first, int count) {
        keys.clear();
        batch.clear();
        for (int i = first; i < first + count; ++i) {
            keys.push_back(numbered_key(i));
        }
        for (const auto& k : keys) {
            batch.push_back({k, value});
        }
        store.restore_batch(batch);
        store.write_checkpoint(first + count);
    };
    store.begin_restore();
    for (int i = 0; i < flushed_records; i += batch_records) {
        write(i, batch_records);
    }
    store.end_restore(); // everything so far is on disk
    for (int i = flushed_records; i < flushed_records + unflushed_records; i += batch_records) {
        write(i, batch_records);
    }
    std::_Exit(0);
}

TEST(rocksdb_crash_consistency, a_crash_without_close_recovers_data_and_checkpoint_that_agree) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    // The re-executed child runs this body again: it must find the parent's directory.
    std::unique_ptr<temp_dir> own;
    std::filesystem::path dir;
    if (const char* inherited = std::getenv(crash_dir_variable)) {
        dir = inherited;
    } else {
        own = std::make_unique<temp_dir>();
        dir = own->path();
        ::setenv(crash_dir_variable, dir.c_str(), 1);
    }
    EXPECT_EXIT(write_then_crash(dir), ::testing::ExitedWithCode(0), "");
    ::unsetenv(crash_dir_variable);

    rocksdb_environment env(crash_test_settings());
    rocksdb_key_value_store store("s");
    store.init(context_for(dir, &env));
    const auto checkpoint = store.checkpoint();
    ASSERT_TRUE(checkpoint.has_value());
    int present = 0;
    store.all([&](std::string_view k, std::string_view) {
        EXPECT_EQ(k, numbered_key(present)) << "recovered data is not a prefix of the writes";
        ++present;
        return true;
    });
    // What survives is one prefix of the writes: the data up to some batch, and the
    // checkpoint written after the batch before it, or after this one.
    EXPECT_GE(*checkpoint, flushed_records);
    EXPECT_LE(*checkpoint, present);
    EXPECT_LE(present - *checkpoint, batch_records);
    EXPECT_EQ(present % batch_records, 0);
    // Restore from the checkpoint would now replay at most one batch it already has.
    std::printf("crash recovery: %d of %d records and checkpoint %lld survived\n", present,
                flushed_records + unflushed_records, static_cast<long long>(*checkpoint));
    store.close();
}

} // namespace
} // namespace brook::state
