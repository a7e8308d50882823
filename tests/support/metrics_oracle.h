#pragma once

// metrics_oracle: what brook-metrics must make of an input, computed by the test from the
// records it writes (not from the app's code), and the check of what the app made.
//
// A test tells the oracle each record as it produces it: a valid metric with the host,
// name, unit and value as the app must report them after normalising, or a malformed
// record's bytes. The oracle keeps every window's count, sum, min and max, and which
// records belong in the DLQ. check_windows() compares the app's output records (JSON
// values) with the windows that must be closed; check_dlq() compares the DLQ.
//
// Value type; single-threaded.

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "tests/support/window_report.h"

namespace brook::testing {

// (host, name, unit, window start)
using metric_window_id = std::tuple<std::string, std::string, std::string, int64_t>;

struct metric_window {
    int64_t count = 0;
    double sum = 0;
    double min = 0;
    double max = 0;
};

struct dlq_report {
    int64_t records = 0;
    int64_t unexpected = 0;                    // not one of the malformed records written
    int64_t repeated = 0;                      // a malformed record dead-lettered more than once
    int64_t missing = 0;                       // a malformed record never dead-lettered
    int64_t without_reason = 0;                // no (or an empty) "error" header
    std::vector<std::string> missing_examples; // the first few never dead-lettered
};

class metrics_oracle {
public:
    explicit metrics_oracle(int64_t window_ms) : _window_ms(window_ms) {}

    void add_valid(const std::string& host, const std::string& name, const std::string& unit,
                   double value, int64_t ts);
    void add_malformed(const std::string& value);

    const std::map<metric_window_id, metric_window>& windows() const { return _windows; }
    const std::set<std::string>& malformed() const { return _malformed; }
    int64_t max_ts() const { return _max_ts; }
    // The windows the app must have closed once its stream time reached `stream_time`:
    // end + grace <= stream time.
    std::map<metric_window_id, metric_window> closed_at(int64_t stream_time,
                                                        int64_t grace_ms) const;

    // `outputs`: the output records' values. `closed`: the windows that must be there.
    window_report check_windows(const std::vector<std::string>& outputs,
                                const std::map<metric_window_id, metric_window>& closed) const;
    // `records`: each DLQ record's value and whether it had a non-empty "error" header.
    dlq_report check_dlq(const std::vector<std::pair<std::string, bool>>& records) const;

private:
    int64_t _window_ms;
    std::map<metric_window_id, metric_window> _windows;
    std::set<std::string> _malformed;
    int64_t _max_ts = -1;
};

} // namespace brook::testing
