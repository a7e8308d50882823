#include "apps/common/restore_progress.h"

#include <algorithm>
#include <unistd.h>

#include <fmt/format.h>

namespace brook::apps {

restore_progress::restore_progress(std::FILE* out, std::optional<bool> tty,
                                   std::chrono::milliseconds log_interval)
    : _out(out), _tty(tty.value_or(isatty(fileno(out)) != 0)), _log_interval(log_interval) {}

int64_t restore_progress::restored() const {
    std::lock_guard lock(_mutex);
    return _restored;
}

int64_t restore_progress::expected() const {
    std::lock_guard lock(_mutex);
    return _expected;
}

void restore_progress::on_restore_start(const std::string& topic, int32_t partition,
                                        const std::string& store, int64_t start_offset,
                                        int64_t end_offset) {
    std::lock_guard lock(_mutex);
    const int64_t todo = std::max<int64_t>(0, end_offset - start_offset);
    if (todo == 0) {
        return; // up to date: nothing worth a line
    }
    if (_running == 0) {
        _started = std::chrono::steady_clock::now();
    }
    ++_running;
    _expected += todo;
    if (!_tty) {
        std::fprintf(_out, "%s",
                     fmt::format("brook: restoring store '{}' from {}-{}: offsets {} to {}\n",
                                 store, topic, partition, start_offset, end_offset)
                         .c_str());
    }
    draw_locked(true);
}

void restore_progress::on_batch_restored(const std::string& /*topic*/, int32_t /*partition*/,
                                         const std::string& /*store*/, int64_t /*batch_end_offset*/,
                                         int64_t count) {
    std::lock_guard lock(_mutex);
    _restored += count;
    draw_locked(false);
}

void restore_progress::on_restore_end(const std::string& topic, int32_t partition,
                                      const std::string& store, int64_t total_restored) {
    std::lock_guard lock(_mutex);
    if (_running == 0) {
        return; // was up to date at start
    }
    --_running;
    if (!_tty) {
        std::fprintf(_out, "%s",
                     fmt::format("brook: restored store '{}' from {}-{}: {} records\n", store,
                                 topic, partition, total_restored)
                         .c_str());
    }
    draw_locked(true);
    if (_running == 0) {
        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - _started).count();
        if (_line_open) {
            std::fputc('\n', _out);
            _line_open = false;
        }
        std::fprintf(_out, "%s",
                     fmt::format("brook: restore done: {} records in {:.1f} s ({:.0f} records/s)\n",
                                 _restored, seconds,
                                 seconds > 0 ? static_cast<double>(_restored) / seconds : 0.0)
                         .c_str());
        _expected = 0;
        _restored = 0;
    }
    std::fflush(_out);
}

void restore_progress::draw_locked(bool force) {
    const auto now = std::chrono::steady_clock::now();
    const auto min_gap = _tty ? std::chrono::milliseconds(100) : _log_interval;
    if (!force && now - _last_draw < min_gap) {
        return;
    }
    _last_draw = now;
    const double seconds = std::chrono::duration<double>(now - _started).count();
    const double rate = seconds > 0 ? static_cast<double>(_restored) / seconds : 0.0;
    const double fraction =
        _expected > 0
            ? std::min(1.0, static_cast<double>(_restored) / static_cast<double>(_expected))
            : 1.0;
    if (_tty) {
        constexpr int width = 30;
        const int filled = static_cast<int>(fraction * width);
        std::fprintf(_out, "%s",
                     fmt::format("\rrestoring [{}{}] {:3.0f}% {}/{} records, {:.0f}/s ",
                                 std::string(static_cast<size_t>(filled), '#'),
                                 std::string(static_cast<size_t>(width - filled), '.'),
                                 fraction * 100, _restored, _expected, rate)
                         .c_str());
        _line_open = true;
    } else if (!force) {
        std::fprintf(_out, "%s",
                     fmt::format("brook: restore progress {:.0f}%: {}/{} records, {:.0f}/s\n",
                                 fraction * 100, _restored, _expected, rate)
                         .c_str());
    }
    std::fflush(_out);
}

} // namespace brook::apps
