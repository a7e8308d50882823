// A foreign-key join on the real broker with 2 instances under exactly_once_v2, one
// SIGKILLed mid-flow and started again at once, then SIGKILLed again while it starts and
// rejoins (brook-test-fk-join: LEFT left-joined with
// RIGHT on a foreign key in the left row). The tables are not co-partitioned (4 and 3
// partitions). The test writes right rows, then left rows, then a seeded mix of changes:
// right rows updated and deleted, left rows moved to another foreign key, to none, given
// a new payload, deleted and written again. It computes every left key's final joined row
// from its own input; once the app has read everything, the output's last record of
// every key must be that row (a tombstone, or nothing, for a deleted one).

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <signal.h>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "engine/kafka/admin_client.h"
#include "engine/kafka/producer.h"
#include "engine/serde/partitioner.h"
#include "tests/support/app_instances.h"
#include "tests/support/assignment_log.h"
#include "tests/support/broker.h"
#include "tests/support/topic_tail.h"

namespace brook {
namespace {

using namespace std::chrono_literals;

constexpr int left_partitions = 4;
constexpr int right_partitions = 3;
constexpr int left_keys = 400;
constexpr int right_keys = 40;
constexpr int changes = 6'000;

class fk_cluster {
public:
    fk_cluster() {
        kafka::admin_client admin(testing::real_client_config());
        admin.create_topics({{_left, left_partitions, 1, {}},
                             {_right, right_partitions, 1, {}},
                             {_out, left_partitions, 1, {}}},
                            30s);
        _producer = std::make_unique<kafka::producer>(testing::real_client_config());
    }
    void start(int n) {
        _instances.start(n, {testing::real_bootstrap(), _app_id, _left, _right, _out},
                         {"processing.guarantee=exactly_once_v2"});
    }
    int stop(int n, int signal) { return _instances.stop(n, signal); }
    bool alive(int n) { return _instances.alive(n); }
    std::filesystem::path log_of(int n) const { return _instances.log_of(n); }

    void write_right(const std::string& key, std::optional<std::string> row) {
        write(_right, right_partitions, key, row);
        if (row) {
            _right_rows[key] = *row;
        } else {
            _right_rows.erase(key);
        }
    }
    void write_left(const std::string& key, std::optional<std::string> row) {
        write(_left, left_partitions, key, row);
        if (row) {
            _left_rows[key] = *row;
        } else {
            _left_rows.erase(key);
        }
    }
    void flush() { _producer->flush(60s); }

    // Every left key's joined row as the app must end with it (nullopt: no row).
    std::map<std::string, std::optional<std::string>> expected() const {
        std::map<std::string, std::optional<std::string>> out;
        for (int k = 0; k < left_keys; ++k) {
            out[fmt::format("l{:03d}", k)] = std::nullopt;
        }
        for (const auto& [key, row] : _left_rows) {
            const auto bar = row.find('|');
            const std::string fk = row.substr(0, bar);
            const std::string payload = row.substr(bar + 1);
            auto it = fk == "-" ? _right_rows.end() : _right_rows.find(fk);
            out[key] = payload + "+" + (it == _right_rows.end() ? "null" : it->second);
        }
        return out;
    }

    // The output's last record per key, read committed, polled until it equals `want` or
    // `patience` passes (the join settles once its internal topics are read); returns the
    // last state seen.
    std::map<std::string, std::optional<std::string>>
    settle(const std::map<std::string, std::optional<std::string>>& want,
           std::chrono::seconds patience) {
        testing::topic_tail tail(testing::real_client_config(), _out, left_partitions);
        std::map<std::string, std::optional<std::string>> last;
        for (const auto& [key, _] : want) {
            last[key] = std::nullopt;
        }
        tail.poll_until([&] { return last == want; }, patience,
                        [&](const rd_kafka_message_t& m) {
                            const std::string key(static_cast<const char*>(m.key), m.key_len);
                            last[key] = m.payload == nullptr
                                            ? std::nullopt
                                            : std::optional<std::string>(std::string(
                                                  static_cast<const char*>(m.payload), m.len));
                        });
        return last;
    }

private:
    void write(const std::string& topic, int partitions, const std::string& key,
               const std::optional<std::string>& row) {
        _producer->produce(topic, default_partition(key, partitions), key,
                           row ? nullable_bytes(*row) : nullable_bytes{});
    }

