#pragma once

// key_count_cluster: instances of brook-test-key-count (tests/apps/key_count_app.cc) on one
// application id over a real broker, with their input and output topics and the test's own
// tally of what it wrote, for tests that kill instances and then check every count.
//
// Each key is "k<7 digits>"; the app writes every new count of a key to the output. The
// output is right when every key's counts rise strictly (a count written twice or going
// back means records were processed twice, or state was lost) and the last one equals the
// number of records written with that key.
//
// Lifecycle: one per test; the destructor kills instances still running (app_process) and
// removes the state directories and logs (kept when BROOK_KEEP_TEST_DIRS is set). Threading: the
// test's thread only.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "engine/kafka/producer.h"
#include "tests/support/app_process.h"

namespace brook::testing {

class key_count_cluster {
public:
    // Topics of `partitions` partitions; `keys` distinct keys; `settings` are KEY=VALUE
    // pairs every instance gets (processing.guarantee=..., num.standby.replicas=...).
    key_count_cluster(const std::string& prefix, int partitions, int64_t keys,
                      std::vector<std::string> settings);
    ~key_count_cluster();
    key_count_cluster(const key_count_cluster&) = delete;
    key_count_cluster& operator=(const key_count_cluster&) = delete;

    // Starts instance `n` (again) on its state directory, with `extra` settings too.
    void start(int n, const std::vector<std::string>& extra = {});
    // app_process::stop(); -1001 when `n` is not running.
    int stop(int n, int signal);
    bool alive(int n);
    const std::map<int, std::unique_ptr<app_process>>& instances() const { return _apps; }

    // Writes one record with key `k` (0 <= k < keys) and counts it.
    void write(int64_t k);
    void flush();
    // True once the group's committed offsets reach the input's end.
    bool wait_consumed(std::chrono::seconds patience);

    std::filesystem::path log_of(int n) const;
    std::filesystem::path state_dir(int n) const;
    int partitions() const { return _partitions; }
    const std::string& application_id() const { return _app_id; }
    int64_t keys() const { return _keys; }

    struct output_report {
        int64_t records = 0;
        int64_t expected_records = 0; // committed records in the output
        int64_t keys_checked = 0;
        int64_t wrong_counts = 0; // last count differs from what was written
        int64_t not_rising = 0;   // a count not above the key's previous one
        std::vector<std::string> examples;
    };
    // Reads the whole committed output.
    output_report check_output();

private:
    const int _partitions;
    const int64_t _keys;
    std::vector<std::string> _settings;
    std::string _in, _out, _app_id;
    std::filesystem::path _root;
    std::map<int, std::unique_ptr<app_process>> _apps;
    std::unique_ptr<kafka::producer> _producer;
    kafka::topic_ptr _topic;
    std::vector<int64_t> _expected;
};

// The input and the faults of the tests that count exactly through kills: 60,000 records
// over the cluster's keys (stride 7919). Both instances count the first 10,000 before any
// kill; instance 1 is SIGKILLed at 25,000 and started again at once (its session still
// holds tasks), and at 35,000 SIGKILLed, started, and SIGKILLed again 300 ms later while
// it restores and rejoins, then started; everything before 45,000 is counted, the group
// sits idle 3 s, and the rest comes as one burst. Instances 0 and 1 must be running.
// Returns false, with the gtest failure recorded, when the group does not keep up.
bool write_through_kills_and_a_burst(key_count_cluster& c);

// The partitions of the tasks an instance said it was assigned last, from its log
// ("assigned tasks [0_1,0_2]"); empty if it never said.
std::set<int32_t> last_assigned_partitions(const std::filesystem::path& log);
// When the key-count instance was RUNNING again after `since` (wall ms): its last
// "STATE RUNNING" at or after `since` that follows a "STATE REBALANCING" (at or after
// `since`, or the state it was in at `since`), before it began to shut down (so after the
// last rebalance it went through); -1 if none.
int64_t running_again_at(const std::filesystem::path& log, int64_t since);
// Records restored per changelog partition (= task) since `since` (wall ms), from the
// instance's restores.log.
std::map<int32_t, int64_t> restored_since(const std::filesystem::path& state_dir, int64_t since);

} // namespace brook::testing
