#pragma once

// state_store: what every store, whatever its layers, offers the runtime: a name, a
// flush at commit time and a close when its task closes. Stores work on bytes; typed
// facades sit above them. This module knows nothing about Kafka.

#include <string>

namespace brook::state {

class state_store {
public:
    virtual ~state_store() = default;
    virtual const std::string& name() const = 0;
    // Makes every write so far durable in this store's layer below (a no-op for stores
    // without caching). Called by the task at commit.
    virtual void flush() = 0;
    // Releases resources; the store is unusable afterwards. Idempotent.
    virtual void close() = 0;
};

} // namespace brook::state
