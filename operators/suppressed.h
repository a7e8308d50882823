#pragma once

// suppressed: what table.suppress() holds back, as Kafka Streams' Suppressed (KIP-328).
//
//   windowed_counts.suppress(suppressed::until_window_closes(buffer_config::unbounded()))
//       final results: one record per window, once the window has closed (its end plus the
//       aggregation's grace has passed in the stream time the suppression has seen);
//   table.suppress(suppressed::until_time_limit(30s, buffer_config::max_records(1000)))
//       rate limiting: a key's latest value once 30 s of stream time have passed since the
//       key was first held back.
//
// A buffer_config bounds what is held back (records, bytes or neither) and says what
// happens when it is full: emit the oldest entries early, or stop the application with an
// error (shut_down_when_full). Final results need a strict buffer: unbounded, or one that
// shuts down, because emitting early would break "one result per window".
//
// Values: cheap to copy. Invalid arguments throw std::invalid_argument naming them.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

namespace brook {

class buffer_config {
public:
    enum class when_full { emit_early, shut_down };

    // No bound: holds everything until its time comes (the store is logged and restored).
    static buffer_config unbounded() { return buffer_config({}, {}, when_full::shut_down); }
    // At most `records` entries; full: emit the oldest early (unless shut_down_when_full()).
    static buffer_config max_records(size_t records) {
        return unbounded_early().with_max_records(records);
    }
    // At most `bytes` of keys and values; full: emit the oldest early (unless
    // shut_down_when_full()).
    static buffer_config max_bytes(size_t bytes) { return unbounded_early().with_max_bytes(bytes); }

    buffer_config with_max_records(size_t records) const {
        if (records == 0) {
            throw std::invalid_argument("buffer_config: max_records must be at least 1");
        }
        buffer_config copy = *this;
        copy._max_records = records;
        return copy;
    }
    buffer_config with_max_bytes(size_t bytes) const {
        if (bytes == 0) {
            throw std::invalid_argument("buffer_config: max_bytes must be at least 1");
        }
        buffer_config copy = *this;
        copy._max_bytes = bytes;
        return copy;
    }
    // Full: the task fails with a streams_error, and the application moves to ERROR.
    buffer_config shut_down_when_full() const {
        buffer_config copy = *this;
        copy._when_full = when_full::shut_down;
        return copy;
    }
    // Full: the oldest entries are emitted before their time.
    buffer_config emit_early_when_full() const {
        buffer_config copy = *this;
        copy._when_full = when_full::emit_early;
        return copy;
    }

    std::optional<size_t> max_records_limit() const { return _max_records; }
    std::optional<size_t> max_bytes_limit() const { return _max_bytes; }
    when_full full_policy() const { return _when_full; }
    // Never emits early: unbounded, or shuts down when full.
    bool strict() const {
        return _when_full == when_full::shut_down || (!_max_records && !_max_bytes);
    }

private:
    buffer_config(std::optional<size_t> records, std::optional<size_t> bytes, when_full full)
        : _max_records(records), _max_bytes(bytes), _when_full(full) {}
    static buffer_config unbounded_early() { return buffer_config({}, {}, when_full::emit_early); }

    std::optional<size_t> _max_records;
    std::optional<size_t> _max_bytes;
    when_full _when_full;
};

class suppressed {
public:
    enum class kind { until_window_closes, until_time_limit };

    // One final result per window of a windowed table, once the window has closed.
    // Throws std::invalid_argument for a buffer that may emit early.
    static suppressed until_window_closes(buffer_config buffer) {
        if (!buffer.strict()) {
            throw std::invalid_argument(
                "suppressed::until_window_closes needs a strict buffer_config: unbounded(), or "
                "a bounded one with shut_down_when_full(); emitting early would send a window's "
                "result before it is final");
        }
        return suppressed(kind::until_window_closes, 0, buffer);
    }
    // A key's latest value once `limit` of stream time has passed since the key was first
    // held back (then the next update starts a new wait).
    static suppressed until_time_limit(std::chrono::milliseconds limit, buffer_config buffer) {
        if (limit.count() < 0) {
            throw std::invalid_argument("suppressed::until_time_limit: the limit must not be "
                                        "negative");
        }
        return suppressed(kind::until_time_limit, limit.count(), buffer);
    }

    // Names the suppression's node; its buffer store is then "<name>-store".
    suppressed with_name(std::string name) const {
        suppressed copy = *this;
        copy._name = std::move(name);
        return copy;
    }

    kind type() const { return _kind; }
    int64_t time_limit_ms() const { return _limit_ms; }
    const buffer_config& buffer() const { return _buffer; }
    const std::string& name() const { return _name; }

private:
    suppressed(kind k, int64_t limit_ms, buffer_config buffer)
        : _kind(k), _limit_ms(limit_ms), _buffer(buffer) {}

    kind _kind;
    int64_t _limit_ms;
    buffer_config _buffer;
    std::string _name;
};

} // namespace brook
