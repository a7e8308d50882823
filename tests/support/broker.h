#pragma once

// Helpers for integration tests that run against the real broker started by `make test`
// (scripts/kafka) or the cluster named by KAFKA_BOOTSTRAP.

#include <cstdint>
#include <string>

#include "engine/kafka/client_config.h"

namespace brook::testing {

// KAFKA_BOOTSTRAP, or a fatal test failure that says how to provide it. Integration tests
// never fall back to the embedded mock: it ignores transactions and has no compaction.
std::string real_bootstrap();

// A topic name no other test run uses: prefix, process id and a counter.
std::string unique_name(const std::string& prefix);

// A client config for the real broker with sane test defaults.
kafka::client_config real_client_config();

// An event time for test records: a whole multiple of `align_ms`, about two hours before
// now. Not a fixed date: the broker deletes a segment whose newest record is older than
// retention.ms (7 days by default) at its next retention check, every 5 minutes, so
// records stamped years back could vanish from a topic in the middle of a test.
int64_t recent_event_time(int64_t align_ms);

} // namespace brook::testing
