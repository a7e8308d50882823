#pragma once

// The byte-level contract between the retry router and the handler behind it: what the
// router tells the handler side about one attempt (retry_attempt, also what a typed
// handler receives), and what it gets back (attempt_result). The typed top
// (retry_router.h) implements retry_attempt_handler over the user's callable and serdes.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "engine/nullable_bytes.h"
#include "engine/record.h"

namespace brook::apps {

// One attempt at handling a record.
struct retry_attempt {
    int64_t attempt = 1;             // 1 on the input topic; failed attempts so far + 1 in a tier
    size_t tier = 0;                 // 0: the input topic; n: retry tier n
    std::string_view previous_error; // why the last attempt failed; "" on the first
    int64_t first_failure_ts = -1;   // epoch ms; -1 on the first attempt
    const headers* record_headers = nullptr; // the record's headers, never null
};

// What one attempt decided, in bytes.
struct attempt_result {
    enum class outcome {
        success,       // to the output topic
        retriable,     // to the next tier, or the dead-letter topic after the last
        non_retriable, // to the dead-letter topic
        unreadable,    // the key or value could not be deserialized: to the dead-letter topic
    };
    outcome kind = outcome::success;
    std::string reason; // failures: why
    // Success: the value to write instead of the input value (nullopt inside: a Kafka
    // null); unset: the input value as it came.
    std::optional<std::optional<std::string>> output;
    // The record's event type, when the handler side could read it; chooses the schedule.
    std::optional<std::string> event_type;
};

// The handler side of one task. Lifecycle: made per task (by retry_router_config's
// make_handler) when the task initializes, destroyed with it. Threading: called only from
// the task's thread. attempt() must not throw: a failure is an attempt_result.
class retry_attempt_handler {
public:
    virtual ~retry_attempt_handler() = default;
    virtual attempt_result attempt(nullable_bytes key, nullable_bytes value,
                                   const retry_attempt& info) = 0;
};

} // namespace brook::apps
