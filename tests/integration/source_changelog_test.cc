// topology.optimization=all on the real broker: a table read from a compacted topic keeps
// no changelog and restores from the topic itself. 2 instances of brook-test-table-join
// under exactly_once_v2 read every row (versions and deletes; a compacted topic takes no
// null-key record, and source_changelog_restore_test.cc shows the restore skipping one)
// and are
// SIGKILLed; both lose their state directories, more rows come while they are down, and
// one is SIGKILLed again while it starts and restores. Then every key gets one event,
// which must be joined exactly once with the key's last row as the test wrote it (none for
// a deleted key): rows below the committed offset come back only through the restore from
// the topic, rows above it only through processing. A topic that is not compacted is
// refused at start with the reason.

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <signal.h>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "engine/kafka/admin_client.h"
#include "engine/kafka/producer.h"
#include "engine/serde/partitioner.h"
#include "tests/support/app_instances.h"
#include "tests/support/broker.h"
#include "tests/support/topic_tail.h"

namespace brook {
namespace {

using namespace std::chrono_literals;

constexpr int partitions = 3;
constexpr int keys = 600;

class table_join_cluster {
public:
    explicit table_join_cluster(bool compacted) {
        kafka::admin_client admin(testing::real_client_config());
        std::map<std::string, std::string> rows_config;
        if (compacted) {
            rows_config["cleanup.policy"] = "compact";
        }
        admin.create_topics({{_rows, partitions, 1, rows_config},
                             {_events, partitions, 1, {}},
                             {_out, partitions, 1, {}}},
                            30s);
        _producer = std::make_unique<kafka::producer>(testing::real_client_config());
    }
    void start(int n) {
        _instances.start(n, {testing::real_bootstrap(), _app_id, _rows, _events, _out},
                         {"processing.guarantee=exactly_once_v2", "topology.optimization=all"});
    }
    int stop(int n, int signal) { return _instances.stop(n, signal); }
    std::filesystem::path log_of(int n) const { return _instances.log_of(n); }
    std::filesystem::path state_dir(int n) const { return _instances.state_dir(n); }
    const std::string& application_id() const { return _app_id; }

    void write_row(int k, std::optional<std::string> row) {
        write(_rows, key(k), row);
        _rows_now[key(k)] = std::move(row);
    }
    void write_event(int k) { write(_events, key(k), fmt::format("e{}", k)); }
    void flush() { _producer->flush(60s); }

    // Waits until the app's group has committed every row; false on timeout.
    bool rows_consumed(std::chrono::seconds patience) {
        return testing::wait_committed_to_end(testing::real_client_config(), _app_id, _rows,
                                              partitions, patience);
    }

    // Each key's joined value as the test's input makes it.
    std::map<std::string, std::string> expected() const {
        std::map<std::string, std::string> out;
        for (int k = 0; k < keys; ++k) {
            const auto it = _rows_now.find(key(k));
            const bool has_row = it != _rows_now.end() && it->second;
            out[key(k)] = fmt::format("e{}=", k) + (has_row ? *it->second : std::string("none"));
        }
        return out;
    }

    // Every output value per key, read committed until each key has one (and a last look
    // for duplicates), or `patience` passes.
    std::map<std::string, std::vector<std::string>> outputs(std::chrono::seconds patience) {
        testing::topic_tail tail(testing::real_client_config(), _out, partitions);
        std::map<std::string, std::vector<std::string>> seen;
        const auto take = [&](const rd_kafka_message_t& m) {
            const std::string k(static_cast<const char*>(m.key), m.key_len);
            seen[k].emplace_back(static_cast<const char*>(m.payload), m.len);
        };
        tail.poll_until([&] { return seen.size() >= static_cast<size_t>(keys); }, patience, take);
        tail.poll(2s, take);
        return seen;
    }

    static std::string key(int k) { return fmt::format("k{:04d}", k); }

private:
    static int64_t now() {
        return std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
            .count();
    }
    void write(const std::string& topic, const std::string& k,
               const std::optional<std::string>& value) {
        _producer->produce(topic, default_partition(k, partitions), k,
                           value ? nullable_bytes(*value) : nullable_bytes{}, now());
    }

