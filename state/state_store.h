#pragma once

// state_store: what every store, whatever its layers, offers the runtime. Stores work on
// bytes here; typed facades (engine/store) sit above them. This module knows nothing
// about Kafka: the runtime reaches it only through store_context (changelog_writer,
// cache budget, shared RocksDB resources).
//
// Lifecycle: constructed unopened (cheap) -> init(context) once (opens files) -> used ->
// flush() at each commit -> close() (idempotent). A store may be re-opened only by
// constructing it again.
// Threading: a store belongs to one task and is used from that task's thread only.
// Ownership: layers own the layer below them (metered -> caching -> logging -> bottom).

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "state/store_context.h"

namespace brook::state {

// Told of each entry a caching layer writes down (at flush or eviction): the store's
// encoded key (window/session stores: key_encoding.h), the value (nullopt: removed) and
// the timestamp of the write that last changed it. This is how "emit on update"
// operators forward de-duplicated results, as Kafka Streams' cache flush listener.
using cache_flush_listener = std::function<void(
    std::string_view key, std::optional<std::string_view> value, int64_t timestamp)>;

class state_store {
public:
    virtual ~state_store() = default;
    virtual const std::string& name() const = 0;
    // Opens the store. Throws state_error when it cannot (a locked or corrupt directory).
    virtual void init(const store_context& context) = 0;
    // Writes everything cached so far to the layer below (and so to the changelog).
    // Called by the task at commit, before the producer is flushed.
    virtual void flush() = 0;
    // Releases resources; the store is unusable afterwards. Idempotent; never throws.
    virtual void close() = 0;
    // True when the bottom of the stack keeps data on disk (RocksDB).
    virtual bool persistent() const = 0;
    // True when some layer writes a changelog.
    virtual bool logged() const = 0;
    // The bottom of the stack: where restore writes go and the checkpoint lives.
    virtual restorable& restore_target() = 0;
    // Registers the listener with the caching layer, if the stack has one and caching is
    // on (called after init()). Returns false otherwise: the caller must then forward
    // each update itself.
    virtual bool set_cache_flush_listener(cache_flush_listener listener) = 0;
};

} // namespace brook::state
