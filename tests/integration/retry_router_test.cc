// brook-retry-router as shipped, against the real broker: 100,000 records, some handled
// at once, some after 1, 2 or 3 failures, some failing every tier, some poison and some
// malformed, end exactly once in <input>.processed or <input>.dlq as their content says,
// with the right attempt and history headers, and no record is tried again before its due
// time; under at_least_once (with /metrics checked) and under exactly_once_v2 with the
// router killed (SIGKILL) twice mid-run. And the replay command.
//
// What each record must become comes from how the test wrote it, not from the router's
// code: the test knows each value's fail_attempts, poison flag, event type and where it
// landed in the input.

#include <algorithm>
#include <cstdio>
#include <functional>
#include <map>
#include <set>
#include <signal.h>
#include <sys/wait.h>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "engine/kafka/admin_client.h"
#include "engine/kafka/producer.h"
#include "tests/support/app_process.h"
#include "tests/support/broker.h"
#include "tests/support/http_get.h"
#include "tests/support/topic_tail.h"

namespace brook {
namespace {

using namespace std::chrono_literals;

constexpr int partitions = 4;
constexpr int64_t records = 100'000;
constexpr int tiers = 3;
// --retry-delays 1s,2s,4s and --retry-delays-for fast=200ms,300ms,500ms
constexpr int64_t default_delays[tiers] = {1000, 2000, 4000};
constexpr int64_t fast_delays[tiers] = {200, 300, 500};

enum class fate { processed, dead_letter };

// What the router must make of one input value.
struct expectation {
    fate where = fate::processed;
    int64_t attempt = 0;    // the attempt header of the final record (0: absent on output)
    std::string cause;      // dead letters: dead-letter-cause
    int tier_records = 0;   // how many retry tiers it passes through
    bool fast = false;      // event type "fast" (its own schedule)
    int32_t partition = -1; // where the test's producer put it in the input
    int64_t offset = -1;
    int64_t timestamp = -1;

