// State against the real broker: a count of 1,000,000 keyed records into a RocksDB store
// with a changelog survives the loss of its local state (restored from the changelog,
// every count exact), a restart replays only the changelog after the checkpoint, and a
// task that moves to a new instance takes its state along through the changelog.

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <sys/wait.h>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "engine/config/streams_config.h"
#include "engine/kafka/admin_client.h"
#include "engine/kafka/partition_reader.h"
#include "engine/kafka/producer.h"
#include "engine/runtime/changelog_reader.h"
#include "engine/runtime/kafka_clients.h"
#include "engine/runtime/kafka_streams.h"
#include "engine/topology/topology_builder.h"
#include "state/in_memory_key_value_store.h"
#include "state/rocksdb_key_value_store.h"
#include "state/store_stacks.h"
#include "tests/support/broker.h"
#include "tests/support/topic_tail.h"

namespace brook {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

constexpr int partitions = 4;
const std::string store_name = "counts";

// Counts records per key into the store, as decimal text.
class count_processor final : public processor<std::string, std::string, std::string, int64_t> {
public:
    void init(context_type& context) override {
        _store = &dynamic_cast<state::key_value_store&>(context.store(store_name));
    }
    void process(record<std::string, std::string>&& r) override {
        const std::optional<std::string> old = _store->get(r.key);
        const int64_t count = (old ? std::stoll(*old) : 0) + 1;
        _store->put(r.key, std::to_string(count));
    }

private:
    state::key_value_store* _store = nullptr;
};

topology count_topology(const std::string& input) {
    topology_builder b;
    b.add_source<std::string, std::string>("source", {input});
    b.add_processor<count_processor>("count", [] { return std::make_unique<count_processor>(); },
                                     {"source"});
    store_spec spec;
    spec.name = store_name;
    spec.factory = [] {
        return state::make_key_value_stack(store_name, state::store_type::rocksdb, true, true);
    };
    spec.logged = true;
    spec.changelog_config = {{"cleanup.policy", "compact"}};
    b.add_state_store(std::move(spec), {"count"});
    return b.build();
}

streams_config app_config(const std::string& app_id, const fs::path& state_dir,
                          const std::map<std::string, std::string>& extra = {}) {
    std::map<std::string, std::string> settings{{"application.id", app_id},
                                                {"bootstrap.servers", testing::real_bootstrap()},
                                                {"state.dir", state_dir.string()},
                                                {"commit.interval.ms", "1000"},
                                                {"consumer.session.timeout.ms", "10000"},
                                                {"consumer.heartbeat.interval.ms", "1000"}};
    settings.insert(extra.begin(), extra.end());
    return streams_config(settings);
}

std::string key_of(int64_t k) {
    return fmt::format("key-{:06d}", k);
}

// Produces `rounds` records for each key in [0, keys), interleaved key by key.
void produce_counts(const std::string& topic, int64_t keys, int rounds) {
    kafka::client_config pc = testing::real_client_config();
    pc.set("linger.ms", "20")
        .set("batch.num.messages", "10000")
        .set("partitioner", "murmur2_random");
    kafka::producer p(pc);
    for (int r = 0; r < rounds; ++r) {
        for (int64_t k = 0; k < keys; ++k) {
            p.produce(topic, RD_KAFKA_PARTITION_UA, key_of(k), std::to_string(r));
        }
    }
    p.flush(120s);
    ASSERT_EQ(p.failed_deliveries(), 0U);
}

// Records every restore event; thread-safe.
class recording_listener final : public state_restore_listener {
public:
    void on_restore_start(const std::string&, int32_t, const std::string&, int64_t start,
                          int64_t end) override {
        std::lock_guard lock(_mutex);
        if (_starts++ == 0) {
            _first_start = std::chrono::steady_clock::now();
        }
        _expected += end - start;
    }
    void on_batch_restored(const std::string&, int32_t, const std::string&, int64_t,
                           int64_t count) override {
        std::lock_guard lock(_mutex);
        _restored += count;
    }
    void on_restore_end(const std::string&, int32_t, const std::string&, int64_t) override {
        std::lock_guard lock(_mutex);
        ++_ends;
        _last_end = std::chrono::steady_clock::now();
    }
    int64_t restored() const {
        std::lock_guard lock(_mutex);
        return _restored;
    }
    int ends() const {
        std::lock_guard lock(_mutex);
        return _ends;
    }
    double seconds() const {
        std::lock_guard lock(_mutex);
        return std::chrono::duration<double>(_last_end - _first_start).count();
    }

private:
    mutable std::mutex _mutex;
    int _starts = 0;
    int _ends = 0;
    int64_t _expected = 0;
    int64_t _restored = 0;
    std::chrono::steady_clock::time_point _first_start;
    std::chrono::steady_clock::time_point _last_end;
};

bool caught_up(const std::string& app_id, const std::string& input) {
    const auto ends = testing::end_offsets(testing::real_client_config(), input, partitions);
    const auto committed =
        testing::committed_offsets(testing::real_client_config(), app_id, input, partitions);
    return ends == committed;
}

// Runs one instance until its group has committed the whole input (and, with a
// listener, until every store partition it was given has finished restoring).
void run_until_caught_up(const topology& topo, const std::string& app_id, const fs::path& dir,
                         const std::string& input, recording_listener* listener = nullptr) {
    kafka_streams app(topo, app_config(app_id, dir));
    app.set_global_state_restore_listener(listener);
    app.start();
    const auto deadline = std::chrono::steady_clock::now() + 240s;
    while (std::chrono::steady_clock::now() < deadline) {
        ASSERT_NE(app.state(), streams_state::error) << app.error_reason();
        const bool restored = listener == nullptr || listener->ends() >= partitions;
        if (app.state() == streams_state::running && restored && caught_up(app_id, input)) {
            break;
        }
        std::this_thread::sleep_for(500ms);
    }
    ASSERT_TRUE(caught_up(app_id, input)) << "the application did not consume its input in time";
    ASSERT_TRUE(app.close(60s));
}

// Every key's count in the local stores under `dir`.
std::map<std::string, int64_t> local_counts(const fs::path& app_dir) {
    std::map<std::string, int64_t> out;
    for (const auto& task : fs::directory_iterator(app_dir)) {
        if (!fs::is_directory(task.path() / store_name)) {
            continue;
        }
        state::rocksdb_key_value_store s(store_name);
        state::store_context context;
        context.directory = task.path();
        s.init(context);
        s.all([&](std::string_view k, std::string_view v) {
            EXPECT_TRUE(out.emplace(std::string(k), std::stoll(std::string(v))).second)
                << "key " << k << " is in two tasks' stores";
            return true;
        });
        s.close();
    }
    return out;
}

// Sum over the local stores' checkpoints.
std::map<int32_t, int64_t> local_checkpoints(const fs::path& app_dir) {
    std::map<int32_t, int64_t> out;
    for (const auto& task : fs::directory_iterator(app_dir)) {
        if (!fs::is_directory(task.path() / store_name)) {
            continue;
        }
        const std::string id = task.path().filename().string(); // "<subtopology>_<partition>"
        state::rocksdb_key_value_store s(store_name);
        state::store_context context;
        context.directory = task.path();
        s.init(context);
        const auto checkpoint = s.checkpoint();
        s.close();
        EXPECT_TRUE(checkpoint.has_value()) << "no checkpoint in " << task.path();
        out[std::stoi(id.substr(id.find('_') + 1))] = checkpoint.value_or(-1);
    }
    return out;
}

// The latest count per key in the changelog topic.
std::map<std::string, int64_t> changelog_counts(const std::string& topic) {
    std::map<std::string, int64_t> out;
    for (int p = 0; p < partitions; ++p) {
        for (const auto& r : kafka::read_partition(testing::real_client_config(), topic, p,
                                                   "read_committed", 120s)) {
            if (r.key && r.value) {
                out[*r.key] = std::stoll(*r.value);
            } else if (r.key) {
                out.erase(*r.key);
            }
        }
    }
    return out;
}

void expect_counts(const std::map<std::string, int64_t>& counts, int64_t keys,
                   const std::function<int64_t(int64_t)>& expected) {
    ASSERT_EQ(counts.size(), static_cast<size_t>(keys));
    int64_t wrong = 0;
    for (int64_t k = 0; k < keys; ++k) {
        auto it = counts.find(key_of(k));
        if (it == counts.end() || it->second != expected(k)) {
            if (++wrong <= 5) {
                ADD_FAILURE() << key_of(k) << ": count "
                              << (it == counts.end() ? std::string("missing")
                                                     : std::to_string(it->second))
                              << ", expected " << expected(k);
            }
        }
    }
    EXPECT_EQ(wrong, 0) << "keys with a wrong count";
}

class StateRestore : public ::testing::Test {
protected:
    void SetUp() override {
        _root = fs::temp_directory_path() / testing::unique_name("brook-state-test");
        fs::create_directories(_root);
    }
    void TearDown() override {
        std::error_code ec;
        fs::remove_all(_root, ec);
    }
    fs::path _root;
};

TEST_F(StateRestore, CountsSurviveLosingLocalStateAndRestartsReplayOnlyTheChangelogTail) {
    constexpr int64_t keys = 100000;
    constexpr int rounds = 10; // 1,000,000 records
    const std::string input = testing::unique_name("state-input");
    const std::string app_id = testing::unique_name("state-app");
    const std::string changelog = app_id + "-" + store_name + "-changelog";
    kafka::admin_client(testing::real_client_config())
        .create_topics({{input, partitions, 1, {}}}, 30s);
    produce_counts(input, keys, rounds);
    const topology topo = count_topology(input);
    const fs::path dir = _root / "a";
    const fs::path app_dir = dir / app_id;

    // 1. Count everything.
    run_until_caught_up(topo, app_id, dir, input);
    expect_counts(local_counts(app_dir), keys, [](int64_t) { return rounds; });

    // 2. Lose the local state: the restart restores every store from its changelog.
    fs::remove_all(dir);
    recording_listener full;
    run_until_caught_up(topo, app_id, dir, input, &full);
    const auto changelog_ends =
        testing::end_offsets(testing::real_client_config(), changelog, partitions);
    int64_t changelog_records = 0;
    for (int64_t e : changelog_ends) {
        changelog_records += e;
    }
    EXPECT_EQ(full.restored(), changelog_records) << "a full restore reads the whole changelog";
    EXPECT_GE(full.restored(), keys);
    expect_counts(local_counts(app_dir), keys, [](int64_t) { return rounds; });
    const double rate = static_cast<double>(full.restored()) / std::max(full.seconds(), 1e-3);
    std::cout << fmt::format("[ restore  ] {} records restored in {:.2f} s: {:.0f} records/s\n",
                             full.restored(), full.seconds(), rate);
    RecordProperty("restore_records_per_s", static_cast<int>(rate));

    // 3. Keep a copy of this state, count more, then put the copy back: the restart must
    // replay exactly the changelog written after the copy's checkpoints.
    const fs::path snapshot = _root / "snapshot";
    fs::copy(dir, snapshot, fs::copy_options::recursive);
    const auto checkpoints = local_checkpoints(app_dir);
    ASSERT_EQ(checkpoints.size(), static_cast<size_t>(partitions));
    constexpr int64_t more_keys = 10000;
    produce_counts(input, more_keys, rounds);
    run_until_caught_up(topo, app_id, dir, input);
    const auto new_ends =
        testing::end_offsets(testing::real_client_config(), changelog, partitions);
    int64_t tail = 0;
    for (int p = 0; p < partitions; ++p) {
        tail += new_ends[static_cast<size_t>(p)] - checkpoints.at(p);
    }
    ASSERT_GT(tail, 0);
    fs::remove_all(dir);
    fs::rename(snapshot, dir);
    recording_listener partial;
    run_until_caught_up(topo, app_id, dir, input, &partial);
    EXPECT_EQ(partial.restored(), tail) << "only the changelog after the checkpoints is replayed";
    EXPECT_LT(partial.restored(), keys / 2) << "far fewer records than the store holds";
    std::cout << fmt::format("[ restore  ] restart from checkpoints replayed {} records "
                             "(store: {} keys)\n",
                             partial.restored(), keys);
    expect_counts(local_counts(app_dir), keys,
                  [](int64_t k) { return k < more_keys ? 2 * rounds : rounds; });
    expect_counts(changelog_counts(changelog), keys,
                  [](int64_t k) { return k < more_keys ? 2 * rounds : rounds; });
}

TEST_F(StateRestore, AMovedTaskTakesItsStateAlongThroughTheChangelog) {
    constexpr int64_t keys = 20000;
    constexpr int rounds = 10;
    const std::string input = testing::unique_name("move-input");
    const std::string app_id = testing::unique_name("move-app");
    const std::string changelog = app_id + "-" + store_name + "-changelog";
    kafka::admin_client(testing::real_client_config())
        .create_topics({{input, partitions, 1, {}}}, 30s);
    const topology topo = count_topology(input);
    produce_counts(input, keys, rounds);

    kafka_streams first(topo, app_config(app_id, _root / "first"));
    first.start();
    auto deadline = std::chrono::steady_clock::now() + 120s;
    while (!caught_up(app_id, input) && std::chrono::steady_clock::now() < deadline) {
        ASSERT_NE(first.state(), streams_state::error) << first.error_reason();
        std::this_thread::sleep_for(500ms);
    }
    ASSERT_TRUE(caught_up(app_id, input));
    ASSERT_EQ(first.task_count(), partitions);

    // A second instance joins: some tasks move to it, restored from their changelogs. It
    // joins at once: warming the tasks up first would bring their state over as standbys
    // (tests/integration/standby_failover_test.cc), and this is the restore path's test.
    recording_listener moved;
    kafka_streams second(topo, app_config(app_id, _root / "second", {{"warmup.timeout.ms", "0"}}));
    second.set_global_state_restore_listener(&moved);
    second.start();
    deadline = std::chrono::steady_clock::now() + 120s;
    while (std::chrono::steady_clock::now() < deadline &&
           !(second.task_count() > 0 && first.task_count() + second.task_count() == partitions &&
             first.state() == streams_state::running && second.state() == streams_state::running &&
             moved.ends() >= second.task_count())) {
        ASSERT_NE(second.state(), streams_state::error) << second.error_reason();
        std::this_thread::sleep_for(200ms);
    }
    ASSERT_GT(second.task_count(), 0) << "no task moved to the new instance";
    EXPECT_GT(moved.restored(), 0) << "the moved tasks' state did not come from the changelog";

    // Counting goes on on both instances from where the moved state left off.
    produce_counts(input, keys, rounds);
    deadline = std::chrono::steady_clock::now() + 120s;
    while (!caught_up(app_id, input) && std::chrono::steady_clock::now() < deadline) {
        ASSERT_NE(first.state(), streams_state::error) << first.error_reason();
        ASSERT_NE(second.state(), streams_state::error) << second.error_reason();
        std::this_thread::sleep_for(500ms);
    }
    ASSERT_TRUE(caught_up(app_id, input));
    ASSERT_TRUE(second.close(60s));
    ASSERT_TRUE(first.close(60s));
    std::cout << fmt::format("[ move     ] {} task(s) moved, {} changelog records restored\n",
                             moved.ends(), moved.restored());
    expect_counts(changelog_counts(changelog), keys, [](int64_t) { return 2 * rounds; });
}

// Runs a command line, returns (exit status, stdout).
std::pair<int, std::string> run(const std::string& command) {
    std::string out;
    std::FILE* pipe = ::popen(command.c_str(), "r");
    if (pipe == nullptr) {
        return {-1, out};
    }
    char buffer[4096];
    size_t n = 0;
    while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) {
        out.append(buffer, n);
    }
    const int status = ::pclose(pipe);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

TEST_F(StateRestore, TheStateToolRebuildsListsAndDumpsAStoreFromItsChangelog) {
    constexpr int64_t keys = 5000;
    constexpr int rounds = 4;
    const std::string input = testing::unique_name("tool-input");
    const std::string app_id = testing::unique_name("tool-app");
    kafka::admin_client(testing::real_client_config())
        .create_topics({{input, partitions, 1, {}}}, 30s);
    produce_counts(input, keys, rounds);
    run_until_caught_up(count_topology(input), app_id, _root / "app", input);

    const std::string tool = std::string(BROOK_BIN_DIR) + "/brook-state";
    const fs::path rebuilt = _root / "rebuilt";
    const std::string common =
        fmt::format("--application-id {} --state-dir {}", app_id, rebuilt.string());
    const auto [restore_status, restore_out] =
        run(fmt::format("{} restore {} --store {} --bootstrap-servers {} 2>&1", tool, common,
                        store_name, testing::real_bootstrap()));
    ASSERT_EQ(restore_status, 0) << restore_out;
    EXPECT_NE(restore_out.find("restore done"), std::string::npos) << restore_out;
    // The rebuilt directory holds the same counts as the application's own.
    expect_counts(local_counts(rebuilt / app_id), keys, [](int64_t) { return rounds; });
    // Restoring again finds every checkpoint current and reads nothing.
    const auto [again_status, again_out] =
        run(fmt::format("{} restore {} --store {} --bootstrap-servers {} 2>&1", tool, common,
                        store_name, testing::real_bootstrap()));
    ASSERT_EQ(again_status, 0) << again_out;
    EXPECT_NE(again_out.find("restored 0 records"), std::string::npos) << again_out;

    const auto [list_status, list_out] = run(fmt::format("{} list {} 2>&1", tool, common));
    ASSERT_EQ(list_status, 0) << list_out;
    for (int p = 0; p < partitions; ++p) {
        EXPECT_NE(list_out.find(fmt::format("task 0_{}", p)), std::string::npos) << list_out;
    }
    EXPECT_NE(list_out.find("counts: checkpoint "), std::string::npos) << list_out;

    const auto [dump_status, dump_out] = run(fmt::format(
        "{} dump {} --store {} --limit 0 --format json 2>&1", tool, common, store_name));
    ASSERT_EQ(dump_status, 0) << dump_out;
    EXPECT_EQ(std::count(dump_out.begin(), dump_out.end(), '\n'), keys) << dump_out.substr(0, 500);
    EXPECT_NE(dump_out.find(fmt::format("\"key\":\"{}\"", key_of(0))), std::string::npos);

    // Bad input gets a clear message and a usage exit status, not a crash.
    const auto [bad_status, bad_out] =
        run(fmt::format("{} dump {} --store no-such-store 2>&1", tool, common));
    EXPECT_EQ(bad_status, 2) << bad_out;
    EXPECT_NE(bad_out.find("no task directory"), std::string::npos) << bad_out;
    const auto [kind_status, kind_out] =
        run(fmt::format("{} list {} --kind tree 2>&1", tool, common));
    EXPECT_EQ(kind_status, 2) << kind_out;
    EXPECT_NE(kind_out.find("--kind must be"), std::string::npos) << kind_out;
}

// The restore consumer pauses a partition whose restore ended while others go on; one
// that is later restored again (its task came back) must be read again, not stay paused.
TEST_F(StateRestore, AChangelogPartitionRestoredOnceIsRestoredAgainWhenItComesBack) {
    const std::string topic = testing::unique_name("reader-changelog");
    kafka::admin_client(testing::real_client_config()).create_topics({{topic, 2, 1, {}}}, 30s);
    auto produce = [&](int32_t partition, int from, int to) {
        kafka::producer p(testing::real_client_config().set("linger.ms", "20"));
        for (int i = from; i < to; ++i) {
            p.produce(topic, partition, key_of(i), std::to_string(i));
        }
        p.flush(60s);
        ASSERT_EQ(p.failed_deliveries(), 0U);
    };
    produce(0, 0, 10);
    produce(1, 0, 50000); // ends long after partition 0

    task_counters counters;
    kafka_client_factory clients;
    changelog_reader reader(clients, testing::real_client_config(), nullptr, counters);
    auto entry = [&](int32_t partition, state::in_memory_key_value_store& store) {
        changelog_partition cp;
        cp.store = store_name;
        cp.topic = topic;
        cp.partition = partition;
        cp.target = &store.restore_target();
        return std::vector<changelog_partition>{cp};
    };
    auto restore_until_done = [&](std::set<task_id> owners) {
        const auto deadline = std::chrono::steady_clock::now() + 60s;
        while (!owners.empty() && std::chrono::steady_clock::now() < deadline) {
            for (const task_id& done : reader.restore(100ms)) {
                owners.erase(done);
            }
        }
        EXPECT_TRUE(owners.empty()) << owners.size() << " restores did not end within 60 s";
    };
    const task_id first{0, 0};
    const task_id second{0, 1};
    state::in_memory_key_value_store small("small");
    state::in_memory_key_value_store large("large");
    auto small_entry = entry(0, small);
    auto large_entry = entry(1, large);
    ASSERT_FALSE(reader.add(first, small_entry));
    ASSERT_FALSE(reader.add(second, large_entry));
    restore_until_done({first, second});
    EXPECT_EQ(small.approximate_size(), 10U);
    EXPECT_EQ(large.approximate_size(), 50000U);
    EXPECT_TRUE(reader.idle());

    // Partition 0 comes back, grown, to a store that starts empty.
    produce(0, 10, 25);
    state::in_memory_key_value_store again("again");
    auto again_entry = entry(0, again);
    ASSERT_FALSE(reader.add(first, again_entry));
    restore_until_done({first});
    EXPECT_EQ(again.approximate_size(), 25U);
    EXPECT_EQ(again.get(key_of(24)), "24");
    EXPECT_EQ(counters.records_restored.load(), 10U + 50000U + 25U);
}

} // namespace
} // namespace brook
