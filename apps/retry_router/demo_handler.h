#pragma once

// The demo handler of brook-retry-router and of its tests: it fails on purpose, as the
// input asks, so that every path of the router can be watched.
//
// Input values are JSON objects:
//
//   {"id": string, "fail_attempts": n (optional), "poison": bool (optional),
//    "event_type": string (optional)}
//
// id is a non-empty string, fail_attempts an integer from 0 to 1,000,000 (default 0),
// poison a boolean (default false), event_type a non-empty string (chooses the retry
// schedule); other fields are ignored. A value that is null, not JSON (bytes after the
// value included), nested deeper than 64 levels (json_fields.h), not an object or breaks a
// rule is unreadable: the router dead-letters it with attempt 0. A poison record
// fails non-retriably; otherwise attempts 1 to fail_attempts fail retriably and the next
// one succeeds, writing the input value unchanged to the output topic. So with N tiers a
// record with fail_attempts <= N ends in the output with attempt header fail_attempts (no
// retry headers when 0), and one with fail_attempts > N in the dead-letter topic with
// attempt N + 1.
//
// Threading: stateless; safe from any thread.

#include <cstdint>
#include <optional>
#include <string>

#include "apps/retry_router/retry_router.h"

namespace brook::apps {

struct demo_event {
    std::string id;
    int64_t fail_attempts = 0;
    bool poison = false;
    std::optional<std::string> event_type;
};

// JSON as above. deserialize throws serde_error saying which rule the value breaks.
struct demo_event_serde {
    nullable_bytes serialize(const demo_event& e, std::string& buffer) const;
    demo_event deserialize(nullable_bytes in) const;
};

using demo_key = std::optional<std::string>;
using demo_retry_router =
    retry_router<demo_key, demo_event, demo_event, optional_serde<string_serde>, demo_event_serde,
                 demo_event_serde>;

retry_outcome<demo_event> demo_handler(const demo_key& key, const demo_event& event,
                                       const retry_attempt& attempt);
std::optional<std::string> demo_event_type(const demo_event& event);

} // namespace brook::apps
