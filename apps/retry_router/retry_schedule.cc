#include "apps/retry_router/retry_schedule.h"

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include <fmt/format.h>

#include "apps/common/app_cli.h"

namespace brook::apps {

namespace {

using namespace std::chrono_literals;

// Beyond a year is a typo rather than a schedule, and keeps now + delay far from overflow.
constexpr std::chrono::milliseconds max_delay = std::chrono::hours(24 * 365);

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())) != 0) {
        s.remove_prefix(1);
    }
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())) != 0) {
        s.remove_suffix(1);
    }
    return s;
}

// One delay of a schedule: a duration as the apps' flags take them (see parse_duration).
std::chrono::milliseconds parse_delay(std::string_view item) {
    const std::optional<std::chrono::milliseconds> delay = parse_duration(item);
    if (!delay) {
        throw std::invalid_argument(fmt::format(
            "'{}' is not a delay: write a whole number with a unit, like 500ms, 10s, 5m or 1h",
            item));
    }
    if (*delay > max_delay) {
        throw std::invalid_argument(
            fmt::format("the delay '{}' is over a year: use at most {}h", item, 24 * 365));
    }
    return *delay;
}

} // namespace

retry_schedule::retry_schedule(delays default_delays,
                               std::map<std::string, delays, std::less<>> by_event_type)
    : _default(std::move(default_delays)), _by_type(std::move(by_event_type)) {
    const auto check = [](const delays& d, const std::string& whose) {
        for (const auto& delay : d) {
            if (delay < 0ms || delay > max_delay) {
                throw std::invalid_argument(
                    fmt::format("{} has the delay {} ms: delays must be from 0 to a year", whose,
                                delay.count()));
            }
        }
    };
    if (_default.empty()) {
        throw std::invalid_argument(
            "the default retry schedule is empty: give at least one delay, like 1m,5m,15m,60m");
    }
    check(_default, "the default retry schedule");
    for (const auto& [type, d] : _by_type) {
        if (type.empty()) {
            throw std::invalid_argument("an event type's retry schedule names no event type: "
                                        "write TYPE=DELAYS, like payment=1s,2s");
        }
        if (d.empty()) {
            throw std::invalid_argument(fmt::format(
                "the retry schedule of event type '{}' is empty: give at least one delay", type));
        }
        if (d.size() > _default.size()) {
            throw std::invalid_argument(fmt::format(
                "the retry schedule of event type '{}' has {} delays but the default has {}: the "
                "default schedule's length is the number of retry tiers, so a type can have at "
                "most that many; lengthen the default schedule or shorten the type's",
                type, d.size(), _default.size()));
        }
        check(d, fmt::format("the retry schedule of event type '{}'", type));
    }
}

retry_schedule::delays retry_schedule::parse_delays(std::string_view text) {
    delays out;
    if (trim(text).empty()) {
        throw std::invalid_argument(
            "the retry schedule is empty: give delays separated by commas, like 1m,5m,15m,60m");
    }
    size_t start = 0;
    while (start <= text.size()) {
        const size_t comma = text.find(',', start);
        const std::string_view item =
            trim(text.substr(start, comma == std::string_view::npos ? text.npos : comma - start));
        if (item.empty()) {
            throw std::invalid_argument(fmt::format(
                "the retry schedule '{}' has an empty item: separate delays by single commas",
                text));
        }
        out.push_back(parse_delay(item));
        if (comma == std::string_view::npos) {
            break;
        }
        start = comma + 1;
    }
    return out;
}

std::pair<std::string, retry_schedule::delays>
retry_schedule::parse_event_type_delays(std::string_view text) {
    const size_t eq = text.find('=');
    if (eq == std::string_view::npos) {
        throw std::invalid_argument(
            fmt::format("'{}' is not TYPE=DELAYS: write the event type, '=' and its delays, like "
                        "payment=1s,2s",
                        text));
    }
    const std::string_view type = trim(text.substr(0, eq));
    if (type.empty()) {
        throw std::invalid_argument(
            fmt::format("'{}' names no event type before '=': write TYPE=DELAYS", text));
    }
    return {std::string(type), parse_delays(text.substr(eq + 1))};
}

std::string retry_schedule::to_string(const delays& d) {
    std::string out;
    for (const auto& delay : d) {
        if (!out.empty()) {
            out += ',';
        }
        const int64_t ms = delay.count();
        if (ms != 0 && ms % 3'600'000 == 0) {
            out += fmt::format("{}h", ms / 3'600'000);
        } else if (ms != 0 && ms % 60'000 == 0) {
            out += fmt::format("{}m", ms / 60'000);
        } else if (ms != 0 && ms % 1000 == 0) {
            out += fmt::format("{}s", ms / 1000);
        } else {
            out += fmt::format("{}ms", ms);
        }
    }
    return out;
}

const retry_schedule::delays&
retry_schedule::delays_for(const std::optional<std::string>& event_type) const {
    if (event_type) {
        if (auto it = _by_type.find(*event_type); it != _by_type.end()) {
            return it->second;
        }
    }
    return _default;
}

std::chrono::milliseconds retry_schedule::longest_delay(size_t tier) const {
    if (tier < 1 || tier > _default.size()) {
        throw std::out_of_range(fmt::format("retry_schedule: tier {} of a schedule with {} tiers",
                                            tier, _default.size()));
    }
    std::chrono::milliseconds longest = _default[tier - 1];
    for (const auto& [type, d] : _by_type) {
        if (tier <= d.size()) {
            longest = std::max(longest, d[tier - 1]);
        }
    }
    return longest;
}

} // namespace brook::apps
