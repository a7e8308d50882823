#pragma once

// user_activity_oracle: what brook-user-activity must make of an input, computed by the
// test from the events it writes (not from the app's code), and the check of its output.
//
// A test tells the oracle each distinct event as it produces it (a repeat of an event_id
// is a duplicate the app drops, so it is not told twice). The oracle keeps every user's
// window totals: user events by type, orders and their total in cents. check() compares
// the app's output values (JSON) with the windows that must be closed.
//
// Value type; single-threaded.

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/window_report.h"

namespace brook::testing {

// (user, window start)
using activity_window_id = std::pair<std::string, int64_t>;

struct activity_window {
    int64_t events = 0;
    std::map<std::string, int64_t> by_type;
    int64_t orders = 0;
    int64_t order_total_cents = 0;
    bool operator==(const activity_window&) const = default;
};

class user_activity_oracle {
public:
    explicit user_activity_oracle(int64_t window_ms) : _window_ms(window_ms) {}

    void add_user_event(const std::string& user, const std::string& event_type, int64_t ts);
    void add_order(const std::string& user, int64_t amount_cents, int64_t ts);

    const std::map<activity_window_id, activity_window>& windows() const { return _windows; }
    int64_t max_ts() const { return _max_ts; }
    // The windows closed once the app's stream time reached `stream_time`: end + grace <=
    // stream time.
    std::map<activity_window_id, activity_window> closed_at(int64_t stream_time,
                                                            int64_t grace_ms) const;

    // `outputs`: the output records' values. `closed`: the windows that must be there.
    window_report check(const std::vector<std::string>& outputs,
                        const std::map<activity_window_id, activity_window>& closed) const;

private:
    int64_t _window_ms;
    std::map<activity_window_id, activity_window> _windows;
    int64_t _max_ts = -1;
};

} // namespace brook::testing
