#pragma once

// The store contract: one suite of value-parameterized tests (store_contract_test.cc) that
// every key-value, window and session store stack must pass, whatever its layers. A
// parameter names a stack and says how to build it; INSTANTIATE_TEST_SUITE_P in any test
// file of the same binary runs the whole suite over it. The macro needs the fixture's bare
// name, so instantiate from inside namespace brook::contract (or after a using-declaration):
//
//   namespace brook::contract {
//   INSTANTIATE_TEST_SUITE_P(layers, kv_store_contract,
//       ::testing::Values(kv_store_param{
//           "caching_over_rocksdb",
//           [](const std::filesystem::path&) { return make_my_stack("store"); },
//           /*persistent=*/true, /*cache_bytes=*/4096}),
//       param_label{});
//   }
//
// Each test gets a fresh temporary directory (removed in TearDown), builds the store with
// `make`, calls init() with a context whose directory is that one and whose changelog and
// clock are the fixture's own, and closes the store at the end.

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "state/cache_budget.h"
#include "state/key_value_store.h"
#include "state/session_store.h"
#include "state/store_context.h"
#include "state/window_store.h"

namespace brook::contract {

// `make` builds an unopened store; `dir` is the test's temporary directory (the fixture
// passes it as store_context::directory too). Stores must be named "store".
struct kv_store_param {
    std::string label; // a gtest name: letters, digits and underscores
    std::function<std::unique_ptr<state::key_value_store>(const std::filesystem::path& dir)> make;
    // Data and checkpoint survive close() and a new instance: the reopen tests run.
    bool persistent = false;
    // The context's cache budget; 0 leaves store_context::cache null (no caching).
    size_t cache_bytes = 0;
};

struct window_store_param {
    std::string label;
    std::function<std::unique_ptr<state::window_store>(
        const std::filesystem::path& dir, int64_t retention_ms, int64_t segment_interval_ms)>
        make;
    bool persistent = false;
    size_t cache_bytes = 0;
};

struct session_store_param {
    std::string label;
    std::function<std::unique_ptr<state::session_store>(
        const std::filesystem::path& dir, int64_t retention_ms, int64_t segment_interval_ms)>
        make;
    bool persistent = false;
    size_t cache_bytes = 0;
};

inline void PrintTo(const kv_store_param& p, std::ostream* os) {
    *os << p.label;
}
inline void PrintTo(const window_store_param& p, std::ostream* os) {
    *os << p.label;
}
inline void PrintTo(const session_store_param& p, std::ostream* os) {
    *os << p.label;
}

// The name generator for INSTANTIATE_TEST_SUITE_P: the param's label.
struct param_label {
    template <class Param>
    std::string operator()(const ::testing::TestParamInfo<Param>& info) const {
        return info.param.label;
    }
};

// A changelog_writer that keeps what it is given, for stacks with a logging layer.
class recording_changelog final : public state::changelog_writer {
public:
    struct entry {
        std::string store;
        std::string key;
        std::optional<std::string> value;
        int64_t timestamp;
    };

    void log(std::string_view store, std::string_view key, std::optional<std::string_view> value,
             int64_t timestamp) override {
        _entries.push_back({std::string(store), std::string(key),
                            value ? std::optional<std::string>(*value) : std::nullopt, timestamp});
    }
    const std::vector<entry>& entries() const { return _entries; }

private:
    std::vector<entry> _entries;
};

// What every contract fixture shares: the temporary directory, the context, and the
// store under test (closed and destroyed in TearDown, before the directory goes).
template <class Param, class Store>
class store_contract : public ::testing::TestWithParam<Param> {
protected:
    static constexpr const char* store_name = "store";

    void SetUp() override {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "brook-store-contract-XXXXXX").string();
        ASSERT_NE(::mkdtemp(pattern.data()), nullptr) << "mkdtemp failed for " << pattern;
        _dir = pattern;
        if (this->GetParam().cache_bytes > 0) {
            _cache = std::make_unique<state::cache_budget>(this->GetParam().cache_bytes);
        }
    }

    void TearDown() override {
        close_store();
        std::error_code ec;
        std::filesystem::remove_all(_dir, ec);
    }

    state::store_context context() {
        state::store_context context;
        context.directory = _dir;
        context.changelog = &_changelog;
        context.cache = _cache.get();
        context.timestamp = [this] { return _now; };
        return context;
    }

