#include "tests/support/metrics_oracle.h"

#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

namespace brook::testing {

void metrics_oracle::add_valid(const std::string& host, const std::string& name,
                               const std::string& unit, double value, int64_t ts) {
    metric_window& w = _windows[{host, name, unit, ts - ts % _window_ms}];
    w.min = w.count == 0 ? value : std::min(w.min, value);
    w.max = w.count == 0 ? value : std::max(w.max, value);
    w.sum += value;
    ++w.count;
    _max_ts = std::max(_max_ts, ts);
}

void metrics_oracle::add_malformed(const std::string& value) {
    _malformed.insert(value);
}

std::map<metric_window_id, metric_window> metrics_oracle::closed_at(int64_t stream_time,
                                                                    int64_t grace_ms) const {
    std::map<metric_window_id, metric_window> out;
    for (const auto& [id, w] : _windows) {
        if (std::get<3>(id) + _window_ms + grace_ms <= stream_time) {
            out.emplace(id, w);
        }
    }
    return out;
}

window_report
metrics_oracle::check_windows(const std::vector<std::string>& outputs,
                              const std::map<metric_window_id, metric_window>& closed) const {
    window_report r;
    std::set<metric_window_id> seen;
    const auto close_enough = [](double got, double want) {
        return std::abs(got - want) <= 1e-9 * std::max(1.0, std::abs(want));
    };
    for (const auto& value : outputs) {
        ++r.outputs;
        const auto j = nlohmann::json::parse(value, nullptr, false);
        if (j.is_discarded() || !j.is_object() || !j.contains("window_start")) {
            ++r.unexpected;
            continue;
        }
        const metric_window_id id{j.value("host", ""), j.value("name", ""),
                                  j["unit"].is_string() ? j["unit"].get<std::string>() : "",
                                  j.value("window_start", int64_t{-1})};
        auto it = closed.find(id);
        if (it == closed.end()) {
            ++r.unexpected;
            continue;
        }
        if (!seen.insert(id).second) {
            ++r.duplicates;
            continue;
        }
        const metric_window& w = it->second;
        const auto number = [&](const char* field) {
            return j.contains(field) && j[field].is_number() ? j[field].get<double>() : NAN;
        };
        if (j.value("count", int64_t{-1}) != w.count || !close_enough(number("sum"), w.sum) ||
            number("min") != w.min || number("max") != w.max ||
            j.value("window_end", int64_t{-1}) != std::get<3>(id) + _window_ms ||
            !close_enough(number("avg"), w.sum / static_cast<double>(w.count))) {
            ++r.wrong;
            if (j.value("count", int64_t{-1}) > w.count && number("sum") >= w.sum - 1e-9 &&
                number("min") == w.min && number("max") == w.max &&
                j.value("window_end", int64_t{-1}) == std::get<3>(id) + _window_ms) {
                ++r.inflated;
            }
        }
    }
    r.missing = static_cast<int64_t>(closed.size() - seen.size());
    return r;
}

dlq_report
metrics_oracle::check_dlq(const std::vector<std::pair<std::string, bool>>& records) const {
    dlq_report r;
    std::set<std::string> seen;
    for (const auto& [value, has_reason] : records) {
        ++r.records;
        if (!has_reason) {
            ++r.without_reason;
        }
        if (!_malformed.contains(value)) {
            ++r.unexpected;
        } else if (!seen.insert(value).second) {
            ++r.repeated;
        }
    }
    r.missing = static_cast<int64_t>(_malformed.size() - seen.size());
    for (const std::string& m : _malformed) {
        if (r.missing_examples.size() >= 10) {
            break;
        }
        if (!seen.contains(m)) {
            r.missing_examples.push_back(m);
        }
    }
    return r;
}

} // namespace brook::testing
