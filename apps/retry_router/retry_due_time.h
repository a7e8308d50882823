#pragma once

// retry_due_time: the rule for the due-ts header of a record in a retry tier, so that no
// record can hold its tier's partition for longer than the tier could ever ask.
//
// The router writes a tier-n record with due-ts = its last failure + a delay of tier n, so
// a due time is honest only when it is at most
//
//   max_wait = the longest delay any schedule gives tier n + due_time_allowance
//
// after the record's last failure (its last-failure-ts header, else its Kafka timestamp)
// and after now. Anyone can write a tier topic, though: a record with due-ts = INT64_MAX
// would pause its partition for good, and one with a due time a year out for a year. A
// due time past either bound, or one that is not decimal epoch milliseconds, is not waited
// for: the record is handled at once and the router dead-letters it with the reason
// (cause unreadable, attempt unchanged), without calling the handler. A record without a
// due-ts is due at once, as before.
//
// Two places apply the rule, because of how delayed sources work (due_time.h):
//   wait_until()  the delayed source's extractor: what the task waits for. It has no task
//                 clock, so it reads the system clock (the runtime's wall clock too).
//   problem()     the router's processor, on the task's wall clock, when the record is
//                 handled: the verdict, with the reason for the dead-letter topic. A record
//                 that wait_until() did not wait for arrives before its due time, so
//                 problem() also refuses a due time more than early_tolerance after now
//                 (a rule a record that waited cannot break: it is handled once due).
//
// Shortening a tier's delays therefore dead-letters records already waiting in that tier
// for longer than the new max_wait; replay them (retry_replay.h) to retry them at once.
// Under the topology test driver, whose wall clock is simulated, wait_until() still reads
// the system clock: tests that want the clock rule use due times past the real now.
//
// Lifecycle: a value, fixed once made. Threading: const use from any thread.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "engine/record.h"

namespace brook::apps {

// How much later than its tier's longest delay a due time may be: covers the clocks of
// router instances on different hosts differing. Small against typical delays (minutes).
inline constexpr std::chrono::milliseconds due_time_allowance = std::chrono::minutes(1);
// How far before its due time a record may be handled before that is taken as proof that
// the source did not wait for it (a wall clock stepping back between two reads).
inline constexpr std::chrono::milliseconds early_tolerance = std::chrono::seconds(1);

class due_time_rule {
public:
    // `tier` is 1..N; `longest_delay` what retry_schedule::longest_delay(tier) says.
    due_time_rule(size_t tier, std::chrono::milliseconds longest_delay);

    // For the delayed source: the due time to wait for, or 0 (at once) when the record has
    // no due-ts or its due-ts breaks the rule. Never throws.
    int64_t wait_until(const raw_record& r) const;
    // For the processor: why the record with `hdrs` and Kafka timestamp `record_ts`, about to
    // be handled at wall-clock time `now`, must be dead-lettered instead; nullopt when its
    // due time is fine (or it has none).
    std::optional<std::string> problem(const headers& hdrs, int64_t record_ts, int64_t now) const;

    // The most a record of this tier may wait: longest delay + allowance, in ms.
    int64_t max_wait_ms() const { return _max_wait_ms; }

private:
    size_t _tier;
    int64_t _longest_delay_ms;
    int64_t _max_wait_ms;
};

} // namespace brook::apps
