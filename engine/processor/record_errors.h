#pragma once

// record_errors: where a task's nodes report a record that failed, so that the task's
// exception handlers decide (processing.exception.handler, default.production.exception.
// handler, and the deserialization handler for an event time past max.event.time.future.ms):
// skip it, send it to the dead-letter topic with the reason, or fail. The
// runtime's stream_task implements it; nodes find it by asking their task_context for it
// (dynamic_cast at init), so it stays off the context users program against.
//
// Each call returns when the record is to be skipped, and throws handler_failure when the
// handler is `fail` (or the dead-letter record itself cannot be written). Threading: the
// task's thread.

#include <cstdint>
#include <exception>
#include <string_view>

#include "engine/nullable_bytes.h"
#include "engine/record.h"

namespace brook {

class record_errors {
public:
    virtual ~record_errors() = default;
    // Processor `node` threw `e` while processing the task's current record (or in a
    // punctuator, when there is none).
    virtual void processing_failed(std::string_view node, const std::exception& e) = 0;
    // A record for `topic` could not be produced (`key`/`value`: its bytes where they
    // could be made; nullopt when serializing them is what failed).
    virtual void production_failed(std::string_view topic, nullable_bytes key, nullable_bytes value,
                                   int64_t timestamp, const headers& hdrs,
                                   std::string_view reason) = 0;
    // The topology gave a record for the repartition topic `topic` the event time
    // `timestamp`, `ahead_ms` past the wall clock: more than max.event.time.future.ms. It is
    // not written there (it would move the stream time of every task reading that topic,
    // through the writer's progress markers, and make every later record late); the record
    // being processed goes to the deserialization handler instead, as one whose own
    // timestamp is that far ahead does at a source.
    virtual void event_time_refused(std::string_view topic, nullable_bytes key,
                                    nullable_bytes value, int64_t timestamp, const headers& hdrs,
                                    int64_t ahead_ms) = 0;
};

} // namespace brook
