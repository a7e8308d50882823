// standby_updater over the fake clients: instance A counts records per key into a logged
// persistent store; instance B keeps standbys of A's tasks from the changelog A writes.
// When A is gone and B's stream thread takes the tasks over, B restores only what its
// standbys had not applied, and the output goes on exactly. While B runs a task actively
// the updater never opens a standby of it (both would hold the same RocksDB directory),
// and once B gives the task up a standby is kept again.

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "engine/runtime/member_identity.h"
#include "engine/runtime/standby_updater.h"
#include "engine/runtime/stream_thread.h"
#include "engine/serde/serdes.h"
#include "operators/stream_builder.h"
#include "tests/support/counting_topology.h"
#include "tests/support/eventually.h"
#include "tests/support/fake_clients.h"

namespace brook {
namespace {

using testing::counting_topology;
using testing::eventually;

using namespace std::chrono_literals;
using testing::fake_client_factory;
using testing::fake_cluster;

constexpr const char* app_id = testing::counting_app_id;
constexpr const char* changelog = testing::counting_changelog;
const std::string process_a(32, 'a');
const std::string process_b(32, 'b');

// One instance: its config (own state directory) and, while it runs, its stream thread.
struct instance {
    instance(const std::filesystem::path& root, const std::string& name)
        : dir(root / name), config({{"application.id", app_id},
                                    {"bootstrap.servers", "fake:9092"},
                                    {"state.dir", dir.string()},
                                    {"processing.guarantee", "exactly_once_v2"},
                                    {"commit.interval.ms", "20"},
                                    {"statestore.cache.max.bytes", "0"},
                                    {"num.standby.replicas", "1"},
                                    {"poll.ms", "5"}}) {}

    void start(const topology& topo, fake_client_factory& clients, standby_updater* standbys,
               const std::string& process) {
        stream_thread_options options;
        options.bootstrap = "fake:9092";
        options.clients = &clients;
        options.transactional_id_prefix = "counter-" + process;
        options.instance_id = process;
        options.standbys = standbys;
        thread = std::make_unique<stream_thread>(1, topo, config, std::move(options));
        thread->start();
    }
    void stop() {
        if (thread) {
            thread->request_shutdown();
            ASSERT_TRUE(thread->wait_until_dead(20s));
            thread.reset();
        }
    }

    std::filesystem::path dir;
    streams_config config;
    std::unique_ptr<stream_thread> thread;
};

class standby_updater_test : public ::testing::Test {
protected:
    standby_updater_test()
        : _root(std::filesystem::temp_directory_path() /
                ("brook-standby-test-" + std::to_string(::getpid()) + "-" +
                 std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()))),
          _topology(counting_topology()), _a(_root, "a"), _b(_root, "b") {
        _cluster.create_topic("in", 2);
        _cluster.create_topic("out", 2);
        _cluster.create_topic(changelog, 2);
        // A runs both tasks; B is in the group with nothing (range would give it some, but
        // the placement reads the members' assignments for owners). Without A, range gives
        // everything to B: B keeps both standbys.
        kafka::group_member a;
        a.member_id = "m-a";
        a.client_id = consumer_client_id(app_id, process_a, 1, "");
        a.assignment = {{"in", 0}, {"in", 1}};
        kafka::group_member b;
        b.member_id = "m-b";
        b.client_id = consumer_client_id(app_id, process_b, 1, "");
        auto group = std::make_shared<kafka::group_description>();
        group->state = "Stable";
        group->stable = true;
        group->members = {a, b};
        _group = group;
    }
    ~standby_updater_test() override {
        _a.stop();
        _b.stop();
        if (_updater) {
            _updater->stop();
        }
        std::error_code ec;
        std::filesystem::remove_all(_root, ec);
    }

    void make_updater() {
        standby_updater::options so;
        so.topo = &_topology;
        so.config = &_b.config;
        so.clients = &_clients_b;
        so.describe_group = [this] {
            std::lock_guard lock(_group_mutex);
            return _group;
        };
        so.subtopologies = {{0, "in", 2}};
        so.process_id = process_b;
        so.state_dir = _b.dir / app_id;
        _updater = std::make_unique<standby_updater>(std::move(so));
    }

    void write(int n) {
        for (int i = 0; i < n; ++i) {
            for (const std::string k : {"a", "b", "c", "d"}) {
                _cluster.append("in", k == "a" || k == "c" ? 0 : 1, k, "v", 1000 + _written++);
                ++_expected[k];
            }
        }
    }

