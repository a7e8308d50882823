// The retry router through the test driver: success, retriable failures through the tiers
// with their headers and due times, exhaustion, poison and unreadable records to the DLQ,
// per-event-type schedules, no attempt before its due time; its schedule, topic names,
// metrics and the replay's filter and headers. Also delayed sources on their own: held
// until due, in order, and shown in the description.

#include <chrono>
#include <limits>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "apps/common/app_cli.h"
#include "apps/retry_router/demo_handler.h"
#include "apps/retry_router/retry_history.h"
#include "apps/retry_router/retry_replay.h"
#include "apps/retry_router/retry_router.h"
#include "engine/serde/json_serde.h"
#include "engine/testing/topology_test_driver.h"
#include "engine/text/safe_text.h"
#include "ops/prometheus_text.h"

namespace brook {
namespace {

using namespace std::chrono_literals;
using apps::retry_schedule;
namespace hdr = apps::retry_header;

constexpr int64_t t0 = 1'700'000'000'000;

std::string header(const captured_record& r, std::string_view name) {
    const auto v = r.hdrs.last(name);
    return v ? std::string(*v) : std::string("<absent>");
}

std::string event(const std::string& id, int64_t fail_attempts = 0, bool poison = false,
                  const std::optional<std::string>& type = std::nullopt) {
    nlohmann::json j = {{"id", id}};
    if (fail_attempts != 0) {
        j["fail_attempts"] = fail_attempts;
    }
    if (poison) {
        j["poison"] = true;
    }
    if (type) {
        j["event_type"] = *type;
    }
    return j.dump();
}

// The demo router on topic "in" with tiers 1s,2s,4s (and the type schedules given), under a
// driver whose wall clock starts at t0.
struct router_under_test {
    explicit router_under_test(
        std::map<std::string, retry_schedule::delays, std::less<>> by_type = {})
        : router(apps::retry_router_options{
              .input_topic = "in",
              .schedule =
                  retry_schedule(retry_schedule::parse_delays("1s,2s,4s"), std::move(by_type))}) {
        router.with_event_type(apps::demo_event_type);
        stream_builder b;
        router.build(b, apps::demo_handler);
        // As brook-retry-router configures it.
        driver.emplace(b.build(),
                       std::map<std::string, std::string>{
                           {"default.deserialization.exception.handler", "dead_letter"},
                           {"errors.dead.letter.queue.topic.name", router.topics().dead_letter}},
                       t0);
    }
    void pipe(const std::string& value, const std::string& key = "k") {
        driver->pipe_raw("in", key, value, t0 - 5, {});
    }
    size_t unread(const std::string& topic) const { return driver->unread(topic); }
    captured_record take(const std::string& topic) { return driver->take(topic); }
    void advance(std::chrono::milliseconds by) { driver->advance_wall_clock_time(by); }

