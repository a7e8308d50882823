#pragma once

// metered_layer: what the three metered stores share: they own the byte-level stack below
// them, pass the state_store lifecycle straight down, count operations, and turn keys that
// serialize to null into a clear error. Not for direct use; see metered_key_value_store,
// metered_window_store and metered_session_store.
//
// Lifecycle: constructed around an unopened stack -> init() opens it -> close().
// Threading: one task's thread (counters may be read from anywhere).
// Ownership: owns the stack below (a unique_ptr), so the whole stack dies with this layer.

#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "engine/serde/serde.h"
#include "engine/store/metered_store.h"
#include "state/state_store.h"

namespace brook {

template <class Interface, class Inner>
class metered_layer : public Interface, public metered_store {
public:
    const std::string& name() const override { return _inner->name(); }
    void init(const state::store_context& context) override { _inner->init(context); }
    void flush() override {
        detail::bump(_counters.flushes);
        _inner->flush();
    }
    void close() override { _inner->close(); }
    bool persistent() const override { return _inner->persistent(); }
    bool logged() const override { return _inner->logged(); }
    state::restorable& restore_target() override { return _inner->restore_target(); }
    bool set_cache_flush_listener(state::cache_flush_listener listener) override {
        return _inner->set_cache_flush_listener(std::move(listener));
    }
    const store_operation_counters& operation_counters() const override { return _counters; }

    // The byte-level stack below (for tests and tools).
    Inner& inner() { return *_inner; }

protected:
    explicit metered_layer(std::unique_ptr<Inner> inner) : _inner(std::move(inner)) {
        if (_inner == nullptr) {
            throw std::invalid_argument("a metered store needs a store stack below it");
        }
    }

    // The key's bytes; throws serde_error when the key serializes to null.
    template <class KS, class K>
    std::string_view key_bytes(const KS& serde, const K& key, std::string& buffer) const {
        const nullable_bytes b = serde.serialize(key, buffer);
        if (!b) {
            throw serde_error(fmt::format(
                "store '{}': the key serializes to null, and stores cannot hold null keys",
                name()));
        }
        return *b;
    }

    std::unique_ptr<Inner> _inner;
    store_operation_counters _counters;
};

} // namespace brook