    // Every key's committed output is 1, 2, ..., n: nothing lost or counted twice.
    bool output_complete() const {
        std::map<std::string, int64_t> last;
        for (int32_t p = 0; p < 2; ++p) {
            for (const auto& r : _cluster.read_committed("out", p)) {
                last[*r.key] = default_serde<int64_t>{}.deserialize(r.value);
            }
        }
        for (const auto& [k, n] : _expected) {
            if (last[k] < n) {
                return false;
            }
        }
        return true;
    }
    void expect_exact_output() const {
        std::map<std::string, std::vector<int64_t>> out;
        for (int32_t p = 0; p < 2; ++p) {
            for (const auto& r : _cluster.read_committed("out", p)) {
                out[*r.key].push_back(default_serde<int64_t>{}.deserialize(r.value));
            }
        }
        for (const auto& [k, n] : _expected) {
            std::vector<int64_t> want;
            for (int64_t i = 1; i <= n; ++i) {
                want.push_back(i);
            }
            EXPECT_EQ(out[k], want) << "key " << k;
        }
    }

    int64_t changelog_records() const {
        return static_cast<int64_t>(_cluster.read_committed(changelog, 0).size() +
                                    _cluster.read_committed(changelog, 1).size());
    }

    // Both standbys, open since before A wrote, have applied every changelog record (the
    // lags are as of the updater's last read of the changelogs' ends, up to a second old,
    // so they alone do not say it).
    bool standbys_caught_up() const {
        const auto lags = _updater->lags();
        return lags.size() == 2 && lags[0].lag == 0 && lags[1].lag == 0 &&
               static_cast<int64_t>(_updater->records_applied()) >= changelog_records();
    }

    std::filesystem::path _root;
    fake_cluster _cluster;
    fake_client_factory _clients_a{_cluster};
    fake_client_factory _clients_b{_cluster};
    topology _topology;
    instance _a;
    instance _b;
    std::mutex _group_mutex;
    std::shared_ptr<const kafka::group_description> _group;
    std::unique_ptr<standby_updater> _updater;
    std::map<std::string, int64_t> _expected;
    int64_t _written = 0;
};

TEST_F(standby_updater_test, the_new_owner_restores_only_what_its_standby_had_not_applied) {
    make_updater();
    _updater->start();
    write(30);
    _a.start(_topology, _clients_a, nullptr, process_a);
    ASSERT_TRUE(eventually([&] { return output_complete(); }));
    ASSERT_TRUE(eventually([&] { return standbys_caught_up(); }));

    // The standbys stop (checkpointed) and A writes more: that is the tail B will restore.
    _updater->stop();
    const int64_t kept = changelog_records();
    write(10);
    ASSERT_TRUE(eventually([&] { return output_complete(); }));
    _a.stop();
    const int64_t tail = changelog_records() - kept;
    ASSERT_GT(tail, 0);

    _b.start(_topology, _clients_b, _updater.get(), process_b);
    write(10);
    ASSERT_TRUE(eventually([&] { return output_complete(); }));
    const auto restored = static_cast<int64_t>(_b.thread->counters().records_restored.load());
    _b.stop();
    expect_exact_output();
    EXPECT_EQ(restored, tail) << "B restored more than the tail its standbys had not applied";
}

TEST_F(standby_updater_test, no_standby_is_opened_while_the_task_runs_here_and_one_is_after) {
    make_updater();
    _updater->start();
    write(20);
    _a.start(_topology, _clients_a, nullptr, process_a);
    ASSERT_TRUE(eventually([&] { return output_complete(); }));
    ASSERT_TRUE(eventually([&] { return standbys_caught_up(); }));
    _a.stop();

    // B takes both tasks over; the group description still names A (not expired yet), so
    // the placement still says B keeps standbys of them.
    _b.start(_topology, _clients_b, _updater.get(), process_b);
    write(20);
    ASSERT_TRUE(eventually([&] { return output_complete(); }));
    std::this_thread::sleep_for(2500ms); // two reconciles and more
    EXPECT_TRUE(_updater->lags().empty()) << "a standby of a task running here was opened";
    write(5);
    ASSERT_TRUE(eventually([&] { return output_complete(); }));

    // B gives the tasks up: the updater keeps standbys of them again, from where B's
    // stores are (nothing to catch up).
    const uint64_t applied = _updater->records_applied();
    _b.stop();
    ASSERT_TRUE(eventually(
        [&] {
            const auto lags = _updater->lags();
            return lags.size() == 2 && lags[0].lag == 0 && lags[1].lag == 0;
        },
        10s));
    std::this_thread::sleep_for(1500ms); // a read of the ends and a few polls more
    EXPECT_EQ(_updater->lags().size(), 2U);
    EXPECT_EQ(_updater->records_applied(), applied) << "the standby replayed what B had";
    expect_exact_output();
}

} // namespace
} // namespace brook