    std::string _rows = testing::unique_name("tj-rows");
    std::string _events = testing::unique_name("tj-events");
    std::string _out = testing::unique_name("tj-out");
    std::string _app_id = testing::unique_name("tj-app");
    std::unique_ptr<kafka::producer> _producer;
    testing::app_instances _instances{"brook-test-table-join", "table-join"};
    std::map<std::string, std::optional<std::string>> _rows_now;
};

TEST(source_changelog_on_broker, two_instances_restore_a_table_from_its_topic_through_kills) {
    table_join_cluster c(true);
    for (int version = 1; version <= 3; ++version) {
        for (int k = 0; k < keys; ++k) {
            c.write_row(k, fmt::format("v{}-{}", version, k));
        }
    }
    for (int k = 0; k < keys; k += 7) {
        c.write_row(k, std::nullopt); // deleted
    }
    c.flush();
    c.start(0);
    c.start(1);
    ASSERT_TRUE(c.rows_consumed(120s))
        << "the app did not read the rows; logs in " << c.log_of(0).parent_path();

    EXPECT_EQ(c.stop(0, SIGKILL), -SIGKILL);
    EXPECT_EQ(c.stop(1, SIGKILL), -SIGKILL);
    std::filesystem::remove_all(c.state_dir(0));
    std::filesystem::remove_all(c.state_dir(1));
    // Past the committed offset: processed after the restore, not restored.
    for (int k = 0; k < keys; k += 5) {
        c.write_row(k, fmt::format("v4-{}", k));
    }
    c.flush();
    c.start(0);
    c.start(1);
    std::this_thread::sleep_for(400ms);
    EXPECT_EQ(c.stop(0, SIGKILL), -SIGKILL); // while it starts, restores and joins
    c.start(0);
    ASSERT_TRUE(c.rows_consumed(180s))
        << "the restarted app did not read the rows; logs in " << c.log_of(0).parent_path();

    for (int k = 0; k < keys; ++k) {
        c.write_event(k);
    }
    c.flush();
    const auto seen = c.outputs(120s);
    const auto want = c.expected();
    int wrong = 0;
    int duplicated = 0;
    for (const auto& [k, value] : want) {
        const auto it = seen.find(k);
        if (it == seen.end() || it->second.empty()) {
            ADD_FAILURE() << k << ": no output, want " << value;
            ++wrong;
            continue;
        }
        duplicated += it->second.size() > 1 ? 1 : 0;
        if (it->second.front() != value) {
            if (++wrong <= 5) {
                ADD_FAILURE() << k << ": " << it->second.front() << ", want " << value;
            }
        }
    }
    EXPECT_EQ(wrong, 0);
    EXPECT_EQ(duplicated, 0) << "events joined more than once";
    EXPECT_EQ(seen.size(), want.size());

    kafka::admin_client admin(testing::real_client_config());
    for (const std::string& t : admin.topic_names(10s)) {
        EXPECT_FALSE(t.starts_with(c.application_id() + "-") && t.ends_with("-changelog"))
            << "the table's store wrote a changelog of its own: " << t;
    }
    EXPECT_EQ(c.stop(0, SIGTERM), 0);
    EXPECT_EQ(c.stop(1, SIGTERM), 0);
}

TEST(source_changelog_on_broker, a_table_topic_that_is_not_compacted_is_refused_with_the_reason) {
    table_join_cluster c(false);
    c.start(0);
    // It exits on its own (signal 0 sends nothing: stop() only waits), with a configuration
    // error that names the topic's policy.
    const int status = c.stop(0, 0);
    EXPECT_NE(status, 0);
    std::ifstream log(c.log_of(0));
    std::stringstream text;
    text << log.rdbuf();
    EXPECT_NE(text.str().find("cleanup.policy=delete"), std::string::npos) << text.str();
}

} // namespace
} // namespace brook
