#pragma once

// restore_progress: the state_restore_listener Brook's apps and tools use to show how a
// restore from changelogs goes. On a terminal it redraws one progress line (a bar, records
// restored out of the total, records per second); otherwise (logs, CI) it writes a line
// when each store partition starts and ends and at most one progress line per interval.
//
// Threading: called from any stream thread; all output is under one mutex.
// Lifecycle: must outlive the application it is registered with.

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "engine/runtime/state_restore_listener.h"

namespace brook::apps {

class restore_progress final : public state_restore_listener {
public:
    // Writes to `out` (stderr by default); `tty` nullopt: detect from the stream.
    explicit restore_progress(std::FILE* out = stderr, std::optional<bool> tty = std::nullopt,
                              std::chrono::milliseconds log_interval = std::chrono::seconds(5));

    void on_restore_start(const std::string& topic, int32_t partition, const std::string& store,
                          int64_t start_offset, int64_t end_offset) override;
    void on_batch_restored(const std::string& topic, int32_t partition, const std::string& store,
                           int64_t batch_end_offset, int64_t count) override;
    void on_restore_end(const std::string& topic, int32_t partition, const std::string& store,
                        int64_t total_restored) override;

    // Totals so far, over every store and partition.
    int64_t restored() const;
    int64_t expected() const;

private:
    void draw_locked(bool force);

    std::FILE* _out;
    bool _tty;
    std::chrono::milliseconds _log_interval;
    mutable std::mutex _mutex;
    int64_t _expected = 0; // upper bound: end - start offsets (compaction leaves gaps)
    int64_t _restored = 0;
    int _running = 0;
    std::chrono::steady_clock::time_point _started;
    std::chrono::steady_clock::time_point _last_draw;
    bool _line_open = false; // a progress line without its newline yet (tty)
};

} // namespace brook::apps
