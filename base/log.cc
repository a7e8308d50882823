#include "base/log.h"

#include <atomic>
#include <cstdio>
#include <mutex>
#include <string>

namespace brook {

namespace {

// Writes each message as one line with one call, so lines of concurrent threads do not
// interleave.
class stderr_sink final : public log_sink {
public:
    void write(log_level level, std::string_view message) override {
        std::string line;
        line.reserve(message.size() + 16);
        line += "brook: ";
        if (level == log_level::debug) {
            line += "debug: ";
        }
        line += message;
        line += '\n';
        std::fwrite(line.data(), 1, line.size(), stderr);
    }
};

std::mutex sink_mutex;
std::shared_ptr<log_sink>& installed() {
    static std::shared_ptr<log_sink> sink; // null: the default
    return sink;
}
std::atomic<int> threshold{static_cast<int>(log_level::info)};

} // namespace

const char* to_string(log_level level) {
    switch (level) {
    case log_level::error:
        return "error";
    case log_level::warn:
        return "warn";
    case log_level::info:
        return "info";
    case log_level::debug:
        return "debug";
    }
    return "unknown";
}

std::optional<log_level> parse_log_level(std::string_view text) {
    for (const log_level l :
         {log_level::error, log_level::warn, log_level::info, log_level::debug}) {
        if (text == to_string(l)) {
            return l;
        }
    }
    return std::nullopt;
}

void set_log_sink(std::shared_ptr<log_sink> sink) {
    std::lock_guard lock(sink_mutex);
    installed() = std::move(sink);
}

void set_log_level(log_level level) {
    threshold.store(static_cast<int>(level), std::memory_order_relaxed);
}

log_level current_log_level() {
    return static_cast<log_level>(threshold.load(std::memory_order_relaxed));
}

bool log_enabled(log_level level) {
    return static_cast<int>(level) <= threshold.load(std::memory_order_relaxed);
}

void write_log(log_level level, std::string_view message) {
    if (!log_enabled(level)) {
        return;
    }
    std::shared_ptr<log_sink> sink;
    {
        std::lock_guard lock(sink_mutex);
        sink = installed();
    }
    if (sink) {
        sink->write(level, message);
        return;
    }
    static stderr_sink fallback;
    fallback.write(level, message);
}

} // namespace brook