    apps::demo_retry_router router;
    std::optional<topology_test_driver> driver;
};

TEST(retry_router, a_record_handled_at_once_goes_to_the_output_unchanged_without_retry_headers) {
    router_under_test r;
    r.pipe(event("a"));
    ASSERT_EQ(r.unread("in.processed"), 1U);
    const captured_record out = r.take("in.processed");
    EXPECT_EQ(out.key, "k");
    EXPECT_EQ(out.value, event("a"));
    EXPECT_EQ(out.timestamp, t0); // the time of the decision
    EXPECT_EQ(header(out, hdr::attempt), "<absent>");
    EXPECT_EQ(r.unread("in.retry.1"), 0U);
    EXPECT_EQ(r.unread("in.dlq"), 0U);
    EXPECT_EQ(r.router.counters()->succeeded.load(), 1U);
    EXPECT_EQ(r.router.counters()->recovered.load(), 0U);
}

TEST(retry_router, a_retriable_failure_waits_in_the_next_tier_with_its_history_until_due) {
    router_under_test r;
    r.pipe(event("b", 1));
    ASSERT_EQ(r.unread("in.retry.1"), 1U);
    const captured_record tier1 = r.take("in.retry.1");
    EXPECT_EQ(tier1.key, "k");
    EXPECT_EQ(tier1.value, event("b", 1)); // the input bytes, never rewritten
    EXPECT_EQ(tier1.timestamp, t0);
    EXPECT_EQ(header(tier1, hdr::attempt), "1");
    EXPECT_NE(header(tier1, hdr::error).find("attempt 1"), std::string::npos);
    EXPECT_EQ(header(tier1, hdr::first_failure_ts), std::to_string(t0));
    EXPECT_EQ(header(tier1, hdr::last_failure_ts), std::to_string(t0));
    EXPECT_EQ(header(tier1, hdr::original_topic), "in");
    EXPECT_EQ(header(tier1, hdr::original_partition), "0");
    EXPECT_EQ(header(tier1, hdr::original_offset), "0");
    EXPECT_EQ(header(tier1, hdr::original_timestamp), std::to_string(t0 - 5));
    EXPECT_EQ(header(tier1, hdr::due_ts), std::to_string(t0 + 1000));
    EXPECT_EQ(header(tier1, hdr::event_type), "<absent>");
    EXPECT_EQ(r.driver->held("in.retry.1"), 1U);

    r.advance(999ms);
    EXPECT_EQ(r.unread("in.processed"), 0U) << "handled before its due time";
    EXPECT_EQ(r.driver->held("in.retry.1"), 1U);
    r.advance(1ms);
    EXPECT_EQ(r.driver->held("in.retry.1"), 0U);
    ASSERT_EQ(r.unread("in.processed"), 1U);
    const captured_record out = r.take("in.processed");
    EXPECT_EQ(out.value, event("b", 1));
    EXPECT_EQ(out.timestamp, t0 + 1000);
    EXPECT_EQ(header(out, hdr::attempt), "1");
    EXPECT_EQ(header(out, hdr::first_failure_ts), std::to_string(t0));
    EXPECT_EQ(header(out, hdr::original_offset), "0");
    EXPECT_EQ(header(out, hdr::due_ts), "<absent>");
    EXPECT_EQ(r.router.counters()->recovered.load(), 1U);
    EXPECT_EQ(r.router.counters()->retried[0].load(), 1U);
}

TEST(retry_router,
     a_record_failing_every_tier_is_dead_lettered_after_the_last_with_attempt_tiers_plus_one) {
    router_under_test r;
    r.pipe(event("c", 10));
    r.advance(1000ms);
    ASSERT_EQ(r.unread("in.retry.2"), 1U);
    const captured_record tier2 = r.take("in.retry.2");
    EXPECT_EQ(header(tier2, hdr::attempt), "2");
    EXPECT_EQ(header(tier2, hdr::first_failure_ts), std::to_string(t0));
    EXPECT_EQ(header(tier2, hdr::last_failure_ts), std::to_string(t0 + 1000));
    EXPECT_EQ(header(tier2, hdr::due_ts), std::to_string(t0 + 3000));
    EXPECT_EQ(tier2.timestamp, t0 + 1000);
    r.advance(1999ms);
    EXPECT_EQ(r.unread("in.retry.3"), 0U);
    r.advance(1ms);
    ASSERT_EQ(r.unread("in.retry.3"), 1U);
    const captured_record tier3 = r.take("in.retry.3");
    EXPECT_EQ(header(tier3, hdr::attempt), "3");
    EXPECT_EQ(header(tier3, hdr::due_ts), std::to_string(t0 + 7000));
    r.advance(3999ms);
    EXPECT_EQ(r.unread("in.dlq"), 0U);
    r.advance(1ms);
    ASSERT_EQ(r.unread("in.dlq"), 1U);
    const captured_record dead = r.take("in.dlq");
    EXPECT_EQ(dead.value, event("c", 10));
    EXPECT_EQ(dead.timestamp, t0 + 7000);
    EXPECT_EQ(header(dead, hdr::attempt), "4");
    EXPECT_EQ(header(dead, hdr::dead_letter_cause), "retries-exhausted");
    EXPECT_EQ(header(dead, hdr::first_failure_ts), std::to_string(t0));
    EXPECT_EQ(header(dead, hdr::last_failure_ts), std::to_string(t0 + 7000));
    EXPECT_EQ(header(dead, hdr::original_topic), "in");
    EXPECT_EQ(header(dead, hdr::original_offset), "0");
    EXPECT_EQ(header(dead, hdr::due_ts), "<absent>");
    EXPECT_NE(header(dead, hdr::error).find("attempt 4"), std::string::npos);
    EXPECT_EQ(r.unread("in.processed"), 0U);
    EXPECT_EQ(r.router.counters()->exhausted.load(), 1U);
    EXPECT_EQ(r.driver->counters().dead_lettered.load(), 1U);
}

TEST(retry_router, a_poison_record_is_dead_lettered_at_once_as_non_retriable) {
    router_under_test r;
    r.pipe(event("p", 0, true));
    ASSERT_EQ(r.unread("in.dlq"), 1U);
    const captured_record dead = r.take("in.dlq");
    EXPECT_EQ(header(dead, hdr::attempt), "1");
    EXPECT_EQ(header(dead, hdr::dead_letter_cause), "non-retriable");
    EXPECT_EQ(header(dead, hdr::error), "event p is poison");
    EXPECT_EQ(header(dead, hdr::first_failure_ts), std::to_string(t0));
    EXPECT_EQ(r.unread("in.retry.1"), 0U);
    EXPECT_EQ(r.router.counters()->non_retriable.load(), 1U);
}

TEST(retry_router, an_unreadable_record_is_dead_lettered_at_once_with_attempt_zero_and_the_reason) {
    router_under_test r;
    r.pipe("not json");
    r.pipe(R"({"fail_attempts": 2})");
    r.pipe(R"({"id": "x", "fail_attempts": -1})");
    r.driver->pipe_raw("in", std::string("k"), std::nullopt, t0, {});
    ASSERT_EQ(r.unread("in.dlq"), 4U);
    const captured_record not_json = r.take("in.dlq");
    EXPECT_EQ(not_json.value, "not json");
    EXPECT_EQ(header(not_json, hdr::attempt), "0");
    EXPECT_EQ(header(not_json, hdr::dead_letter_cause), "unreadable");
    EXPECT_NE(header(not_json, hdr::error).find("not valid JSON"), std::string::npos);
    EXPECT_EQ(header(not_json, hdr::original_offset), "0");
    EXPECT_EQ(header(not_json, hdr::first_failure_ts), std::to_string(t0));
    EXPECT_NE(header(r.take("in.dlq"), hdr::error).find("\"id\""), std::string::npos);
    EXPECT_NE(header(r.take("in.dlq"), hdr::error).find("fail_attempts"), std::string::npos);
    const captured_record null_value = r.take("in.dlq");
    EXPECT_FALSE(null_value.value.has_value());
    EXPECT_NE(header(null_value, hdr::error).find("null"), std::string::npos);
    EXPECT_EQ(r.router.counters()->unreadable.load(), 4U);
    EXPECT_EQ(r.unread("in.processed"), 0U);
}

TEST(retry_router, a_value_nested_too_deep_or_with_bytes_after_it_is_unreadable) {
    router_under_test r;
    const std::string deep =
        R"({"id":"d","x":)" + std::string(100'000, '[') + std::string(100'000, ']') + "}";
    r.pipe(deep);
    r.pipe(event("n") + std::string("\0{}", 3));
    r.pipe(event("t") + "{}");
    ASSERT_EQ(r.unread("in.dlq"), 3U);
    const captured_record too_deep = r.take("in.dlq");
    EXPECT_EQ(header(too_deep, hdr::dead_letter_cause), "unreadable");
    EXPECT_NE(header(too_deep, hdr::error).find("nested deeper than 64 levels"), std::string::npos)
        << header(too_deep, hdr::error);
    EXPECT_NE(header(r.take("in.dlq"), hdr::error).find("is a NUL"), std::string::npos);
    EXPECT_NE(header(r.take("in.dlq"), hdr::error).find("not valid JSON"), std::string::npos);
    EXPECT_EQ(r.unread("in.processed"), 0U);
}

TEST(retry_router, the_error_header_is_bounded_and_valid_utf8_whatever_the_reason) {
    router_under_test r;
    r.pipe(R"({"id":)" + std::string(600'000, 'z') + "}"); // the parser's message quotes it
    apps::retry_router<std::string, std::string> router({.input_topic = "in"});
    stream_builder b;
    router.build(b, [](const std::string&, const std::string& v, const apps::retry_attempt&) {
        return apps::retry_outcome<std::string>::retry(v); // a handler that quotes its input
    });
    topology_test_driver driver(b.build(), {}, t0);
    driver.pipe_raw("in", std::string("k"), std::string(100'000, 'w') + "\xff\r\n", t0, {});
    for (const captured_record& dead : {r.take("in.dlq"), driver.take("in.retry.1")}) {
        const std::string error = header(dead, hdr::error);
        EXPECT_LE(error.size(), text::reason_limit + 64);
        EXPECT_TRUE(text::is_valid_utf8(error)) << error;
        EXPECT_EQ(error.find_first_of("\r\n"), std::string::npos) << error;
    }
}

TEST(retry_router, an_event_type_with_its_own_schedule_waits_its_own_delays) {
    router_under_test r({{"fast", {100ms, 200ms, 300ms}}});
    r.pipe(event("f", 2, false, "fast"));
    const captured_record tier1 = r.take("in.retry.1");
    EXPECT_EQ(header(tier1, hdr::due_ts), std::to_string(t0 + 100));
    EXPECT_EQ(header(tier1, hdr::event_type), "fast");
    r.advance(100ms);
    const captured_record tier2 = r.take("in.retry.2");
    EXPECT_EQ(header(tier2, hdr::due_ts), std::to_string(t0 + 300));
    r.advance(199ms);
    EXPECT_EQ(r.unread("in.processed"), 0U);
    r.advance(1ms);
    ASSERT_EQ(r.unread("in.processed"), 1U);
    EXPECT_EQ(header(r.take("in.processed"), hdr::attempt), "2");
}

TEST(retry_router, an_event_type_with_a_shorter_schedule_is_dead_lettered_after_its_last_delay) {
    router_under_test r({{"short", {100ms}}});
    r.pipe(event("s", 3, false, "short"));
    r.advance(100ms);
    EXPECT_EQ(r.unread("in.retry.2"), 0U);
    ASSERT_EQ(r.unread("in.dlq"), 1U);
    const captured_record dead = r.take("in.dlq");
    EXPECT_EQ(header(dead, hdr::attempt), "2");
    EXPECT_EQ(header(dead, hdr::dead_letter_cause), "retries-exhausted");
    EXPECT_EQ(header(dead, hdr::event_type), "short");
}

TEST(retry_router,
     a_tier_is_first_in_first_out_so_a_record_due_sooner_waits_behind_an_earlier_one) {
    router_under_test r({{"fast", {100ms, 100ms, 100ms}}});
    r.pipe(event("slow", 1));
    r.pipe(event("quick", 1, false, "fast"));
    EXPECT_EQ(r.driver->held("in.retry.1"), 2U);
    r.advance(500ms);
    EXPECT_EQ(r.unread("in.processed"), 0U) << "the quick one may not overtake";
    r.advance(500ms);
    ASSERT_EQ(r.unread("in.processed"), 2U);
    EXPECT_EQ(r.take("in.processed").value, event("slow", 1));
    EXPECT_EQ(r.take("in.processed").value, event("quick", 1, false, "fast"));
}

TEST(retry_router, a_tier_record_without_history_headers_is_routed_from_what_its_tier_implies) {
    router_under_test r;
    // Written by hand: no headers at all, so due at once and 2 failures behind it.
    r.driver->pipe_raw("in.retry.2", std::string("k"), event("h", 5), t0 - 100, {});
    ASSERT_EQ(r.unread("in.retry.3"), 1U);
    const captured_record tier3 = r.take("in.retry.3");
    EXPECT_EQ(header(tier3, hdr::attempt), "3");
    EXPECT_EQ(header(tier3, hdr::first_failure_ts), std::to_string(t0 - 100));
    EXPECT_EQ(header(tier3, hdr::original_topic), "in.retry.2");
    // Garbage in a history header is read the same way.
    headers garbage;
    garbage.add(std::string(hdr::attempt), "many");
    r.driver->pipe_raw("in.retry.1", std::string("k"), event("g", 5), t0, garbage);
    EXPECT_EQ(header(r.take("in.retry.2"), hdr::attempt), "2");
    // A due time nobody can read is not guessed: the record is dead-lettered with why.
    headers unreadable;
    unreadable.add(std::string(hdr::due_ts), "soon");
    r.driver->pipe_raw("in.retry.1", std::string("k"), event("u", 5), t0, unreadable);
    EXPECT_EQ(r.unread("in.retry.2"), 0U);
    ASSERT_EQ(r.unread("in.dlq"), 1U);
    const captured_record dead = r.take("in.dlq");
    EXPECT_NE(header(dead, "error").find("due-time header"), std::string::npos);
}

int64_t system_now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// Before the rule, this record held tier 1's partition forever: nothing behind it ran.
TEST(retry_router, a_due_time_of_int64_max_is_dead_lettered_at_once_and_holds_nothing_back) {
    router_under_test r;
    headers forever;
    forever.add(std::string(hdr::due_ts), "9223372036854775807");
    forever.add(std::string(hdr::attempt), "1");
    r.driver->pipe_raw("in.retry.1", std::string("k"), event("forever", 5), t0, forever);
    EXPECT_EQ(r.driver->held("in.retry.1"), 0U);
    ASSERT_EQ(r.unread("in.dlq"), 1U);
    const captured_record dead = r.take("in.dlq");
    EXPECT_EQ(dead.value, event("forever", 5));
    EXPECT_EQ(header(dead, hdr::dead_letter_cause), "unreadable");
    EXPECT_EQ(header(dead, hdr::attempt), "1") << "the handler never ran: no attempt added";
    EXPECT_EQ(header(dead, hdr::due_ts), "<absent>");
    EXPECT_EQ(header(dead, hdr::error),
              fmt::format("due-ts 9223372036854775807 is {} ms after the record's last failure "
                          "at {}: a tier-1 record is due at most 61000 ms after its last failure "
                          "and after it is read (the tier's longest delay, 1000 ms, plus 60000 ms "
                          "for clocks that differ); not waited for, so that it cannot hold its "
                          "partition",
                          std::numeric_limits<int64_t>::max() - t0, t0));
    EXPECT_EQ(r.router.counters()->unreadable.load(), 1U);
    EXPECT_EQ(r.unread("in.retry.2"), 0U) << "the handler was not called";

    // The partition goes on: a record behind it waits for its own due time only.
    headers soon;
    soon.add(std::string(hdr::due_ts), std::to_string(t0 + 500));
    r.driver->pipe_raw("in.retry.1", std::string("k"), event("next", 1), t0, soon);
    EXPECT_EQ(r.driver->held("in.retry.1"), 1U);
    r.advance(500ms);
    ASSERT_EQ(r.unread("in.processed"), 1U);
    EXPECT_EQ(r.take("in.processed").value, event("next", 1));
}

TEST(retry_router, a_due_time_past_the_tiers_longest_delay_and_allowance_is_dead_lettered) {
    router_under_test r({{"slow", {3s}}}); // tier 1 may now be 3 s: the longest delay counts
    const int64_t max_wait = 3000 + 60'000;
    headers last;
    last.add(std::string(hdr::due_ts), std::to_string(t0 + max_wait));
    r.driver->pipe_raw("in.retry.1", std::string("k"), event("last", 1), t0, last);
    headers past;
    past.add(std::string(hdr::due_ts), std::to_string(t0 - 100 + max_wait + 1));
    past.add(std::string(hdr::last_failure_ts), std::to_string(t0 - 100)); // over the timestamp
    r.driver->pipe_raw("in.retry.2", std::string("k"), event("past", 1), t0, past);
    headers day;
    day.add(std::string(hdr::due_ts), std::to_string(t0 + 24 * 3600 * 1000));
    r.driver->pipe_raw("in.retry.3", std::string("k"), event("day", 1), t0, day);

    EXPECT_EQ(r.driver->held("in.retry.1"), 1U) << "at the bound: waited for";
    EXPECT_EQ(r.driver->held("in.retry.2"), 0U);
    EXPECT_EQ(r.driver->held("in.retry.3"), 0U);
    ASSERT_EQ(r.unread("in.dlq"), 2U);
    EXPECT_TRUE(header(r.take("in.dlq"), hdr::error)
                    .starts_with(fmt::format("due-ts {} is {} ms after the record's last failure "
                                             "at {}: a tier-2 record is due at most {} ms",
                                             t0 - 100 + max_wait + 1, max_wait + 1, t0 - 100,
                                             2000 + 60'000)));
    EXPECT_TRUE(header(r.take("in.dlq"), hdr::error)
                    .starts_with(fmt::format("due-ts {} is 86400000 ms after the record's last "
                                             "failure at {}: a tier-3 record",
                                             t0 + 24 * 3600 * 1000, t0)));
    r.advance(std::chrono::milliseconds(max_wait));
    EXPECT_EQ(r.take("in.processed").value, event("last", 1));
}

TEST(retry_router, a_due_time_far_past_now_is_dead_lettered_even_with_forged_failure_times) {
    router_under_test r;
    // Kafka timestamp and last-failure-ts forged ten days ahead of the real clock, due soon
    // after them: only the clock shows the record would hold its partition for days.
    const int64_t forged = system_now_ms() + 10 * 24 * 3600 * 1000LL;
    headers h;
    h.add(std::string(hdr::last_failure_ts), std::to_string(forged));
    h.add(std::string(hdr::due_ts), std::to_string(forged + 500));
    r.driver->pipe_raw("in.retry.1", std::string("k"), event("forged", 1), forged, h);
    EXPECT_EQ(r.driver->held("in.retry.1"), 0U);
    ASSERT_EQ(r.unread("in.dlq"), 1U);
    EXPECT_TRUE(header(r.take("in.dlq"), hdr::error)
                    .starts_with(fmt::format("due-ts {} is {} ms after now ({}): a tier-1 record",
                                             forged + 500, forged + 500 - t0, t0)));
    EXPECT_EQ(r.unread("in.processed"), 0U);
}

// Before the bound, attempt INT64_MAX became INT64_MAX + 1: signed overflow, a negative attempt.
TEST(retry_router, an_attempt_header_out_of_range_reads_as_what_the_tier_implies) {
    std::vector<int64_t> seen;
    apps::retry_router<std::string, std::string> router(
        {.input_topic = "in", .schedule = retry_schedule({10ms, 10ms, 10ms})});
    stream_builder b;
    router.build(b, [&seen](const std::string&, const std::string&, const apps::retry_attempt& a) {
        seen.push_back(a.attempt);
        return apps::retry_outcome<std::string>::retry("again");
    });
    topology_test_driver driver(b.build(), {}, t0);
    for (const char* attempt : {"9223372036854775807", "-1", "5", "4", "0"}) {
        headers h;
        h.add(std::string(hdr::attempt), attempt);
        driver.pipe_raw("in.retry.2", std::string("k"), std::string(attempt), t0, h);
    }
    // Tier 2 implies 2 failures; 0 to tiers + 1 = 4 are taken as they are.
    EXPECT_EQ(seen, (std::vector<int64_t>{3, 3, 3, 5, 1}));
    for (const char* attempt : {"3", "3", "3", "5", "1"}) {
        EXPECT_EQ(header(driver.take("in.retry.3"), hdr::attempt), attempt);
    }
}

TEST(retry_router, a_handler_that_throws_fails_retriably_with_the_message) {
    apps::retry_router<std::string, std::string> router({.input_topic = "in"});
    stream_builder b;
    router.build(b,
                 [](const std::string&, const std::string& v,
                    const apps::retry_attempt&) -> apps::retry_outcome<std::string> {
                     if (v == "boom") {
                         throw std::runtime_error("kaboom");
                     }
                     return apps::retry_outcome<std::string>::success("handled " + v);
                 });
    topology_test_driver driver(b.build(), {}, t0);
    driver.pipe_raw("in", std::string("k"), std::string("boom"), t0, {});
    driver.pipe_raw("in", std::string("k"), std::string("fine"), t0, {});
    EXPECT_EQ(header(driver.take("in.retry.1"), hdr::error), "the handler threw: kaboom");
    EXPECT_EQ(driver.take("in.processed").value, "handled fine");
}

TEST(retry_router, the_handler_is_told_the_attempt_its_tier_and_the_last_error) {
    std::vector<std::tuple<int64_t, size_t, std::string, int64_t>> seen;
    apps::retry_router<std::string, std::string> router(
        {.input_topic = "in", .schedule = retry_schedule({10ms, 10ms})});
    stream_builder b;
    router.build(b, [&seen](const std::string&, const std::string&, const apps::retry_attempt& a) {
        seen.emplace_back(a.attempt, a.tier, std::string(a.previous_error), a.first_failure_ts);
        return apps::retry_outcome<std::string>::retry("no " + std::to_string(a.attempt));
    });
    topology_test_driver driver(b.build(), {}, t0);
    driver.pipe_raw("in", std::string("k"), std::string("v"), t0, {});
    driver.advance_wall_clock_time(10ms);
    driver.advance_wall_clock_time(10ms);
    ASSERT_EQ(seen.size(), 3U);
    EXPECT_EQ(seen[0], std::make_tuple(int64_t{1}, size_t{0}, std::string(), int64_t{-1}));
    EXPECT_EQ(seen[1], std::make_tuple(int64_t{2}, size_t{1}, std::string("no 1"), t0));
    EXPECT_EQ(seen[2], std::make_tuple(int64_t{3}, size_t{2}, std::string("no 2"), t0));
    EXPECT_EQ(header(driver.take("in.dlq"), hdr::attempt), "3");
}

TEST(retry_router, its_topology_reads_the_input_and_each_tier_as_separate_sub_topologies) {
    const topology t = [] {
        apps::demo_retry_router router({.input_topic = "in", .schedule = retry_schedule({1s, 2s})});
        stream_builder b;
        router.build(b, apps::demo_handler);
        return b.build();
    }();
    EXPECT_EQ(t.subtopologies().size(), 3U);
    EXPECT_EQ(t.source_topics("app"), (std::vector<std::string>{"in", "in.retry.1", "in.retry.2"}));
    EXPECT_TRUE(t.has_delayed_sources());
    const std::string text = t.describe();
    EXPECT_NE(text.find("Source: retry-router-tier-1 (topics: [in.retry.1], each record waits "
                        "for its due time)"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("Source: retry-router-input (topics: [in])\n"), std::string::npos);
}

TEST(retry_schedule, parses_delays_with_units_and_refuses_what_is_not_one) {
    EXPECT_EQ(retry_schedule::parse_delays("1m,5m,15m,60m"),
              (retry_schedule::delays{1min, 5min, 15min, 60min}));
    EXPECT_EQ(retry_schedule::parse_delays(" 500ms , 2s,1h"),
              (retry_schedule::delays{500ms, 2s, 1h}));
    EXPECT_EQ(retry_schedule::parse_delays("0s"), (retry_schedule::delays{0ms}));
    for (const char* bad :
         {"", "1s,", ",1s", "1s,,2s", "1", "s", "-1s", "1d", "1.5s", "9999999h"}) {
        EXPECT_THROW(retry_schedule::parse_delays(bad), std::invalid_argument) << bad;
    }
    const auto [type, delays] = retry_schedule::parse_event_type_delays("payment=1s,2s");
    EXPECT_EQ(type, "payment");
    EXPECT_EQ(delays, (retry_schedule::delays{1s, 2s}));
    for (const char* bad : {"payment", "=1s", "payment=", "payment=x"}) {
        EXPECT_THROW(retry_schedule::parse_event_type_delays(bad), std::invalid_argument) << bad;
    }
    EXPECT_EQ(retry_schedule::to_string({1min, 90s, 500ms, 2h, 0ms}), "1m,90s,500ms,2h,0ms");
}

TEST(retry_schedule, a_type_schedule_may_be_shorter_than_the_default_but_not_longer) {
    const retry_schedule s({1s, 2s, 4s}, {{"short", {1s}}});
    EXPECT_EQ(s.tiers(), 3U);
    EXPECT_EQ(s.delays_for(std::string("short")).size(), 1U);
    EXPECT_EQ(s.delays_for(std::string("other")).size(), 3U);
    EXPECT_EQ(s.delays_for(std::nullopt).size(), 3U);
    try {
        retry_schedule({1s}, {{"long", {1s, 2s}}});
        FAIL() << "a longer type schedule was accepted";
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("number of retry tiers"), std::string::npos);
    }
    EXPECT_THROW(retry_schedule({}), std::invalid_argument);
    EXPECT_THROW(retry_schedule({1s}, {{"", {1s}}}), std::invalid_argument);
    EXPECT_THROW(retry_schedule({1s}, {{"empty", {}}}), std::invalid_argument);
    EXPECT_THROW(retry_schedule({-1s}), std::invalid_argument);
}

TEST(retry_topics, are_named_from_the_input_and_refuse_names_that_loop_or_kafka_refuses) {
    const auto t = apps::retry_topics::make("orders", "", "", 2);
    EXPECT_EQ(t.output, "orders.processed");
    EXPECT_EQ(t.dead_letter, "orders.dlq");
    EXPECT_EQ(t.tiers, (std::vector<std::string>{"orders.retry.1", "orders.retry.2"}));
    EXPECT_EQ(t.all(), (std::vector<std::string>{"orders", "orders.retry.1", "orders.retry.2",
                                                 "orders.processed", "orders.dlq"}));
    EXPECT_EQ(t.tier_of("orders.retry.2"), 2U);
    EXPECT_EQ(t.tier_of("orders"), 0U);
    EXPECT_EQ(apps::retry_topics::make("orders", "done", "dead", 1).output, "done");
    EXPECT_THROW(apps::retry_topics::make("", "", "", 1), std::invalid_argument);
    EXPECT_THROW(apps::retry_topics::make("bad topic", "", "", 1), std::invalid_argument);
    EXPECT_THROW(apps::retry_topics::make(std::string(245, 'a'), "", "", 1),
                 std::invalid_argument); // its tiers would be too long
    EXPECT_THROW(apps::retry_topics::make("in", "in", "", 1), std::invalid_argument);
    EXPECT_THROW(apps::retry_topics::make("in", "in.retry.1", "", 1), std::invalid_argument);
    EXPECT_THROW(apps::retry_topics::make("in", "", "in", 1), std::invalid_argument);
    EXPECT_THROW(apps::retry_topics::make("in", "x", "x", 1), std::invalid_argument);
}

TEST(retry_router_metrics, count_each_path_and_pending_records_per_tier) {
    router_under_test r;
    r.pipe(event("ok"));
    r.pipe(event("once", 1));
    r.pipe(event("poison", 0, true));
    r.pipe("garbage");
    r.advance(1s);
    streams_metrics m;
    m.lag = {{"in.retry.1", 0, 10, 15, 5, 2},
             {"in.retry.1", 1, 3, -1, -1, 1},
             {"in.retry.3", 0, 0, 4, 4, 0},
             {"in", 0, 0, 100, 100, 7}};
    brook::prometheus_writer w;
    apps::write_retry_router_metrics(w, *r.router.counters(), r.router.topics(), &m);
    const std::string text = w.take();
    for (const char* line :
         {"brook_retry_router_succeeded_total 2\n", "brook_retry_router_recovered_total 1\n",
          "brook_retry_router_retried_total{tier=\"1\"} 1\n",
          "brook_retry_router_retried_total{tier=\"2\"} 0\n",
          "brook_retry_router_dead_lettered_total{cause=\"non_retriable\"} 1\n",
          "brook_retry_router_dead_lettered_total{cause=\"unreadable\"} 1\n",
          "brook_retry_router_dead_lettered_total{cause=\"retries_exhausted\"} 0\n",
          "brook_retry_router_pending{tier=\"1\"} 8\n",
          "brook_retry_router_pending{tier=\"2\"} 0\n",
          "brook_retry_router_pending{tier=\"3\"} 4\n"}) {
        EXPECT_NE(text.find(line), std::string::npos) << line << " not in:\n" << text;
    }
    brook::prometheus_writer without;
    apps::write_retry_router_metrics(without, *r.router.counters(), r.router.topics(), nullptr);
    EXPECT_EQ(without.text().find("pending"), std::string::npos);
}

TEST(retry_replay, filters_by_the_event_type_header_and_renames_the_router_headers) {
    headers h;
    h.add("trace-id", "t1");
    h.add(std::string(hdr::attempt), "4");
    h.add(std::string(hdr::event_type), "payment");
    h.add(std::string(hdr::dead_letter_cause), "retries-exhausted");
    h.add("replayed-attempt", "2"); // an earlier replay's: replaced
    h.add("replayed-custom", "kept");
    EXPECT_TRUE(apps::replay_matches(h, std::nullopt));
    EXPECT_TRUE(apps::replay_matches(h, std::string("payment")));
    EXPECT_FALSE(apps::replay_matches(h, std::string("order")));
    EXPECT_FALSE(apps::replay_matches(headers{}, std::string("payment")));
    EXPECT_TRUE(apps::replay_matches(headers{}, std::nullopt));

    const headers out = apps::replay_headers(h);
    EXPECT_EQ(out.last("trace-id"), "t1");
    EXPECT_FALSE(out.contains(hdr::attempt));
    EXPECT_FALSE(out.contains(hdr::event_type));
    EXPECT_EQ(out.last("replayed-attempt"), "4");
    EXPECT_EQ(out.last("replayed-event-type"), "payment");
    EXPECT_EQ(out.last("replayed-dead-letter-cause"), "retries-exhausted");
    EXPECT_EQ(out.last("replayed-custom"), "kept");
    size_t replayed_attempts = 0;
    for (const auto& [name, value] : out) {
        replayed_attempts += name == "replayed-attempt" ? 1 : 0;
    }
    EXPECT_EQ(replayed_attempts, 1U);
}

TEST(retry_router, a_replayed_record_starts_again_at_attempt_one) {
    router_under_test r;
    headers replayed;
    replayed.add("replayed-attempt", "4");
    r.driver->pipe_raw("in", std::string("k"), event("again", 1), t0, replayed);
    const captured_record tier1 = r.take("in.retry.1");
    EXPECT_EQ(header(tier1, hdr::attempt), "1");
    EXPECT_EQ(header(tier1, "replayed-attempt"), "4");
}

TEST(app_cli, a_repeatable_flag_keeps_every_value_in_order) {
    apps::app_cli cli("p", "s", {{"each", "h", "", false, true}, {"once", "h", "d"}});
    std::vector<std::string> args = {"p", "--each", "a=1s", "--once", "x", "--each=b=2s"};
    std::vector<char*> argv;
    for (auto& a : args) {
        argv.push_back(a.data());
    }
    ASSERT_FALSE(cli.parse(static_cast<int>(argv.size()), argv.data()));
    EXPECT_EQ(cli.get_all("each"), (std::vector<std::string>{"a=1s", "b=2s"}));
    EXPECT_EQ(cli.get("each"), "b=2s");
    EXPECT_EQ(cli.get_all("once"), (std::vector<std::string>{"x"}));
    EXPECT_TRUE(cli.get_all("partitions").empty());
    EXPECT_NE(cli.usage().find("; repeatable"), std::string::npos);
}

// ---- delayed sources on their own ----

TEST(delayed_source, holds_each_record_until_its_due_time_and_keeps_the_topic_in_order) {
    stream_builder b;
    b.stream<std::string, std::string>(
         {"in"}, consumed<std::string, std::string>{}.with_due_time_header("due"))
        .to("out");
    topology_test_driver driver(b.build(), {}, t0);
    headers later;
    later.add("due", std::to_string(t0 + 500));
    headers now;
    now.add("due", std::to_string(t0));
    driver.pipe_raw("in", std::string("k"), std::string("no header: at once"), t0, {});
    driver.pipe_raw("in", std::string("k"), std::string("later"), t0, later);
    driver.pipe_raw("in", std::string("k"), std::string("due, but behind"), t0, now);
    EXPECT_EQ(driver.unread("out"), 1U);
    EXPECT_EQ(driver.held("in"), 2U);
    driver.advance_wall_clock_time(499ms);
    EXPECT_EQ(driver.unread("out"), 1U);
    driver.advance_wall_clock_time(1ms);
    EXPECT_EQ(driver.held("in"), 0U);
    ASSERT_EQ(driver.unread("out"), 3U);
    EXPECT_EQ(driver.take("out").value, "no header: at once");
    EXPECT_EQ(driver.take("out").value, "later");
    EXPECT_EQ(driver.take("out").value, "due, but behind");
}

TEST(delayed_source, no_due_time_header_means_at_once_and_an_unreadable_one_is_an_error) {
    const due_time_extractor due = due_time_from_header("due");
    headers h;
    raw_record r;
    EXPECT_EQ(due(r), 0);
    r.headers = &h;
    EXPECT_EQ(due(r), 0);
    h.set("due", "1700000000123");
    EXPECT_EQ(due(r), 1'700'000'000'123);
    for (const char* bad : {"12x", "", " 12", "+12", "1.7e12", "99999999999999999999"}) {
        h.set("due", std::string(bad));
        EXPECT_THROW(due(r), serde_error) << "'" << bad << "'";
    }
    h.set("due", std::nullopt);
    EXPECT_THROW(due(r), serde_error);
}

// An unreadable due time is neither guessed nor waited for: the record goes to the
// deserialization handler, here the dead-letter topic, with the reason; the records behind
// it go on.
TEST(delayed_source, a_record_whose_due_time_cannot_be_read_is_dead_lettered_with_the_reason) {
    stream_builder b;
    b.stream<std::string, std::string>(
         {"in"}, consumed<std::string, std::string>{}.with_due_time_header("due"))
        .to("out");
    topology_test_driver driver(b.build(),
                                {{"default.deserialization.exception.handler", "dead_letter"},
                                 {"errors.dead.letter.queue.topic.name", "in.dlq"}},
                                t0);
    headers bad;
    bad.add("due", "tomorrow");
    headers later;
    later.add("due", std::to_string(t0 + 100));
    driver.pipe_raw("in", std::string("k"), std::string("unreadable"), t0, bad);
    driver.pipe_raw("in", std::string("k"), std::string("later"), t0, later);
    ASSERT_EQ(driver.unread("in.dlq"), 1U);
    const captured_record dead = driver.take("in.dlq");
    EXPECT_EQ(dead.value, "unreadable");
    ASSERT_TRUE(dead.hdrs.last("error").has_value());
    EXPECT_NE(dead.hdrs.last("error")->find("due-time header 'due'"), std::string_view::npos)
        << *dead.hdrs.last("error");
    EXPECT_NE(dead.hdrs.last("error")->find("'tomorrow'"), std::string_view::npos);
    EXPECT_EQ(driver.counters().dead_lettered.load(), 1U);
    EXPECT_EQ(driver.unread("out"), 0U);
    driver.advance_wall_clock_time(100ms);
    ASSERT_EQ(driver.unread("out"), 1U);
    EXPECT_EQ(driver.take("out").value, "later");
}

TEST(delayed_source, a_plain_source_of_the_same_topology_is_not_held_back) {
    stream_builder b;
    auto delayed = b.stream<std::string, std::string>(
        {"slow"}, consumed<std::string, std::string>{}.with_due_time_header("due"));
    b.stream<std::string, std::string>({"fast"}).merge(delayed).to("out");
    topology_test_driver driver(b.build(), {}, t0);
    headers later;
    later.add("due", std::to_string(t0 + 1000));
    driver.pipe_raw("slow", std::string("k"), std::string("slow"), t0, later);
    driver.pipe_raw("fast", std::string("k"), std::string("fast"), t0, {});
    ASSERT_EQ(driver.unread("out"), 1U);
    EXPECT_EQ(driver.take("out").value, "fast");
    driver.advance_wall_clock_time(1s);
    EXPECT_EQ(driver.take("out").value, "slow");
}

} // namespace
} // namespace brook
