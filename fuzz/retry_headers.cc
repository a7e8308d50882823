// Fuzzes what the retry router reads from the headers of a record it finds in a retry
// tier: apps::retry_history::read (attempt, error, failure times, where the record came
// from) and the due-time header ("due-ts") through the router's due_time_rule.
// The input is the record's headers, one per line: "name:value", or "name" alone for a
// header with a null value; any bytes but '\n'.
//
// Invariants: reading never throws; every field is either a well-formed header value in
// range or the fallback; write() then read() gives the same history for every field that
// is in range; write() leaves exactly one header of each name it writes; the due-time
// rule waits for a due time only within what the tier could ask, and gives a reason when
// it refuses one.

#include <charconv>
#include <chrono>
#include <limits>
#include <string>

#include <fmt/format.h>

#include "apps/retry_router/retry_due_time.h"
#include "apps/retry_router/retry_history.h"
#include "engine/serde/serde.h"
#include "engine/text/safe_text.h"
#include "fuzz/fuzz_support.h"

namespace {

constexpr int64_t max_attempt = 1000; // as a retry schedule would bound it

using namespace brook;
using namespace brook::apps;

constexpr int64_t now_ms = 1700000000000;

// The value of the last header `name` as an integer in [min, max], if it is one.
std::optional<int64_t> header_int(const headers& h, std::string_view name, int64_t min,
                                  int64_t max) {
    const auto text = h.last(name);
    if (!text) {
        return std::nullopt;
    }
    int64_t v = 0;
    const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
    if (ec != std::errc() || end != text->data() + text->size() || v < min || v > max) {
        return std::nullopt;
    }
    return v;
}

// The fallbacks the router would use for a record of tier 2 and of tier 3.
retry_history fallback_of(int64_t tier) {
    retry_history h;
    h.attempt = tier;
    h.error = "";
    h.first_failure_ts = now_ms - 5000;
    h.last_failure_ts = now_ms - 1000;
    h.original_topic = "orders";
    h.original_partition = 3;
    h.original_offset = 42;
    h.original_timestamp = now_ms - 6000;
    return h;
}

// Each numeric field of `read` is the header's value when that is in range, else the
// fallback's.
void check_fields(const headers& h, const retry_history& read, const retry_history& fallback,
                  int64_t max_attempt) {
    constexpr int64_t max = std::numeric_limits<int64_t>::max();
    const auto expect = [&](std::string_view name, int64_t got, int64_t fallback_value,
                            int64_t max_value) {
        const int64_t want = header_int(h, name, 0, max_value).value_or(fallback_value);
        FUZZ_CHECK(got == want, fmt::format("{}: read {}, expected {}", name, got, want));
    };
    expect(retry_header::attempt, read.attempt, fallback.attempt, max_attempt);
    expect(retry_header::first_failure_ts, read.first_failure_ts, fallback.first_failure_ts, max);
    expect(retry_header::last_failure_ts, read.last_failure_ts, fallback.last_failure_ts, max);
    expect(retry_header::original_partition, read.original_partition, fallback.original_partition,
           std::numeric_limits<int32_t>::max());
    expect(retry_header::original_offset, read.original_offset, fallback.original_offset, max);
    expect(retry_header::original_timestamp, read.original_timestamp, fallback.original_timestamp,
           max);
    const auto error = h.last(retry_header::error);
    FUZZ_CHECK(read.error == (error ? std::string(*error) : fallback.error), "error");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const retry_history fallback = fallback_of(2);
    headers h;
    std::string_view rest = fuzz::as_text(data, size);
    while (!rest.empty()) {
        const size_t newline = rest.find('\n');
        const std::string_view line = rest.substr(0, newline);
        rest = newline == std::string_view::npos ? std::string_view() : rest.substr(newline + 1);
        const size_t colon = line.find(':');
        if (colon == std::string_view::npos) {
            h.add(std::string(line), std::nullopt);
        } else {
            h.add(std::string(line.substr(0, colon)), std::string(line.substr(colon + 1)));
        }
    }

    const retry_history read = retry_history::read(h, fallback, max_attempt);
    check_fields(h, read, fallback, max_attempt);
    FUZZ_CHECK(read.attempt <= max_attempt,
               fmt::format("attempt {} over the bound {}", read.attempt, max_attempt));

    // What the router writes reads back the same.
    headers written = h;
    read.write(written);
    for (const std::string_view name :
         {retry_header::attempt, retry_header::error, retry_header::first_failure_ts,
          retry_header::original_topic, retry_header::original_offset}) {
        size_t n = 0;
        for (const auto& [key, value] : written) {
            n += key == name ? 1 : 0;
        }
        FUZZ_CHECK(n == 1, fmt::format("{} headers named {}", n, name));
    }
    const retry_history other = fallback_of(3);
    const retry_history back = retry_history::read(written, other, max_attempt);
    check_fields(written, back, other, max_attempt);
    // The reason is written made safe (valid UTF-8, bounded): it may quote a record.
    FUZZ_CHECK(back.error == text::safe(read.error) && back.original_topic == read.original_topic,
               "text fields round trip");
    if (read.attempt >= 0) {
        FUZZ_CHECK(back.attempt == read.attempt, "attempt round trip");
    }
    if (read.original_offset >= 0) {
        FUZZ_CHECK(back.original_offset == read.original_offset, "offset round trip");
    }

    // The due time of a tier-2 record: waited for only within what the tier could ask;
    // anything else is due at once, and then dead-lettered with a reason.
    raw_record record;
    record.timestamp = now_ms;
    record.headers = &h;
    const due_time_rule rule(2, std::chrono::minutes(10));
    const int64_t due = rule.wait_until(record);
    // wait_until() bounds the wait by the wall clock, not by this harness's fixed now_ms:
    // a due time past now_ms may be long gone by the machine's clock (then it is due at
    // once). Read after the call, so the clock can only have moved on.
    const int64_t wall_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count();
    const auto problem = rule.problem(h, now_ms, now_ms);
    if (!h.contains(retry_header::due_ts)) {
        FUZZ_CHECK(due == 0 && !problem, "no header, yet a due time or a problem");
    }
    FUZZ_CHECK(due == 0 || due <= std::max(now_ms, wall_ms) + rule.max_wait_ms(),
               fmt::format("a due time of {} holds the partition past the tier's delay", due));
    if (problem) {
        FUZZ_CHECK(!problem->empty(), "an empty reason");
    }
    return 0;
}
