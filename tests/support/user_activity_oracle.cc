#include "tests/support/user_activity_oracle.h"

#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

namespace brook::testing {

void user_activity_oracle::add_user_event(const std::string& user, const std::string& event_type,
                                          int64_t ts) {
    activity_window& w = _windows[{user, ts - ts % _window_ms}];
    ++w.events;
    ++w.by_type[event_type];
    _max_ts = std::max(_max_ts, ts);
}

void user_activity_oracle::add_order(const std::string& user, int64_t amount_cents, int64_t ts) {
    activity_window& w = _windows[{user, ts - ts % _window_ms}];
    ++w.orders;
    w.order_total_cents += amount_cents;
    _max_ts = std::max(_max_ts, ts);
}

std::map<activity_window_id, activity_window>
user_activity_oracle::closed_at(int64_t stream_time, int64_t grace_ms) const {
    std::map<activity_window_id, activity_window> out;
    for (const auto& [id, w] : _windows) {
        if (id.second + _window_ms + grace_ms <= stream_time) {
            out.emplace(id, w);
        }
    }
    return out;
}

namespace {

// Every total of `got` at least that of `want`: what counting some events twice makes.
bool at_least(const activity_window& got, const activity_window& want) {
    if (got.events < want.events || got.orders < want.orders ||
        got.order_total_cents < want.order_total_cents) {
        return false;
    }
    return std::all_of(want.by_type.begin(), want.by_type.end(), [&](const auto& type_count) {
        const auto it = got.by_type.find(type_count.first);
        return it != got.by_type.end() && it->second >= type_count.second;
    });
}

} // namespace

window_report
user_activity_oracle::check(const std::vector<std::string>& outputs,
                            const std::map<activity_window_id, activity_window>& closed) const {
    window_report r;
    std::set<activity_window_id> seen;
    for (const auto& value : outputs) {
        ++r.outputs;
        const auto j = nlohmann::json::parse(value, nullptr, false);
        if (j.is_discarded() || !j.is_object() || !j.contains("window_start") ||
            !j["window_start"].is_number_integer()) {
            ++r.unexpected;
            continue;
        }
        const activity_window_id id{j.value("user_id", ""), j["window_start"].get<int64_t>()};
        const auto it = closed.find(id);
        if (it == closed.end()) {
            ++r.unexpected;
            continue;
        }
        if (!seen.insert(id).second) {
            ++r.duplicates;
            continue;
        }
        activity_window got;
        try {
            got.events = j.value("events", int64_t{-1});
            got.orders = j.value("orders", int64_t{-1});
            got.order_total_cents = j.value("order_total_cents", int64_t{-1});
            if (j.contains("by_type") && j["by_type"].is_object()) {
                got.by_type = j["by_type"].get<std::map<std::string, int64_t>>();
            }
        } catch (const nlohmann::json::exception&) {
            ++r.wrong; // a field of another type
            continue;
        }
        // Types without events may be left out or written as 0.
        std::erase_if(got.by_type, [](const auto& type_count) { return type_count.second == 0; });
        const bool end_right = j.value("window_end", int64_t{-1}) == id.second + _window_ms;
        if (!(got == it->second) || !end_right) {
            ++r.wrong;
            if (end_right && at_least(got, it->second)) {
                ++r.inflated;
            }
        }
    }
    r.missing = static_cast<int64_t>(closed.size() - seen.size());
    return r;
}

} // namespace brook::testing
