// topology.optimization=reuse.ktable.source.topics in a stream thread over the fake clients
// (tests/support/fake_clients.h): a table's store writes no changelog and, with its local
// state gone, restores from its source topic up to the group's committed offset, making of
// each record the row the table made (a null key skipped, a null value deleting), and the
// task then processes what follows that offset. A stream joined with the table checks it:
// a stream record older than a table update past the committed offset must see the row as
// it was before that update, which a restore read to the topic's end would not show.

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/runtime/stream_thread.h"
#include "operators/stream_builder.h"
#include "tests/support/eventually.h"
#include "tests/support/fake_clients.h"

namespace brook {
namespace {

using namespace std::chrono_literals;
using testing::eventually;
using testing::fake_client_factory;
using testing::fake_cluster;

constexpr const char* app_id = "source-app";

topology rows_join(const streams_config& config) {
    stream_builder b;
    auto rows = b.table<std::string, std::string>(
        "rows", consumed<std::string, std::string>{},
        materialized<std::string, std::string>::as("rows-store").with_caching_disabled());
    b.stream<std::string, std::string>({"events"})
        .left_join(rows,
                   [](const std::string& v, const std::optional<std::string>& row) {
                       return v + "=" + row.value_or("none");
                   })
        .to("out");
    return b.build(config);
}

class source_changelog_restore : public ::testing::TestWithParam<std::string> {
protected:
    source_changelog_restore()
        : _dir(std::filesystem::temp_directory_path() /
               ("brook-source-restore-" + std::to_string(::getpid()) + "-" +
                std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()))),
          _config({{"application.id", app_id},
                   {"bootstrap.servers", "fake:9092"},
                   {"state.dir", _dir.string()},
                   {"processing.guarantee", GetParam()},
                   {"commit.interval.ms", "20"},
                   {"statestore.cache.max.bytes", "0"},
                   {"max.task.idle.ms", "2000"}, // a task waits for both of its inputs
                   {"topology.optimization", "reuse.ktable.source.topics"},
                   {"poll.ms", "5"}}),
          _topology(rows_join(_config)) {
        _cluster.create_topic("rows", 2);
        _cluster.create_topic("events", 2);
        _cluster.create_topic("out", 2);
    }

    ~source_changelog_restore() override {
        stop();
        std::error_code ec;
        std::filesystem::remove_all(_dir, ec);
    }

    void start() {
        stream_thread_options options;
        options.bootstrap = "fake:9092";
        options.clients = &_clients;
        options.transactional_id_prefix = "source-test";
        _thread = std::make_unique<stream_thread>(1, _topology, _config, std::move(options));
        _thread->start();
    }

    void stop() {
        if (_thread) {
            _thread->request_shutdown();
            ASSERT_TRUE(_thread->wait_until_dead(20s));
            _thread.reset();
        }
    }

    // The committed output ("a" and "c" are partition 0's keys by murmur2, "b" and "d" 1's).
    std::vector<std::string> output() const {
        std::vector<std::string> out;
        for (int32_t p = 0; p < 2; ++p) {
            for (const auto& r : _cluster.read_committed("out", p)) {
                out.push_back(*r.key + ":" + *r.value);
            }
        }
        return out;
    }

    bool committed_to(const std::string& topic, int64_t next, int32_t partition = 0) const {
        const auto c = _cluster.committed({topic, partition});
        return c && c->next.value == next;
    }

    std::filesystem::path _dir;
    fake_cluster _cluster;
    fake_client_factory _clients{_cluster};
    streams_config _config;
    topology _topology;
    std::unique_ptr<stream_thread> _thread;
};

TEST_P(source_changelog_restore, a_table_restores_from_its_topic_up_to_the_committed_offset) {
    _cluster.append("rows", 0, "a", "a1", 10);
    _cluster.append("rows", 0, std::nullopt, "no key", 11); // the table skips it
    _cluster.append("rows", 0, "c", "c1", 12);
    _cluster.append("rows", 0, "c", std::nullopt, 13); // deletes c
    _cluster.append("rows", 0, "c", "c2", 14);
    _cluster.append("rows", 1, "b", "b1", 10);
    _cluster.append("rows", 1, "d", "d1", 11);
    _cluster.append("rows", 1, "d", std::nullopt, 12); // deletes d for good
    _cluster.append("events", 0, "a", "x", 20);
    start();
    ASSERT_TRUE(eventually(
        [&] {
            return committed_to("rows", 5) && committed_to("events", 1) &&
                   committed_to("rows", 3, 1);
        },
        30s));
    stop();
    EXPECT_EQ(output(), (std::vector<std::string>{"a:x=a1"}));
    EXPECT_EQ(_cluster.partitions(std::string(app_id) + "-rows-store-changelog"), 0)
        << "the store wrote a changelog of its own";

    // The local state is gone: the next thread must restore the table from "rows". An
    // update past the committed offset is the task's to process, after the older event.
    std::filesystem::remove_all(_dir);
    _cluster.append("rows", 0, "a", "a2", 30);
    _cluster.append("events", 0, "a", "y", 25);
    _cluster.append("events", 0, "c", "z", 31);
    start();
    ASSERT_TRUE(
        eventually([&] { return committed_to("events", 3) && committed_to("rows", 6); }, 30s));
    _cluster.append("events", 0, "a", "w", 40);
    ASSERT_TRUE(eventually([&] { return committed_to("events", 4); }, 30s));
    stop();
    EXPECT_EQ(output(), (std::vector<std::string>{"a:x=a1", "a:y=a1", "c:z=c2", "a:w=a2"}));

    // Started again on the state it kept: the stores restore from their checkpoints (the
    // offsets committed last) and hold every row the topic says, a deleted one included.
    _cluster.append("rows", 0, "a", "a3", 50);
    _cluster.append("events", 0, "a", "v", 55);
    _cluster.append("events", 1, "b", "u", 60);
    _cluster.append("events", 1, "d", "t", 61);
    start();
    ASSERT_TRUE(eventually(
        [&] {
            return committed_to("events", 5) && committed_to("rows", 7) &&
                   committed_to("events", 2, 1);
        },
        30s));
    stop();
    EXPECT_EQ(output(), (std::vector<std::string>{"a:x=a1", "a:y=a1", "c:z=c2", "a:w=a2", "a:v=a3",
                                                  "b:u=b1", "d:t=none"}));
}

INSTANTIATE_TEST_SUITE_P(guarantees, source_changelog_restore,
                         ::testing::Values("at_least_once", "exactly_once_v2"));

} // namespace
} // namespace brook
