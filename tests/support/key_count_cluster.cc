#include "tests/support/key_count_cluster.h"

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <regex>
#include <signal.h>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "engine/kafka/admin_client.h"
#include "engine/serde/partitioner.h"
#include "tests/support/assignment_log.h"
#include "tests/support/broker.h"
#include "tests/support/topic_tail.h"

namespace brook::testing {

using namespace std::chrono_literals;

namespace {

std::string key_of(int64_t k) {
    return fmt::format("k{:07d}", k);
}

} // namespace

key_count_cluster::key_count_cluster(const std::string& prefix, int partitions, int64_t keys,
                                     std::vector<std::string> settings)
    : _partitions(partitions), _keys(keys), _settings(std::move(settings)),
      _in(unique_name(prefix + "-in")), _out(unique_name(prefix + "-out")),
      _app_id(unique_name(prefix + "-app")),
      _root(std::filesystem::temp_directory_path() / unique_name(prefix)),
      _expected(static_cast<size_t>(keys), 0) {
    kafka::admin_client admin(real_client_config());
    admin.create_topics({{_in, partitions, 1, {}}, {_out, partitions, 1, {}}}, 30s);
    _producer = std::make_unique<kafka::producer>(real_client_config());
    _topic = _producer->open_topic(_in);
}

key_count_cluster::~key_count_cluster() {
    _apps.clear(); // kills what still runs
    if (std::getenv("BROOK_KEEP_TEST_DIRS") != nullptr) {
        std::cout << "kept " << _root.string() << "\n";
        return;
    }
    std::error_code ec;
    std::filesystem::remove_all(_root, ec);
}

void key_count_cluster::start(int n, const std::vector<std::string>& extra) {
    const auto dir = state_dir(n);
    std::filesystem::create_directories(dir);
    std::vector<std::string> args{
        bin_path("brook-test-key-count"), real_bootstrap(), _app_id, _in, _out, dir.string()};
    args.insert(args.end(), _settings.begin(), _settings.end());
    args.insert(args.end(), extra.begin(), extra.end());
    _apps[n] = std::make_unique<app_process>(args, log_of(n).string());
}

int key_count_cluster::stop(int n, int signal) {
    auto it = _apps.find(n);
    return it == _apps.end() ? -1001 : it->second->stop(signal);
}

bool key_count_cluster::alive(int n) {
    auto it = _apps.find(n);
    return it != _apps.end() && it->second->alive();
}

void key_count_cluster::write(int64_t k) {
    const std::string key = key_of(k);
    _producer->produce(_topic.get(), default_partition(key, _partitions), key,
                       std::string_view("x"));
    ++_expected[static_cast<size_t>(k)];
}

void key_count_cluster::flush() {
    _producer->flush(120s);
    // The tally counts every record written: one the broker never took would make a count
    // look wrong through no fault of the app.
    if (_producer->failed_deliveries() > 0) {
        throw std::runtime_error(fmt::format("{} records were not delivered: the test's input "
                                             "is incomplete",
                                             _producer->failed_deliveries()));
    }
}

bool key_count_cluster::wait_consumed(std::chrono::seconds patience) {
    return wait_committed_to_end(real_client_config(), _app_id, _in, _partitions, patience);
}

bool write_through_kills_and_a_burst(key_count_cluster& c) {
    constexpr int64_t records = 60'000;
    for (int64_t i = 0; i < records; ++i) {
        c.write((i * 7919) % c.keys());
        if (i == 9'999) {
            // Both instances are counting before the kill comes.
            c.flush();
            if (!c.wait_consumed(120s)) {
                ADD_FAILURE() << "the group did not count the first records";
                return false;
            }
        } else if (i % 10'000 == 9'999 && i < 45'000) {
            c.flush();
            std::this_thread::sleep_for(500ms);
        }
        if (i == 25'000) {
            EXPECT_EQ(c.stop(1, SIGKILL), -SIGKILL);
            c.start(1); // on the same state directory, while its session still holds tasks
        }
        if (i == 35'000) {
            EXPECT_EQ(c.stop(1, SIGKILL), -SIGKILL);
            c.start(1);
            std::this_thread::sleep_for(300ms);
            EXPECT_EQ(c.stop(1, SIGKILL), -SIGKILL); // while it restores and rejoins
            c.start(1);
        }
        if (i == 44'999) {
            // Everything so far counted, then idle: the rest comes as one burst.
            c.flush();
            if (!c.wait_consumed(300s)) {
                ADD_FAILURE() << "the group did not count the records before the idle time";
                return false;
            }
            std::this_thread::sleep_for(3s);
        }
    }
    c.flush();
    if (!c.wait_consumed(300s)) {
        ADD_FAILURE() << "the group did not count every record";
        return false;
    }
    return true;
}

std::filesystem::path key_count_cluster::log_of(int n) const {
    return _root / fmt::format("instance-{}.log", n);
}

std::filesystem::path key_count_cluster::state_dir(int n) const {
    return _root / fmt::format("state-{}", n);
}

key_count_cluster::output_report key_count_cluster::check_output() {
    output_report r;
    std::vector<int64_t> last(static_cast<size_t>(_keys), 0);
    r.expected_records = committed_record_count(real_client_config(), {_out}, _partitions, 120s);
    topic_tail out(real_client_config(), _out, _partitions);
    out.poll_until([&] { return r.records >= r.expected_records; }, 300s,
                   [&](const rd_kafka_message_t& m) {
                       ++r.records;
                       const std::string key(static_cast<const char*>(m.key), m.key_len);
                       const std::string value(static_cast<const char*>(m.payload), m.len);
                       const auto k = static_cast<size_t>(std::stoll(key.substr(1)));
                       const int64_t n = std::stoll(value);
                       if (n <= last[k]) {
                           ++r.not_rising;
                           if (r.examples.size() < 5) {
                               r.examples.push_back(
                                   fmt::format("{}: {} written after {}", key, n, last[k]));
                           }
                       }
                       last[k] = n;
                   });
    for (int64_t k = 0; k < _keys; ++k) {
        const int64_t n = _expected[static_cast<size_t>(k)];
        ++r.keys_checked;
        if (last[static_cast<size_t>(k)] != n) {
            ++r.wrong_counts;
            if (r.examples.size() < 10) {
                r.examples.push_back(fmt::format("{}: counted {}, written {}", key_of(k),
                                                 last[static_cast<size_t>(k)], n));
            }
        }
    }
    return r;
}

std::set<int32_t> last_assigned_partitions(const std::filesystem::path& log) {
    std::set<int32_t> last;
    const std::vector<logged_assignment> all = assignments_in(log);
    if (!all.empty()) {
        for (const std::string& id : all.back().tasks) {
            const size_t underscore = id.find('_');
            if (underscore != std::string::npos) {
                last.insert(std::stoi(id.substr(underscore + 1)));
            }
        }
    }
    return last;
}

int64_t running_again_at(const std::filesystem::path& log, int64_t since) {
    static const std::regex line(R"(^STATE (\w+) (\d+)$)");
    std::ifstream in(log);
    std::string text;
    bool rebalanced = false;
    int64_t running = -1;
    while (std::getline(in, text)) {
        std::smatch m;
        if (!std::regex_match(text, m, line)) {
            continue;
        }
        if (std::stoll(m[2].str()) < since) {
            // Already rebalancing at `since` (a rebalance that began just before the kill
            // and ends after it): the next RUNNING counts.
            rebalanced = m[1].str() == "REBALANCING";
            continue;
        }
        if (m[1].str() == "PENDING_SHUTDOWN") {
            break;
        }
        if (m[1].str() == "REBALANCING") {
            rebalanced = true;
        } else if (m[1].str() == "RUNNING" && rebalanced) {
            running = std::stoll(m[2].str());
        }
    }
    return running;
}

std::map<int32_t, int64_t> restored_since(const std::filesystem::path& state_dir, int64_t since) {
    std::map<int32_t, int64_t> restored;
    std::ifstream in(state_dir / "restores.log");
    int64_t when = 0;
    std::string changelog;
    int32_t partition = 0;
    int64_t records = 0;
    while (in >> when >> changelog >> partition >> records) {
        if (when >= since) {
            restored[partition] += records;
        }
    }
    return restored;
}

} // namespace brook::testing
