#pragma once

// Delayed sources: a source whose records must not be processed before a wall-clock time
// that each record carries (a retry topic whose records say when they are due).
//
// The source's due_time_extractor answers, from the record's bytes, timestamp and headers
// (before deserialization), the wall-clock time in ms since the epoch at which the record
// may be processed; a time not after now (0 or a negative one included) means at once.
//
// How the runtime keeps it (stream_task, stream_thread): each input partition of a delayed
// source is a FIFO. Its head record waits in the task's queue until the task's wall clock
// reaches its due time, and the records behind it wait with it, in order, even if they are
// due earlier. A waiting head holds back only its own partition: the task processes its
// other inputs, and other tasks run on. While a head waits, the stream thread pauses the
// partition's fetching (librdkafka pause) and resumes it shortly before the head is due (a
// fetch wait ahead, so that the records behind it are fetched by then); it wakes for the
// earliest due time instead of sleeping. A record that waits is not processed, so
// its offset is not committed: after a crash, a rebalance or an aborted transaction it is
// read again and waits again. The topology test driver holds such records until
// advance_wall_clock_time() reaches their due time.
//
// A record whose due time cannot be read is unreadable: the extractor throws (serde_error
// or any std::exception) and the record goes to the default.deserialization.exception.
// handler, as if it could not be deserialized: failed, skipped with a log line, or sent to
// the dead-letter topic with the extractor's message as its reason. Processing it at once
// instead would run a retry early without anyone knowing; holding it for a guess could
// block its partition for good.
//
// Threading: an extractor runs on the thread of the task that reads the record, once per
// record as it becomes the head of its queue; it must be cheap.

#include <charconv>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "engine/record.h"
#include "engine/serde/serde.h"

namespace brook {

using due_time_extractor = std::function<int64_t(const raw_record&)>;

// Reads the header `name` as decimal epoch milliseconds. A record without that header is
// due at once (it was not written to wait). One whose header has no value, or a value that
// is not a decimal integer, is unreadable: serde_error, naming the header and the value.
inline due_time_extractor due_time_from_header(std::string name) {
    return [name = std::move(name)](const raw_record& r) -> int64_t {
        if (r.headers == nullptr || !r.headers->contains(name)) {
            return 0;
        }
        const std::optional<std::string_view> text = r.headers->last(name);
        if (!text) {
            throw serde_error(fmt::format("due-time header '{}' has no value", name));
        }
        int64_t due = 0;
        const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), due);
        if (ec != std::errc() || end != text->data() + text->size()) {
            throw serde_error(
                fmt::format("due-time header '{}' is not decimal epoch milliseconds: '{}'", name,
                            text->substr(0, 64)));
        }
        return due;
    };
}

} // namespace brook