    // Builds and opens a new store instance, replacing (and closing) the current one.
    Store& open_with(std::function<std::unique_ptr<Store>()> make) {
        close_store();
        _store = make();
        EXPECT_NE(_store, nullptr) << "the param's make() returned null";
        _store->init(context());
        return *_store;
    }

    // A task's orderly end: commit (flush) and close, as before a restart.
    void flush_and_close() {
        if (_store) {
            _store->flush();
        }
        close_store();
    }

    void close_store() {
        if (_store) {
            _store->close();
            _store.reset();
        }
    }

    Store& store() { return *_store; }
    bool persistent() const { return this->GetParam().persistent; }

    std::filesystem::path _dir;
    recording_changelog _changelog;
    std::unique_ptr<state::cache_budget> _cache;
    // The timestamp logging layers stamp changelog records with.
    int64_t _now = 0;
    std::unique_ptr<Store> _store;
};

class kv_store_contract : public store_contract<kv_store_param, state::key_value_store> {
protected:
    void SetUp() override {
        store_contract::SetUp();
        if (!HasFatalFailure()) {
            open();
        }
    }

    state::key_value_store& open() {
        return open_with([this] { return GetParam().make(_dir); });
    }
    // Flushes and closes the store, then opens a new instance over the same directory.
    state::key_value_store& reopen() {
        flush_and_close();
        return open();
    }

    // Every entry, in order, as (key, value) pairs.
    std::vector<std::pair<std::string, std::string>> all_entries() {
        std::vector<std::pair<std::string, std::string>> out;
        store().all([&](std::string_view k, std::string_view v) {
            out.emplace_back(k, v);
            return true;
        });
        return out;
    }
};

class window_store_contract : public store_contract<window_store_param, state::window_store> {
protected:
    static constexpr int64_t default_retention_ms = 3'600'000;

    void SetUp() override {
        store_contract::SetUp();
        if (!HasFatalFailure()) {
            open();
        }
    }

    // Opens a store with this retention (segment interval 0: the default).
    state::window_store& open(int64_t retention_ms = default_retention_ms,
                              int64_t segment_interval_ms = 0) {
        _retention_ms = retention_ms;
        _segment_interval_ms = segment_interval_ms;
        return open_with(
            [=, this] { return GetParam().make(_dir, retention_ms, segment_interval_ms); });
    }
    // Flushes and closes the store, then opens a new instance with the last retention over
    // the same directory.
    state::window_store& reopen() {
        flush_and_close();
        return open(_retention_ms, _segment_interval_ms);
    }

    // (start, value) of `key`'s windows with start in [from, to].
    std::vector<std::pair<int64_t, std::string>> windows(std::string_view key, int64_t from,
                                                         int64_t to) {
        std::vector<std::pair<int64_t, std::string>> out;
        store().fetch(key, from, to, [&](int64_t start, std::string_view value) {
            out.emplace_back(start, value);
            return true;
        });
        return out;
    }

    int64_t _retention_ms = default_retention_ms;
    int64_t _segment_interval_ms = 0;
};

class session_store_contract : public store_contract<session_store_param, state::session_store> {
protected:
    static constexpr int64_t default_retention_ms = 3'600'000;

    struct session {
        int64_t start;
        int64_t end;
        std::string value;
        bool operator==(const session&) const = default;
        friend void PrintTo(const session& s, std::ostream* os) {
            *os << "[" << s.start << ", " << s.end << "]=" << s.value;
        }
    };

    void SetUp() override {
        store_contract::SetUp();
        if (!HasFatalFailure()) {
            open();
        }
    }

    state::session_store& open(int64_t retention_ms = default_retention_ms,
                               int64_t segment_interval_ms = 0) {
        _retention_ms = retention_ms;
        _segment_interval_ms = segment_interval_ms;
        return open_with(
            [=, this] { return GetParam().make(_dir, retention_ms, segment_interval_ms); });
    }
    state::session_store& reopen() {
        flush_and_close();
        return open(_retention_ms, _segment_interval_ms);
    }

    std::vector<session> find(std::string_view key, int64_t earliest_end, int64_t latest_start) {
        std::vector<session> out;
        store().find_sessions(key, earliest_end, latest_start,
                              [&](int64_t start, int64_t end, std::string_view value) {
                                  out.push_back({start, end, std::string(value)});
                                  return true;
                              });
        return out;
    }

    int64_t _retention_ms = default_retention_ms;
    int64_t _segment_interval_ms = 0;
};

} // namespace brook::contract
