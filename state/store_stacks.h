#pragma once

// Factory functions that assemble a byte-level store stack, top to bottom:
//
//   caching (optional) -> change-logging (optional) -> rocksdb | in_memory
//
// The typed builders in engine/store put the metered layer on top. Each function returns
// the unopened top layer, which owns everything below it; init() it with the task's
// store_context (a logging stack needs context.changelog and context.timestamp; a caching
// layer caches only when context.cache is an enabled budget).
//
// Threading: call from any thread; the stack then belongs to one task's thread.

#include <cstdint>
#include <memory>
#include <string>

#include "state/key_value_store.h"
#include "state/session_store.h"
#include "state/window_store.h"

namespace brook::state {

// Which bottom a stack is built on.
enum class store_type { rocksdb, in_memory };

std::unique_ptr<key_value_store> make_key_value_stack(std::string name, store_type type,
                                                      bool caching, bool logging);

// `segment_interval_ms` 0 picks the default for the retention. Throws
// std::invalid_argument for a negative retention or interval.
std::unique_ptr<window_store> make_window_stack(std::string name, store_type type,
                                                int64_t retention_ms, int64_t segment_interval_ms,
                                                bool caching, bool logging);

// Segments by session end; the same arguments and errors as make_window_stack().
std::unique_ptr<session_store> make_session_stack(std::string name, store_type type,
                                                  int64_t retention_ms, int64_t segment_interval_ms,
                                                  bool caching, bool logging);

} // namespace brook::state