    int64_t delay(int tier) const { return (fast ? fast_delays : default_delays)[tier - 1]; }
};

// Record i of the mix: per 20 records, 1 malformed, 2 poison, 1 failing every tier, 3
// failing once, 2 twice, 1 three times and 10 handled at once; every second block of 20
// has the event type "fast".
std::pair<std::string, expectation> make_record(int64_t i) {
    expectation e;
    const int64_t slot = i % 20;
    e.fast = (i / 20) % 2 == 1;
    if (slot == 0) {
        e.where = fate::dead_letter;
        e.cause = "unreadable";
        switch ((i / 20) % 3) {
        case 0:
            return {fmt::format("not json #{}", i), e};
        case 1:
            return {fmt::format(R"({{"seq":{},"fail_attempts":1}})", i), e}; // no id
        default:
            return {fmt::format(R"({{"id":"m{}","fail_attempts":"two"}})", i), e};
        }
    }
    nlohmann::json j = {{"id", fmt::format("r{}", i)}};
    if (e.fast) {
        j["event_type"] = "fast";
    }
    int64_t fail = 0;
    if (slot <= 2) {
        j["poison"] = true;
        e.where = fate::dead_letter;
        e.cause = "non-retriable";
        e.attempt = 1;
        return {j.dump(), e};
    }
    if (slot == 3) {
        fail = 5;
    } else if (slot <= 6) {
        fail = 1;
    } else if (slot <= 8) {
        fail = 2;
    } else if (slot == 9) {
        fail = 3;
    }
    if (fail > 0) {
        j["fail_attempts"] = fail;
    }
    if (fail > tiers) {
        e.where = fate::dead_letter;
        e.cause = "retries-exhausted";
        e.attempt = tiers + 1;
        e.tier_records = tiers;
    } else {
        e.attempt = fail;
        e.tier_records = static_cast<int>(fail);
    }
    return {j.dump(), e};
}

// One record read back from the router's topics.
struct seen {
    int32_t partition = -1;
    int64_t offset = -1;
    int64_t timestamp = -1;
    std::map<std::string, std::string> headers;
    std::string header(const std::string& name) const {
        const auto it = headers.find(name);
        return it == headers.end() ? "<absent>" : it->second;
    }
    int64_t int_header(const std::string& name) const {
        const auto it = headers.find(name);
        return it == headers.end() ? -1 : std::stoll(it->second);
    }
};

std::map<std::string, std::string> headers_of(const rd_kafka_message_t& m) {
    std::map<std::string, std::string> out;
    rd_kafka_headers_t* h = nullptr;
    if (rd_kafka_message_headers(&m, &h) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return out;
    }
    const char* name = nullptr;
    const void* value = nullptr;
    size_t size = 0;
    for (size_t i = 0;
         rd_kafka_header_get_all(h, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; ++i) {
        out[name] = value == nullptr ? "" : std::string(static_cast<const char*>(value), size);
    }
    return out;
}

// A handler of (topic, value, seen) as a topic_tail takes it; a null value reads "<null>".
std::function<void(const rd_kafka_message_t&)>
as_seen(std::function<void(const std::string&, const std::string&, seen)> on_record) {
    return [on_record = std::move(on_record)](const rd_kafka_message_t& m) {
        on_record(
            rd_kafka_topic_name(m.rkt),
            m.payload == nullptr ? std::string("<null>")
                                 : std::string(static_cast<const char*>(m.payload), m.len),
            seen{m.partition, m.offset, rd_kafka_message_timestamp(&m, nullptr), headers_of(m)});
    };
}

struct run_figures {
    int64_t finals = 0; // records in .processed and .dlq
    int64_t tier_records = 0;
    int64_t missing = 0;     // values with no final record
    int64_t duplicates = 0;  // a value twice in the finals or twice in one tier
    int64_t unexpected = 0;  // a value the test never wrote
    int64_t wrong_place = 0; // in .processed instead of .dlq or the other way round
    int64_t wrong_attempt = 0;
    int64_t wrong_headers = 0;  // cause, error, original-*, first-failure-ts, due-ts, ...
    int64_t wrong_tiers = 0;    // not exactly the tiers its content asks for
    int64_t early = 0;          // tried again before its due time
    int64_t checked_delays = 0; // pairs (tier record, next record) whose timing was checked
    // How long after its due time each retry came, for the default schedule's records and
    // for the "fast" type's; a tier is FIFO, so a fast record may wait behind a slower one.
    std::vector<int64_t> late_default_ms;
    std::vector<int64_t> late_fast_ms;
};

// "p50 x ms, p99 y ms, max z ms" of `v` (sorted here).
std::string percentiles(std::vector<int64_t> v) {
    if (v.empty()) {
        return "none";
    }
    std::sort(v.begin(), v.end());
    const auto at = [&](double q) {
        return v[static_cast<size_t>(q * static_cast<double>(v.size() - 1))];
    };
    return fmt::format("p50 {} ms, p99 {} ms, max {} ms", at(0.5), at(0.99), v.back());
}

class retry_router_app : public ::testing::Test {
protected:
    void SetUp() override {
        input = testing::unique_name("retry-in");
        app_id = testing::unique_name("retry-app");
        state_dir = std::filesystem::temp_directory_path() / testing::unique_name("retry-state");
        kafka::admin_client admin(testing::real_client_config());
        admin.create_topics({{input, partitions, 1, {}}}, 30s);
    }
    void TearDown() override {
        std::filesystem::remove_all(state_dir);
        std::vector<std::string> topics = {input, input + ".processed", input + ".dlq"};
        for (int n = 1; n <= tiers; ++n) {
            topics.push_back(fmt::format("{}.retry.{}", input, n));
        }
        try {
            kafka::admin_client(testing::real_client_config()).delete_topics(topics, 30s);
        } catch (const std::exception& e) {
            std::cerr << "deleting the test's topics: " << e.what() << "\n";
        }
    }

    std::vector<std::string> args(const std::string& guarantee) const {
        return {testing::bin_path("brook-retry-router"),
                "--bootstrap-servers",
                testing::real_bootstrap(),
                "--application-id",
                app_id,
                "--processing-guarantee",
                guarantee,
                "--state-dir",
                state_dir.string(),
                "--input-topic",
                input,
                "--partitions",
                std::to_string(partitions),
                "--retry-delays",
                "1s,2s,4s",
                "--retry-delays-for",
                "fast=200ms,300ms,500ms",
                "--set",
                "consumer.session.timeout.ms=6000",
                "--set",
                "consumer.heartbeat.interval.ms=500"};
    }

    // Writes the mix and reads the input back for where each value landed.
    // Records first .. first + count - 1 of the mix.
    std::map<std::string, expectation> produce_input(int64_t first = 0,
                                                     int64_t count = records) const {
        std::map<std::string, expectation> expected;
        kafka::client_config pc = testing::real_client_config();
        pc.set("linger.ms", "20").set("batch.num.messages", "10000");
        kafka::producer p(pc);
        const kafka::topic_ptr t = p.open_topic(input);
        for (int64_t i = first; i < first + count; ++i) {
            auto [value, e] = make_record(i);
            p.produce(t.get(), RD_KAFKA_PARTITION_UA, fmt::format("k{}", i), value);
            expected.emplace(std::move(value), e);
        }
        p.flush(60s);
        EXPECT_EQ(p.failed_deliveries(), 0U);
        size_t read = 0;
        testing::topic_tail in(testing::real_client_config(), input, partitions);
        in.poll_until([&] { return read >= expected.size(); }, 60s,
                      as_seen([&](const std::string&, const std::string& value, seen s) {
                          auto it = expected.find(value);
                          if (it == expected.end()) {
                              return; // written by an earlier call
                          }
                          expectation& e = it->second;
                          e.partition = s.partition;
                          e.offset = s.offset;
                          e.timestamp = s.timestamp;
                          ++read;
                      }));
        EXPECT_EQ(read, expected.size());
        return expected;
    }

    // Reads the router's topics until every value has its final record (and `settle` more,
    // to catch duplicates), then checks everything the test knows.
    run_figures check_outputs(const std::map<std::string, expectation>& expected,
                              std::chrono::seconds patience) const {
        const std::string processed = input + ".processed";
        const std::string dlq = input + ".dlq";
        std::vector<std::string> topics = {processed, dlq};
        for (int n = 1; n <= tiers; ++n) {
            topics.push_back(fmt::format("{}.retry.{}", input, n));
        }
        int64_t expected_tier_records = 0;
        for (const auto& [value, e] : expected) {
            expected_tier_records += e.tier_records;
        }
        // value -> (topic -> records)
        std::map<std::string, std::map<std::string, std::vector<seen>>> by_value;
        run_figures f;
        testing::topic_tail reader(testing::real_client_config(), topics, partitions);
        const auto on_record =
            as_seen([&](const std::string& topic, const std::string& value, seen s) {
                if (topic == processed || topic == dlq) {
                    ++f.finals;
                } else {
                    ++f.tier_records;
                }
                by_value[value][topic].push_back(std::move(s));
            });
        reader.poll_until(
            [&] {
                return f.finals >= static_cast<int64_t>(expected.size()) &&
                       f.tier_records >= expected_tier_records;
            },
            patience, on_record);
        reader.poll_until([] { return false; }, 3s, on_record); // 3 s more, to catch duplicates

        for (const auto& [value, topics_seen] : by_value) {
            if (!expected.contains(value)) {
                ++f.unexpected;
            }
        }
        for (const auto& [value, e] : expected) {
            const auto found = by_value.find(value);
            if (found == by_value.end()) {
                ++f.missing;
                continue;
            }
            const auto& got = found->second;
            const auto count = [&](const std::string& topic) {
                const auto it = got.find(topic);
                return it == got.end() ? size_t{0} : it->second.size();
            };
            const size_t finals = count(processed) + count(dlq);
            if (finals == 0) {
                ++f.missing;
                continue;
            }
            if (finals > 1) {
                ++f.duplicates;
            }
            const std::string& final_topic = count(processed) > 0 ? processed : dlq;
            const seen& last = got.at(final_topic).front();
            if ((e.where == fate::processed) != (final_topic == processed)) {
                ++f.wrong_place;
                continue;
            }
            // The attempt header: absent on a record handled at once.
            const int64_t attempt = last.int_header("attempt");
            if (attempt != (e.attempt == 0 && e.where == fate::processed ? -1 : e.attempt)) {
                ++f.wrong_attempt;
            }
            bool headers_ok = true;
            if (e.where == fate::dead_letter) {
                headers_ok = headers_ok && last.header("dead-letter-cause") == e.cause &&
                             !last.header("error").empty() && last.header("error") != "<absent>" &&
                             last.int_header("last-failure-ts") == last.timestamp;
            }
            if (e.attempt > 0 || e.where == fate::dead_letter) {
                headers_ok = headers_ok && last.header("original-topic") == input &&
                             last.int_header("original-partition") == e.partition &&
                             last.int_header("original-offset") == e.offset &&
                             last.int_header("original-timestamp") == e.timestamp &&
                             last.header("due-ts") == "<absent>";
            }
            // The tiers it went through, each once, each with its history.
            std::vector<const seen*> chain;
            bool tiers_ok = true;
            for (int n = 1; n <= tiers; ++n) {
                const size_t c = count(fmt::format("{}.retry.{}", input, n));
                if (c > 1) {
                    ++f.duplicates;
                }
                if ((n <= e.tier_records) != (c > 0)) {
                    tiers_ok = false;
                }
                if (c > 0) {
                    chain.push_back(&got.at(fmt::format("{}.retry.{}", input, n)).front());
                }
            }
            if (!tiers_ok || static_cast<int>(chain.size()) != e.tier_records) {
                ++f.wrong_tiers;
                continue;
            }
            const int64_t first_failure =
                chain.empty() ? -1 : chain[0]->int_header("last-failure-ts");
            for (size_t n = 1; n <= chain.size(); ++n) {
                const seen& t = *chain[n - 1];
                headers_ok = headers_ok && t.int_header("attempt") == static_cast<int64_t>(n) &&
                             t.int_header("first-failure-ts") == first_failure &&
                             t.int_header("last-failure-ts") == t.timestamp &&
                             t.int_header("due-ts") == t.timestamp + e.delay(static_cast<int>(n)) &&
                             t.header("original-topic") == input &&
                             t.int_header("original-partition") == e.partition &&
                             t.int_header("original-offset") == e.offset &&
                             t.header("event-type") == (e.fast ? "fast" : "<absent>");
                // What came of tier n's record: the next tier's, or the final one.
                const seen& next = n < chain.size() ? *chain[n] : last;
                const int64_t due = t.int_header("last-failure-ts") + e.delay(static_cast<int>(n));
                ++f.checked_delays;
                if (next.timestamp < due) {
                    ++f.early;
                } else {
                    (e.fast ? f.late_fast_ms : f.late_default_ms).push_back(next.timestamp - due);
                }
            }
            if (!chain.empty()) {
                headers_ok = headers_ok && last.int_header("first-failure-ts") == first_failure;
            }
            if (!headers_ok) {
                ++f.wrong_headers;
            }
        }
        return f;
    }

    void expect_exact(const run_figures& f, const std::map<std::string, expectation>& expected,
                      const char* label) const {
        std::cout << fmt::format(
            "[ {:<8} ] {} finals, {} tier records: {} missing, {} duplicated, {} unexpected, {} "
            "in the wrong topic, {} wrong attempt, {} wrong headers, {} wrong tiers; {} delays "
            "checked, {} early\n[ {:<8} ] retries after their due time: default schedule {}; "
            "fast type (may wait behind slower records in a tier) {}\n",
            label, f.finals, f.tier_records, f.missing, f.duplicates, f.unexpected, f.wrong_place,
            f.wrong_attempt, f.wrong_headers, f.wrong_tiers, f.checked_delays, f.early, label,
            percentiles(f.late_default_ms), percentiles(f.late_fast_ms));
        EXPECT_EQ(f.finals, static_cast<int64_t>(expected.size()));
        EXPECT_EQ(f.missing, 0);
        EXPECT_EQ(f.duplicates, 0);
        EXPECT_EQ(f.unexpected, 0);
        EXPECT_EQ(f.wrong_place, 0);
        EXPECT_EQ(f.wrong_attempt, 0);
        EXPECT_EQ(f.wrong_headers, 0);
        EXPECT_EQ(f.wrong_tiers, 0);
        EXPECT_EQ(f.early, 0);
        EXPECT_GT(f.checked_delays, 0);
    }

    std::string input;
    std::string app_id;
    std::filesystem::path state_dir;
};

TEST_F(retry_router_app, every_record_ends_exactly_once_where_its_content_says_and_never_early) {
    const auto started = std::chrono::steady_clock::now();
    const auto expected = produce_input();
    const auto produced = std::chrono::steady_clock::now();
    const uint16_t port = testing::free_port();
    std::vector<std::string> a = args("at_least_once");
    a.insert(a.end(), {"--http-port", std::to_string(port)});
    testing::app_process app(a);
    const run_figures f = check_outputs(expected, 300s);
    const auto done = std::chrono::steady_clock::now();
    expect_exact(f, expected, "alos");
    std::cout << fmt::format(
        "[ alos     ] {} records produced in {} ms; all final {} ms after "
        "the router started\n",
        records, std::chrono::duration_cast<std::chrono::milliseconds>(produced - started).count(),
        std::chrono::duration_cast<std::chrono::milliseconds>(done - produced).count());

    // The counters on /metrics agree with the content.
    std::this_thread::sleep_for(1500ms); // lag is published about every 500 ms
    const testing::http_reply reply = testing::http_get("127.0.0.1", port, "/metrics");
    ASSERT_EQ(reply.status, 200) << reply.error;
    int64_t tier_counts[tiers] = {};
    int64_t recovered = 0;
    int64_t succeeded = 0;
    std::map<std::string, int64_t> dead;
    for (const auto& [value, e] : expected) {
        for (int n = 0; n < e.tier_records; ++n) {
            ++tier_counts[n];
        }
        if (e.where == fate::processed) {
            ++succeeded;
            recovered += e.attempt > 0 ? 1 : 0;
        } else {
            ++dead[e.cause];
        }
    }
    std::vector<std::string> lines = {
        fmt::format("brook_retry_router_succeeded_total {}\n", succeeded),
        fmt::format("brook_retry_router_recovered_total {}\n", recovered),
        fmt::format("brook_retry_router_dead_lettered_total{{cause=\"retries_exhausted\"}} {}\n",
                    dead["retries-exhausted"]),
        fmt::format("brook_retry_router_dead_lettered_total{{cause=\"non_retriable\"}} {}\n",
                    dead["non-retriable"]),
        fmt::format("brook_retry_router_dead_lettered_total{{cause=\"unreadable\"}} {}\n",
                    dead["unreadable"])};
    for (int n = 1; n <= tiers; ++n) {
        lines.push_back(fmt::format("brook_retry_router_retried_total{{tier=\"{}\"}} {}\n", n,
                                    tier_counts[n - 1]));
        lines.push_back(fmt::format("brook_retry_router_pending{{tier=\"{}\"}} 0\n", n));
    }
    for (const auto& line : lines) {
        EXPECT_NE(reply.body.find(line), std::string::npos) << line << " not in /metrics";
    }
    EXPECT_EQ(app.stop(SIGTERM), 0);
}

TEST_F(retry_router_app,
       under_exactly_once_killed_twice_mid_run_every_record_still_ends_exactly_once) {
    // Half the input first, the other half once the first run is killed: the second run
    // only gets its partitions when the killed member's session has expired (6 s), and by
    // then every retry of the first half is due, so without new input it would only work
    // off a backlog and might be done before its kill.
    auto expected = produce_input(0, records / 2);
    const auto started = std::chrono::steady_clock::now();
    std::vector<std::string> at_kills;
    for (const auto after : {4s, 9s}) {
        testing::app_process app(args("exactly_once_v2"));
        std::this_thread::sleep_for(after);
        EXPECT_TRUE(app.alive()) << "the router died on its own";
        app.stop(SIGKILL);
        // How far the run was: the final records committed so far (not the end offsets,
        // which also count transaction markers and the killed run's aborted records).
        const int64_t finals = testing::committed_record_count(
            testing::real_client_config(), {input + ".processed", input + ".dlq"}, partitions);
        at_kills.push_back(fmt::format("{} ms ({} of {} records final)",
                                       std::chrono::duration_cast<std::chrono::milliseconds>(
                                           std::chrono::steady_clock::now() - started)
                                           .count(),
                                       finals, expected.size()));
        EXPECT_LT(finals, static_cast<int64_t>(expected.size()))
            << "the run was over before the kill";
        if (at_kills.size() == 1) {
            expected.merge(produce_input(records / 2, records - records / 2));
        }
    }
    testing::app_process app(args("exactly_once_v2"));
    const run_figures f = check_outputs(expected, 300s);
    const auto done = std::chrono::steady_clock::now();
    expect_exact(f, expected, "eos");
    std::cout << fmt::format(
        "[ eos      ] killed at {} and {}; all final {} ms after the first start\n", at_kills.at(0),
        at_kills.at(1),
        std::chrono::duration_cast<std::chrono::milliseconds>(done - started).count());
    EXPECT_TRUE(app.alive());
    EXPECT_EQ(app.stop(SIGTERM), 0);
}

// Runs a command, returning its exit status and what it printed on stdout.
std::pair<int, std::string> run_command(const std::string& command) {
    FILE* pipe = popen(command.c_str(), "r");
    if (pipe == nullptr) {
        return {-1, ""};
    }
    std::string out;
    char buffer[4096];
    while (size_t n = fread(buffer, 1, sizeof buffer, pipe)) {
        out.append(buffer, n);
    }
    const int status = pclose(pipe);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

TEST_F(retry_router_app,
       replay_copies_the_dead_letters_present_back_to_the_input_filtered_by_type) {
    // 10 of each: poison of type "a", failing every tier of type "b", malformed.
    {
        kafka::producer p(testing::real_client_config());
        for (int i = 0; i < 10; ++i) {
            p.produce(input, RD_KAFKA_PARTITION_UA, fmt::format("k{}", i),
                      fmt::format(R"({{"id":"a{}","poison":true,"event_type":"a"}})", i));
            p.produce(input, RD_KAFKA_PARTITION_UA, fmt::format("k{}", i),
                      fmt::format(R"({{"id":"b{}","fail_attempts":9,"event_type":"b"}})", i));
            p.produce(input, RD_KAFKA_PARTITION_UA, fmt::format("k{}", i),
                      fmt::format("garbage {}", i));
        }
        p.flush(30s);
    }
    std::vector<std::string> a = args("at_least_once");
    a[std::find(a.begin(), a.end(), "1s,2s,4s") - a.begin()] = "100ms,100ms,100ms";
    testing::app_process app(a);
    const std::string dlq = input + ".dlq";
    std::map<std::string, int> dead; // value -> copies in the DLQ
    std::map<std::string, std::string> replayed_attempt;
    const auto read_dlq = [&](size_t want) {
        dead.clear();
        testing::topic_tail reader(testing::real_client_config(), dlq, partitions);
        size_t n = 0;
        reader.poll_until([&] { return n >= want; }, 60s,
                          as_seen([&](const std::string&, const std::string& value, seen s) {
                              ++dead[value];
                              if (s.headers.contains("replayed-attempt")) {
                                  replayed_attempt[value] = s.header("replayed-attempt");
                              }
                              ++n;
                          }));
        return n;
    };
    ASSERT_EQ(read_dlq(30), 30U);

    const std::string replay = testing::bin_path("brook-retry-router") + " replay --dlq-topic " +
                               dlq + " --to-topic " + input + " --bootstrap-servers " +
                               testing::real_bootstrap();
    const auto [code, out] = run_command(replay + " --event-type b");
    EXPECT_EQ(code, 0);
    EXPECT_EQ(out,
              fmt::format("replayed 10 of 30 records from {} to {} (event type b)\n", dlq, input));
    // The replayed ones fail all over again, from attempt 1: 10 more dead letters, of type b.
    ASSERT_EQ(read_dlq(40), 40U);
    for (int i = 0; i < 10; ++i) {
        EXPECT_EQ(dead[fmt::format(R"({{"id":"a{}","poison":true,"event_type":"a"}})", i)], 1);
        const std::string b =
            fmt::format(R"({{"id":"b{}","fail_attempts":9,"event_type":"b"}})", i);
        EXPECT_EQ(dead[b], 2);
        EXPECT_EQ(replayed_attempt[b], "4");
        EXPECT_EQ(dead[fmt::format("garbage {}", i)], 1);
    }

    // Without a filter, everything present is copied; a missing topic is an error.
    const auto [all_code, all_out] = run_command(replay);
    EXPECT_EQ(all_code, 0);
    EXPECT_EQ(all_out, fmt::format("replayed 40 of 40 records from {} to {}\n", dlq, input));
    EXPECT_EQ(read_dlq(80), 80U);
    const auto [missing_code, missing_out] =
        run_command(testing::bin_path("brook-retry-router") + " replay --dlq-topic " + input +
                    ".nope --to-topic " + input + " --bootstrap-servers " +
                    testing::real_bootstrap() + " 2>/dev/null");
    EXPECT_EQ(missing_code, 1);
    EXPECT_EQ(missing_out, "");
    EXPECT_EQ(app.stop(SIGTERM), 0);
}

} // namespace
} // namespace brook
