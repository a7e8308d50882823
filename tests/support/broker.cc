#include "tests/support/broker.h"

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <unistd.h>

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace brook::testing {

std::string real_bootstrap() {
    const char* env = std::getenv("KAFKA_BOOTSTRAP");
    if (env == nullptr || *env == '\0') {
        throw std::runtime_error(
            "KAFKA_BOOTSTRAP is not set: run integration tests with `make test`, which starts "
            "the real broker, or export KAFKA_BOOTSTRAP=host:port of a running Kafka 3.9 broker");
    }
    return env;
}

std::string unique_name(const std::string& prefix) {
    static std::atomic<int> counter{0};
    const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    return fmt::format("{}-{}-{}-{}", prefix, ::getpid(), now % 100000000, counter++);
}

kafka::client_config real_client_config() {
    return kafka::client_config{{"bootstrap.servers", real_bootstrap()}};
}

int64_t recent_event_time(int64_t align_ms) {
    const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    const int64_t two_hours_ago = now - 2 * 3600 * 1000;
    return two_hours_ago - two_hours_ago % align_ms;
}

} // namespace brook::testing
