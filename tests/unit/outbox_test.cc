// The publisher's outbox: records encode and decode exactly, entries come back in
// acceptance order (so per key too), survive a reopen, are deleted and rewritten, and
// sequences are never reused; damaged files are refused with a count of what is lost.

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include "publisher/outbox.h"
#include "publisher/outbox_record.h"
#include "tests/support/broker.h"

namespace brook::publisher {
namespace {

namespace fs = std::filesystem;

// A fresh directory, removed at the end of the test.
class outbox_test : public ::testing::Test {
protected:
    void SetUp() override {
        _dir = fs::temp_directory_path() / testing::unique_name("brook-outbox-test");
    }
    void TearDown() override {
        std::error_code ec;
        fs::remove_all(_dir, ec);
    }
    outbox_options options() const { return {_dir, false}; }

    fs::path _dir;
};

std::string make_record(std::string_view topic, nullable_bytes key, nullable_bytes value) {
    outbox_record r;
    r.topic = topic;
    r.key = key;
    r.value = value;
    r.accepted_ms = 1700000000000;
    std::string out;
    encode(r, out);
    return out;
}

// (sequence, record bytes) of every pending entry, in reading order.
std::vector<std::pair<uint64_t, std::string>> read_all(const outbox& box, uint64_t from = 0) {
    std::vector<std::pair<uint64_t, std::string>> out;
    for (auto r = box.read_from(from); r.valid(); r.next()) {
        out.emplace_back(r.sequence(), std::string(r.record()));
    }
    return out;
}

TEST(outbox_record, round_trips_every_field_including_null_key_value_and_headers) {
    std::vector<message_header> headers = {
        {"trace-id", std::string_view("abc")},
        {"empty", std::string_view("")},
        {"null", std::nullopt},
    };
    std::string encoded_headers;
    outbox_record r;
    r.topic = "orders";
    r.key = std::nullopt;
    r.value = std::string_view("payload\0with-nul", 16);
    r.attempts = 3;
    r.dead_letter = true;
    r.accepted_ms = 1;
    r.first_failure_ms = 2;
    r.last_failure_ms = -3;
    r.last_error = "Broker: Topic authorization failed";
    r.header_count = encode_headers(headers, encoded_headers);
    r.encoded_headers = encoded_headers;
    std::string bytes;
    encode(r, bytes);

    const auto d = decode(bytes);
    ASSERT_TRUE(d.has_value());
    EXPECT_EQ(d->topic, "orders");
    EXPECT_FALSE(d->key.has_value());
    ASSERT_TRUE(d->value.has_value());
    EXPECT_EQ(*d->value, std::string_view("payload\0with-nul", 16));
    EXPECT_EQ(d->attempts, 3u);
    EXPECT_TRUE(d->dead_letter);
    EXPECT_EQ(d->accepted_ms, 1);
    EXPECT_EQ(d->first_failure_ms, 2);
    EXPECT_EQ(d->last_failure_ms, -3);
    EXPECT_EQ(d->last_error, "Broker: Topic authorization failed");
    std::vector<std::pair<std::string, std::optional<std::string>>> seen;
    d->for_each_header([&](const message_header& h) {
        seen.emplace_back(std::string(h.name),
                          h.value ? std::optional<std::string>(std::string(*h.value))
                                  : std::nullopt);
    });
    ASSERT_EQ(seen.size(), 3u);
    EXPECT_EQ(seen[0].first, "trace-id");
    EXPECT_EQ(seen[0].second, "abc");
    EXPECT_EQ(seen[1].second, "");
    EXPECT_FALSE(seen[2].second.has_value());

    // An empty key is not a null key.
    const std::string with_empty_key = make_record("t", std::string_view(""), std::nullopt);
    const auto e = decode(with_empty_key);
    ASSERT_TRUE(e.has_value());
    ASSERT_TRUE(e->key.has_value());
    EXPECT_TRUE(e->key->empty());
    EXPECT_FALSE(e->value.has_value());
}

TEST(outbox_record, damaged_bytes_are_refused_never_read_past) {
    std::string headers;
    const std::vector<message_header> hs = {{"h", std::string_view("v")}};
    outbox_record r;
    r.topic = "orders";
    r.key = std::string_view("k");
    r.value = std::string_view("v");
    r.header_count = encode_headers(hs, headers);
    r.encoded_headers = headers;
    std::string bytes;
    encode(r, bytes);
    ASSERT_TRUE(decode(bytes).has_value());
    for (size_t n = 0; n < bytes.size(); ++n) {
        EXPECT_FALSE(decode(std::string_view(bytes).substr(0, n)).has_value()) << "prefix " << n;
    }
    EXPECT_FALSE(decode(bytes + "x").has_value());
    std::string wrong_version = bytes;
    wrong_version[0] = 2;
    EXPECT_FALSE(decode(wrong_version).has_value());
}

TEST_F(outbox_test, appends_get_increasing_sequences_and_read_back_in_that_order) {
    outbox box(options());
    EXPECT_EQ(box.size(), 0u);
    std::vector<uint64_t> seen_before_write;
    for (int i = 0; i < 100; ++i) {
        const std::string value = std::to_string(i);
        const uint64_t s = box.append(make_record("t", std::string_view("k"), value),
                                      [&](uint64_t seq) { seen_before_write.push_back(seq); });
        EXPECT_EQ(s, static_cast<uint64_t>(i));
    }
    EXPECT_EQ(box.size(), 100u);
    EXPECT_EQ(box.next_sequence(), 100u);
    ASSERT_EQ(seen_before_write.size(), 100u);
    EXPECT_EQ(seen_before_write.back(), 99u);
    const auto all = read_all(box);
    ASSERT_EQ(all.size(), 100u);
    for (size_t i = 0; i < all.size(); ++i) {
        EXPECT_EQ(all[i].first, i);
        EXPECT_EQ(*decode(all[i].second)->value, std::to_string(i));
    }
    EXPECT_EQ(read_all(box, 42).front().first, 42u);
}

TEST_F(outbox_test, keeps_each_keys_order_when_keys_interleave) {
    outbox box(options());
    const std::vector<std::string> keys = {"a", "b", "c"};
    for (int i = 0; i < 300; ++i) {
        const std::string& key = keys[static_cast<size_t>(i * 7 % 3)];
        box.append(make_record("t", key, std::to_string(i)));
    }
    std::map<std::string, int> last;
    for (const auto& [seq, bytes] : read_all(box)) {
        const auto r = decode(bytes);
        ASSERT_TRUE(r.has_value());
        const int n = std::stoi(std::string(*r->value));
        auto [it, first] = last.try_emplace(std::string(*r->key), n);
        if (!first) {
            EXPECT_LT(it->second, n) << "key " << *r->key;
            it->second = n;
        }
    }
    EXPECT_EQ(last.size(), 3u);
}

TEST_F(outbox_test, survives_a_reopen_with_entries_order_and_next_sequence) {
    {
        outbox box(options());
        for (int i = 0; i < 10; ++i) {
            box.append(make_record("t", std::string_view("k"), std::to_string(i)));
        }
    }
    outbox box(options());
    EXPECT_EQ(box.size(), 10u);
    EXPECT_EQ(box.first_sequence(), 0u);
    const auto all = read_all(box);
    ASSERT_EQ(all.size(), 10u);
    EXPECT_EQ(*decode(all[9].second)->value, "9");
    // A restart may skip ahead (to the reserved block's end), never back.
    const uint64_t next = box.append(make_record("t", std::nullopt, std::nullopt));
    EXPECT_GE(next, 10u);
    EXPECT_EQ(read_all(box).back().first, next);
}

TEST_F(outbox_test, deletes_and_rewrites_entries) {
    outbox box(options());
    for (int i = 0; i < 5; ++i) {
        box.append(make_record("t", std::string_view("k"), std::to_string(i)));
    }
    const std::vector<uint64_t> gone = {0, 1, 3};
    box.remove(gone);
    EXPECT_EQ(box.size(), 2u);
    EXPECT_FALSE(box.get(0).has_value());
    EXPECT_TRUE(box.get(2).has_value());
    EXPECT_EQ(box.first_sequence(), 2u);

    // decode() returns views: keep the bytes they point into.
    const std::string stored = *box.get(2);
    auto r = decode(stored);
    ASSERT_TRUE(r.has_value());
    outbox_record updated = *r;
    updated.attempts = 4;
    updated.last_error = "boom";
    std::string bytes;
    encode(updated, bytes);
    box.update(2, bytes);
    const std::string rewritten = *box.get(2);
    const auto again = decode(rewritten);
    ASSERT_TRUE(again.has_value());
    EXPECT_EQ(again->attempts, 4u);
    EXPECT_EQ(again->last_error, "boom");
    EXPECT_EQ(box.size(), 2u);
}

TEST_F(outbox_test, never_reuses_a_sequence_even_after_everything_was_delivered) {
    {
        outbox box(options());
        std::vector<uint64_t> all;
        for (int i = 0; i < 3; ++i) {
            all.push_back(box.append(make_record("t", std::nullopt, std::nullopt)));
        }
        box.remove(all);
        EXPECT_EQ(box.size(), 0u);
        EXPECT_EQ(box.first_sequence(), 3u);
    }
    outbox box(options());
    EXPECT_EQ(box.size(), 0u);
    EXPECT_GE(box.append(make_record("t", std::nullopt, std::nullopt)), 3u);
}

TEST_F(outbox_test, first_sequence_never_skips_an_event_appended_while_it_looks) {
    // The relay starts reading at first_sequence(); an append racing with it must not end
    // up below the answer, or the relay would never send it.
    outbox box(options());
    const std::string record = make_record("t", std::nullopt, std::nullopt);
    int skipped = 0;
    for (int i = 0; i < 3000; ++i) {
        uint64_t appended = 0;
        std::thread writer([&] { appended = box.append(record); });
        const uint64_t first = box.first_sequence();
        writer.join();
        skipped += first > appended ? 1 : 0;
        const std::vector<uint64_t> gone = {appended};
        box.remove(gone);
    }
    EXPECT_EQ(skipped, 0);
}

TEST_F(outbox_test, quarantines_undecodable_entries_out_of_the_queue) {
    outbox box(options());
    box.append("not a record");
    box.append(make_record("t", std::nullopt, std::nullopt));
    EXPECT_FALSE(decode(*box.get(0)).has_value());
    box.quarantine(0, *box.get(0));
    EXPECT_EQ(box.size(), 1u);
    EXPECT_EQ(box.quarantined(), 1u);
    EXPECT_EQ(box.first_sequence(), 1u);
}

TEST_F(outbox_test, a_second_outbox_on_the_same_directory_is_refused_with_advice) {
    outbox first(options());
    try {
        outbox second(options());
        FAIL() << "expected outbox_error";
    } catch (const outbox_error& e) {
        EXPECT_NE(std::string(e.what()).find(_dir.string()), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("only one publisher"), std::string::npos) << e.what();
    }
}

TEST_F(outbox_test, syncs_its_log_on_request_and_with_sync_every_write) {
    outbox box({_dir, true});
    box.append(make_record("t", std::nullopt, std::nullopt));
    EXPECT_NO_THROW(box.sync());
}

// ---- damaged files ---------------------------------------------------------------------

// The files of `dir` whose names end in `extension` (".log" for the write-ahead log).
std::vector<fs::path> files_ending(const fs::path& dir, const std::string& extension) {
    std::vector<fs::path> out;
    for (const auto& entry : fs::directory_iterator(dir)) {
        if (entry.path().extension() == extension) {
            out.push_back(entry.path());
        }
    }
    return out;
}

// Overwrites bytes [from, to) of each file (fractions of its size) with random bytes.
void overwrite_with_garbage(const std::vector<fs::path>& files, double from, double to) {
    std::mt19937 random(20240611);
    for (const fs::path& file : files) {
        const auto size = static_cast<double>(fs::file_size(file));
        std::fstream out(file, std::ios::in | std::ios::out | std::ios::binary);
        const auto begin = static_cast<std::streamoff>(size * from);
        const auto end = static_cast<std::streamoff>(size * to);
        out.seekp(begin);
        for (std::streamoff i = begin; i < end; ++i) {
            out.put(static_cast<char>(random()));
        }
        ASSERT_TRUE(out.good()) << file;
    }
}

// Opens the outbox expecting outbox_damaged, and returns it.
std::optional<outbox_damaged> open_damaged(const outbox_options& options) {
    try {
        outbox box(options);
    } catch (const outbox_damaged& e) {
        return e;
    }
    return std::nullopt;
}

// An outbox closed cleanly with `n` events pending, none delivered.
void fill(const outbox_options& options, int n) {
    outbox box(options);
    for (int i = 0; i < n; ++i) {
        box.append(make_record("orders", fmt::format("key-{}", i % 8),
                               fmt::format(R"({{"seq":{},"pad":"{}"}})", i, std::string(40, 'x'))));
    }
}

TEST_F(outbox_test, a_log_half_overwritten_with_garbage_is_refused_naming_the_directory_and_count) {
    fill(options(), 2000);
    const auto logs = files_ending(_dir, ".log");
    ASSERT_FALSE(logs.empty());
    overwrite_with_garbage(logs, 0.5, 1.0);

    const auto damaged = open_damaged(options());
    ASSERT_TRUE(damaged.has_value()) << "a damaged outbox opened";
    ASSERT_TRUE(damaged->unreadable().has_value()) << damaged->what();
    EXPECT_GT(damaged->readable(), 0u);
    EXPECT_GT(*damaged->unreadable(), 500u) << damaged->what();
    EXPECT_EQ(damaged->readable() + *damaged->unreadable(), 2000u) << damaged->what();
    EXPECT_EQ(damaged->path(), _dir);
    const std::string message = damaged->what();
    EXPECT_NE(message.find(_dir.string()), std::string::npos) << message;
    EXPECT_NE(message.find(fmt::format("{} accepted, undelivered events cannot be read",
                                       *damaged->unreadable())),
              std::string::npos)
        << message;
    EXPECT_NE(message.find("Corruption"), std::string::npos) << message;

    // Refusing changed nothing: the same files give the same answer.
    const auto again = open_damaged(options());
    ASSERT_TRUE(again.has_value());
    EXPECT_EQ(again->readable(), damaged->readable());
    EXPECT_EQ(again->unreadable(), damaged->unreadable());
}

TEST_F(outbox_test, a_log_cut_short_is_refused_although_rocksdb_takes_it_for_a_torn_last_write) {
    // RocksDB forgives an incomplete last record, so it opens this without a word; the
    // mark of the last sync knows that 2000 events were appended.
    fill(options(), 2000);
    const auto logs = files_ending(_dir, ".log");
    ASSERT_EQ(logs.size(), 1u);
    fs::resize_file(logs[0], fs::file_size(logs[0]) / 2 + 3);

    const auto damaged = open_damaged(options());
    ASSERT_TRUE(damaged.has_value()) << "a log cut in half opened";
    ASSERT_TRUE(damaged->unreadable().has_value()) << damaged->what();
    EXPECT_GT(*damaged->unreadable(), 500u) << damaged->what();
    EXPECT_EQ(damaged->readable() + *damaged->unreadable(), 2000u) << damaged->what();
    EXPECT_NE(damaged->problem().find("writes that had reached the disk are gone"),
              std::string::npos)
        << damaged->what();
}

TEST_F(outbox_test, a_damaged_table_file_is_refused_and_the_events_around_the_damage_counted) {
    fill(options(), 2000);
    {
        // Move the events from the log into a table file, as a long-running outbox does.
        rocksdb::DB* raw = nullptr;
        ASSERT_TRUE(rocksdb::DB::Open(rocksdb::Options(), _dir.string(), &raw).ok());
        std::unique_ptr<rocksdb::DB> db(raw);
        ASSERT_TRUE(db->Flush(rocksdb::FlushOptions()).ok());
        ASSERT_TRUE(db->Close().ok());
    }
    const auto tables = files_ending(_dir, ".sst");
    ASSERT_EQ(tables.size(), 1u);
    overwrite_with_garbage(tables, 0.40, 0.45);

    const auto damaged = open_damaged(options());
    ASSERT_TRUE(damaged.has_value()) << "a damaged table file opened";
    ASSERT_TRUE(damaged->unreadable().has_value()) << damaged->what();
    EXPECT_GT(*damaged->unreadable(), 0u) << damaged->what();
    // The events after the damaged blocks are found again, not given up for lost.
    EXPECT_GT(damaged->readable(), 1000u) << damaged->what();
    EXPECT_EQ(damaged->readable() + *damaged->unreadable(), 2000u) << damaged->what();
}

TEST_F(outbox_test, a_crash_that_tears_the_last_unsynced_write_still_opens) {
    // A crash in the middle of a write leaves a torn last record. The events written after
    // the last sync were never covered by its mark, so losing the torn one is no damage.
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        outbox box(options());
        for (int i = 0; i < 110; ++i) {
            box.append(make_record("t", std::string_view("k"), std::to_string(i)));
            if (i == 99) {
                box.sync();
            }
        }
        _exit(0); // no destructor: no final sync, no mark
    }
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    const auto logs = files_ending(_dir, ".log");
    ASSERT_EQ(logs.size(), 1u);
    fs::resize_file(logs[0], fs::file_size(logs[0]) - 5);

    outbox box(options());
    EXPECT_EQ(box.size(), 109u);
    EXPECT_EQ(read_all(box).back().first, 108u);
}

TEST_F(outbox_test, a_mark_ahead_of_what_the_files_hold_is_refused) {
    fill(options(), 10);
    {
        outbox box(options());
        const std::vector<uint64_t> delivered = {0, 1, 2};
        box.remove(delivered);
    } // the mark: 10 appended, 3 removed
    const fs::path mark = _dir / "brook-outbox.mark";
    ASSERT_TRUE(fs::exists(mark));
    {
        std::ofstream out(mark, std::ios::trunc);
        out << "brook-outbox-mark 1\nappended 12\nremoved 3\n";
    }
    const auto damaged = open_damaged(options());
    ASSERT_TRUE(damaged.has_value());
    EXPECT_EQ(damaged->readable(), 7u);
    EXPECT_EQ(damaged->unreadable(), std::optional<uint64_t>(2));
}

} // namespace
} // namespace brook::publisher
