#pragma once

// retry_schedule: how long a failed record waits before each retry, by event type.
//
// The default schedule has one delay per retry tier, and its length is the number of
// tiers: "1m,5m,15m,60m" makes four tiers, <input>.retry.1 to <input>.retry.4, and a record
// whose attempt fails in tier n waits delay n+1 in tier n+1 (the first failure, on the
// input topic, waits delay 1 in tier 1). After a failure in the last tier the record goes
// to the dead-letter topic.
//
// An event type may have a schedule of its own, used for records whose handler side
// reports that event type. Its rule: at most as many delays as the default (the tiers are
// topics, made for the default's length), at least one. A shorter one retries that type
// fewer times: its records go to the dead-letter topic after a failure in its last tier.
//
// Lifecycle: a value, fixed once made. Threading: const use from any thread.

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace brook::apps {

class retry_schedule {
public:
    using delays = std::vector<std::chrono::milliseconds>;

    // Throws std::invalid_argument, saying what to change, for an empty default schedule, a
    // negative delay or one over a year, an empty event type, or an event type's schedule
    // that is empty or longer than the default.
    explicit retry_schedule(delays default_delays,
                            std::map<std::string, delays, std::less<>> by_event_type = {});

    // Parses a comma-separated list of durations with units ms, s, m or h ("1m,5m,15m,60m",
    // "500ms,2s"). Throws std::invalid_argument naming the item that is not one.
    static delays parse_delays(std::string_view text);
    // Parses "TYPE=DELAYS" ("payment=1s,2s") into the event type and its delays. Throws
    // std::invalid_argument.
    static std::pair<std::string, delays> parse_event_type_delays(std::string_view text);
    // "1m,5m,15m,1h" for messages.
    static std::string to_string(const delays& d);

    // The number of retry tiers: the default schedule's length.
    size_t tiers() const { return _default.size(); }
    const delays& default_delays() const { return _default; }
    const std::map<std::string, delays, std::less<>>& by_event_type() const { return _by_type; }
    // The delays for records of `event_type`: its own schedule, else the default.
    const delays& delays_for(const std::optional<std::string>& event_type) const;
    // The longest delay any schedule gives tier `tier` (1..tiers()): how long after its
    // failure a record written to that tier can be due. Throws std::out_of_range for a tier
    // the schedule does not have.
    std::chrono::milliseconds longest_delay(size_t tier) const;

private:
    delays _default;
    std::map<std::string, delays, std::less<>> _by_type;
};

} // namespace brook::apps
