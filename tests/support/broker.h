#pragma once

// Helpers for integration tests that run against the real broker started by `make test`
// (scripts/kafka) or the cluster named by KAFKA_BOOTSTRAP.

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

} // namespace brook::testing
