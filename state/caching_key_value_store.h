#pragma once

// caching_key_value_store: the caching layer of a key-value stack. Holds recent reads and
// writes in a store_cache so that many updates of one key between two commits reach the
// layer below (and so the changelog and the cache flush listener) once, at flush() or
// when the key is evicted.
//
// Caching is on only when the task's context carries an enabled cache_budget; otherwise
// every call passes straight through to the inner store.
//
// Lifecycle: constructed unopened around its inner store -> init(context) opens the
// inner store and, if caching is on, creates the cache -> flush() at each commit writes
// every dirty entry down (in first-dirtied order) and then flushes the inner store ->
// close() drops the cache WITHOUT writing it down (uncommitted writes must not reach the
// layer below) and closes the inner store.
// Restore: restore_target() is the bottom's own, so restore batches and wipe() bypass
// the cache; the runtime restores right after init(), before the first read or write,
// while the cache is still empty.
// Threading: the owning task's thread only.
// Ownership: owns the inner store; borrows the cache budget from the context.
// Scans (range, prefix_scan) merge the cache with the inner store's scan; visitors must
// not write to this store.

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "state/cache_layer.h"
#include "state/key_value_store.h"

namespace brook::state {

class caching_key_value_store final : public key_value_store {
public:
    // `inner` must not be null.
    explicit caching_key_value_store(std::unique_ptr<key_value_store> inner);

    const std::string& name() const override { return _inner->name(); }
    // Throws state_error (from the inner store) when it cannot open.
    void init(const store_context& context) override;
    // Throws state_error when the inner store fails to take a write.
    void flush() override;
    void close() override;
    bool persistent() const override { return _inner->persistent(); }
    bool logged() const override { return _inner->logged(); }
    restorable& restore_target() override { return _inner->restore_target(); }
    // True when caching is on (the listener is then told at flush and eviction);
    // otherwise the inner store's answer.
    bool set_cache_flush_listener(cache_flush_listener listener) override;

    std::optional<std::string> get(std::string_view key) override;
    void put(std::string_view key, std::string_view value) override;
    void remove(std::string_view key) override;
    void range(std::string_view from, std::string_view to, const kv_visitor& visit) override;
    void prefix_scan(std::string_view prefix, const kv_visitor& visit) override;
    // The inner store's count corrected for the dirty entries; costs one inner get per
    // dirty entry.
    size_t approximate_size() override;

    // True after init() when a cache is in use (for tests and metrics).
    bool caching() const { return _layer.cache() != nullptr; }

private:
    void write_below(std::string_view key, std::optional<std::string_view> value);

    std::unique_ptr<key_value_store> _inner;
    cache_layer _layer;
};

} // namespace brook::state
