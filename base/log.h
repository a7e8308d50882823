#pragma once

// log: where Brook's library code says what it does and what went wrong. Library code
// writes nothing to stderr itself: every message goes through write_log() (or log_warn()
// and its siblings) to the sink the program set, or to the default one, which writes
// "brook: <message>" lines to stderr.
//
// Threading: write_log() may be called from any thread (stream threads, the standby
// updater, librdkafka's threads); a sink must be thread-safe and quick. set_log_sink and
// set_log_level may be called at any time; a message already being written still goes to
// the sink it started with.

#include <memory>
#include <optional>
#include <string_view>

namespace brook {

enum class log_level { error, warn, info, debug };

const char* to_string(log_level level);
// "error", "warn", "info" or "debug"; nullopt for anything else.
std::optional<log_level> parse_log_level(std::string_view text);

class log_sink {
public:
    log_sink() = default;
    log_sink(const log_sink&) = delete;
    log_sink& operator=(const log_sink&) = delete;
    virtual ~log_sink() = default;
    // One message, without a trailing newline.
    virtual void write(log_level level, std::string_view message) = 0;
};

// Process-wide. A null sink restores the default (stderr).
void set_log_sink(std::shared_ptr<log_sink> sink);
// Messages less severe than `level` are dropped (default: info).
void set_log_level(log_level level);
log_level current_log_level();
bool log_enabled(log_level level);

void write_log(log_level level, std::string_view message);

inline void log_error(std::string_view message) {
    write_log(log_level::error, message);
}
inline void log_warn(std::string_view message) {
    write_log(log_level::warn, message);
}
inline void log_info(std::string_view message) {
    write_log(log_level::info, message);
}
inline void log_debug(std::string_view message) {
    write_log(log_level::debug, message);
}

} // namespace brook