    std::string _left = testing::unique_name("fk-left");
    std::string _right = testing::unique_name("fk-right");
    std::string _out = testing::unique_name("fk-out");
    std::string _app_id = testing::unique_name("fk-app");
    std::unique_ptr<kafka::producer> _producer;
    testing::app_instances _instances{"brook-test-fk-join", "fk-join"};
    std::map<std::string, std::string> _left_rows;
    std::map<std::string, std::string> _right_rows;
};

TEST(foreign_key_join_on_broker, two_instances_end_exact_through_foreign_key_changes_and_kills) {
    fk_cluster c;
    std::mt19937_64 random(20261206);
    const auto right_key = [&] { return fmt::format("r{:02d}", random() % right_keys); };
    const auto left_key = [&] { return fmt::format("l{:03d}", random() % left_keys); };
    int version = 0;
    const auto left_row = [&] {
        const bool none = random() % 10 == 0;
        return fmt::format("{}|p{}", none ? std::string("-") : right_key(), ++version);
    };

    c.start(0);
    c.start(1);
    for (int k = 0; k < right_keys; ++k) {
        c.write_right(fmt::format("r{:02d}", k), fmt::format("R{}v0", k));
    }
    c.flush();
    for (int k = 0; k < left_keys; ++k) {
        c.write_left(fmt::format("l{:03d}", k), left_row());
    }
    c.flush();
    // Both instances hold tasks before the changes start.
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (testing::assignments_in(c.log_of(0)).empty() ||
           testing::assignments_in(c.log_of(1)).empty()) {
        ASSERT_LT(std::chrono::steady_clock::now(), deadline)
            << "the two instances did not both get tasks; logs in " << c.log_of(0).parent_path();
        std::this_thread::sleep_for(200ms);
    }

    for (int i = 0; i < changes; ++i) {
        const auto what = random() % 20;
        if (what < 6) {
            c.write_right(right_key(), fmt::format("R{}", ++version));
        } else if (what == 6) {
            c.write_right(right_key(), std::nullopt);
        } else if (what < 17) {
            c.write_left(left_key(), left_row()); // a new foreign key, none, or new payload
        } else {
            c.write_left(left_key(), std::nullopt);
        }
        if (i % 1'000 == 999) {
            c.flush();
            std::this_thread::sleep_for(300ms);
        }
        if (i == changes / 3) {
            EXPECT_EQ(c.stop(1, SIGKILL), -SIGKILL);
            c.start(1); // on the same state directory
        }
        if (i == 2 * changes / 3) {
            EXPECT_EQ(c.stop(1, SIGKILL), -SIGKILL);
            c.start(1);
            std::this_thread::sleep_for(300ms);
            EXPECT_EQ(c.stop(1, SIGKILL), -SIGKILL); // while it restores and rejoins
            c.start(1);
        }
    }
    c.flush();

    const auto want = c.expected();
    const auto got = c.settle(want, 180s);
    int wrong = 0;
    for (const auto& [key, row] : want) {
        const auto it = got.find(key);
        const std::optional<std::string> seen = it == got.end() ? std::nullopt : it->second;
        if (seen != row && ++wrong <= 10) {
            ADD_FAILURE() << key << ": the output ends with " << seen.value_or("(no row)")
                          << ", the input makes it " << row.value_or("(no row)");
        }
    }
    EXPECT_EQ(wrong, 0) << "left keys whose joined row is not what the input makes it";
    EXPECT_TRUE(c.alive(0) && c.alive(1)) << "an instance exited by itself";
    EXPECT_EQ(c.stop(0, SIGTERM), 0);
    EXPECT_EQ(c.stop(1, SIGTERM), 0);
}

} // namespace
} // namespace brook
