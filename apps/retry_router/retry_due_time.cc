#include "apps/retry_router/retry_due_time.h"

#include <charconv>
#include <limits>

#include <fmt/format.h>

#include "apps/retry_router/retry_history.h"

namespace brook::apps {

namespace {

constexpr int64_t int64_max = std::numeric_limits<int64_t>::max();

// a + b for b >= 0, capped at INT64_MAX: both come from headers or clocks anyone can set.
int64_t saturating_add(int64_t a, int64_t b) {
    return a > int64_max - b ? int64_max : a + b;
}

// a - b for a > b, capped at INT64_MAX.
int64_t saturating_distance(int64_t a, int64_t b) {
    return b < 0 && a > int64_max + b ? int64_max : a - b;
}

// The due-ts header as read: absent, unreadable (with why) or a number.
struct due_header {
    bool present = false;
    std::optional<int64_t> due;
    std::string unreadable;
};

due_header read_due(const headers* hdrs) {
    due_header out;
    if (hdrs == nullptr || !hdrs->contains(retry_header::due_ts)) {
        return out;
    }
    out.present = true;
    const std::optional<std::string_view> text = hdrs->last(retry_header::due_ts);
    if (!text) {
        out.unreadable = fmt::format("due-time header '{}' has no value", retry_header::due_ts);
        return out;
    }
    int64_t due = 0;
    const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), due);
    if (ec != std::errc() || end != text->data() + text->size()) {
        out.unreadable = fmt::format("due-time header '{}' is not decimal epoch milliseconds: '{}'",
                                     retry_header::due_ts, text->substr(0, 64));
        return out;
    }
    out.due = due;
    return out;
}

// When the record last failed: its last-failure-ts header when it reads as epoch ms, else its
// Kafka timestamp (the router writes both alike).
int64_t last_failure(const headers* hdrs, int64_t record_ts) {
    if (hdrs != nullptr) {
        if (const auto text = hdrs->last(retry_header::last_failure_ts)) {
            int64_t ts = 0;
            const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), ts);
            if (ec == std::errc() && end == text->data() + text->size() && ts >= 0) {
                return ts;
            }
        }
    }
    return record_ts;
}

int64_t system_now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

} // namespace

due_time_rule::due_time_rule(size_t tier, std::chrono::milliseconds longest_delay)
    : _tier(tier), _longest_delay_ms(longest_delay.count()),
      _max_wait_ms(saturating_add(longest_delay.count(), due_time_allowance.count())) {}

int64_t due_time_rule::wait_until(const raw_record& r) const {
    const due_header h = read_due(r.headers);
    if (!h.due) {
        return 0; // none (at once), or unreadable: problem() dead-letters it
    }
    const int64_t due = *h.due;
    if (due > saturating_add(last_failure(r.headers, r.timestamp), _max_wait_ms) ||
        due > saturating_add(system_now_ms(), _max_wait_ms)) {
        return 0;
    }
    return due;
}

std::optional<std::string> due_time_rule::problem(const headers& hdrs, int64_t record_ts,
                                                  int64_t now) const {
    const due_header h = read_due(&hdrs);
    if (!h.present) {
        return std::nullopt;
    }
    if (!h.due) {
        return h.unreadable;
    }
    const int64_t due = *h.due;
    const std::string bound =
        fmt::format("a tier-{} record is due at most {} ms after its last failure and after it "
                    "is read (the tier's longest delay, {} ms, plus {} ms for clocks that "
                    "differ); not waited for, so that it cannot hold its partition",
                    _tier, _max_wait_ms, _longest_delay_ms, due_time_allowance.count());
    const int64_t failed = last_failure(&hdrs, record_ts);
    if (due > saturating_add(failed, _max_wait_ms)) {
        return fmt::format("due-ts {} is {} ms after the record's last failure at {}: {}", due,
                           saturating_distance(due, failed), failed, bound);
    }
    if (due > saturating_add(now, early_tolerance.count())) {
        return fmt::format("due-ts {} is {} ms after now ({}): {}", due,
                           saturating_distance(due, now), now, bound);
    }
    return std::nullopt;
}

} // namespace brook::apps
