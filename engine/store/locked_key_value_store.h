#pragma once

// locked_key_value_store<K, V>: a typed key-value store that one thread writes while
// others read: every call holds one mutex. A global table's store is one: the global
// updater thread applies its topic's records while the stream threads' join nodes look
// keys up. Visitors of range() and all() run under the lock and must not call back into
// the store.
//
// Lifecycle: the inner store's (init, flush and close pass through under the lock).
// Ownership: owns the inner store.

#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "engine/store/key_value_store.h"

namespace brook {

template <class K, class V>
class locked_key_value_store final : public key_value_store<K, V> {
public:
    using typename key_value_store<K, V>::visitor;
    using typename key_value_store<K, V>::flush_listener;

    explicit locked_key_value_store(std::unique_ptr<key_value_store<K, V>> inner)
        : _inner(std::move(inner)) {}

    const std::string& name() const override { return _inner->name(); }
    void init(const state::store_context& context) override {
        const std::lock_guard lock(_mutex);
        _inner->init(context);
    }
    void flush() override {
        const std::lock_guard lock(_mutex);
        _inner->flush();
    }
    void close() override {
        const std::lock_guard lock(_mutex);
        _inner->close();
    }
    bool persistent() const override { return _inner->persistent(); }
    bool logged() const override { return _inner->logged(); }
    state::restorable& restore_target() override { return _inner->restore_target(); }
    bool set_cache_flush_listener(state::cache_flush_listener listener) override {
        const std::lock_guard lock(_mutex);
        return _inner->set_cache_flush_listener(std::move(listener));
    }

    std::optional<V> get(const K& key) override {
        const std::lock_guard lock(_mutex);
        return _inner->get(key);
    }
    void put(const K& key, const V& value) override {
        const std::lock_guard lock(_mutex);
        _inner->put(key, value);
    }
    std::optional<V> put_if_absent(const K& key, const V& value) override {
        const std::lock_guard lock(_mutex);
        return _inner->put_if_absent(key, value);
    }
    std::optional<V> remove(const K& key) override {
        const std::lock_guard lock(_mutex);
        return _inner->remove(key);
    }
    void range(const K& from, const K& to, const visitor& visit) override {
        const std::lock_guard lock(_mutex);
        _inner->range(from, to, visit);
    }
    void all(const visitor& visit) override {
        const std::lock_guard lock(_mutex);
        _inner->all(visit);
    }
    size_t approximate_num_entries() override {
        const std::lock_guard lock(_mutex);
        return _inner->approximate_num_entries();
    }
    bool set_flush_listener(flush_listener listener) override {
        const std::lock_guard lock(_mutex);
        return _inner->set_flush_listener(std::move(listener));
    }

private:
    std::unique_ptr<key_value_store<K, V>> _inner;
    std::mutex _mutex;
};

} // namespace brook
