#pragma once

// metered_key_value_store<K, V, KS, VS>: the typed top of a key-value stack. Serializes
// keys with KS and values with VS, passes bytes to the stack below (caching -> logging ->
// rocksdb or in-memory), deserializes what comes back, and counts operations.
//
// Lifecycle: made by a store_spec's factory (stores::key_value_store_builder), opened by
// the task before processors' init(), closed with the task.
// Threading: one task's thread. Reads and writes use separate reused buffers, so a flush
// listener that reads this store while a put writes down an evicted entry is safe.
// Ownership: owns the byte stack below.

#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "engine/store/key_value_store.h"
#include "engine/store/metered_layer.h"
#include "state/key_value_store.h"

namespace brook {

template <class K, class V, class KS, class VS>
class metered_key_value_store final
    : public metered_layer<key_value_store<K, V>, state::key_value_store> {
    using base = metered_layer<key_value_store<K, V>, state::key_value_store>;

public:
    using typename key_value_store<K, V>::visitor;
    using typename key_value_store<K, V>::flush_listener;

    metered_key_value_store(std::unique_ptr<state::key_value_store> inner, KS key_serde = {},
                            VS value_serde = {})
        : base(std::move(inner)), _ks(std::move(key_serde)), _vs(std::move(value_serde)) {}

    std::optional<V> get(const K& key) override {
        detail::bump(this->_counters.gets);
        const std::optional<std::string> found =
            this->_inner->get(this->key_bytes(_ks, key, _read_key));
        if (!found) {
            return std::nullopt;
        }
        return _vs.deserialize(std::string_view(*found));
    }

    void put(const K& key, const V& value) override {
        const std::string_view k = this->key_bytes(_ks, key, _write_key);
        const nullable_bytes v = _vs.serialize(value, _write_value);
        if (!v) {
            detail::bump(this->_counters.removes);
            this->_inner->remove(k);
            return;
        }
        detail::bump(this->_counters.puts);
        this->_inner->put(k, *v);
    }

    std::optional<V> put_if_absent(const K& key, const V& value) override {
        std::optional<V> old = get(key);
        if (!old) {
            put(key, value);
        }
        return old;
    }

    std::optional<V> remove(const K& key) override {
        std::optional<V> old = get(key);
        detail::bump(this->_counters.removes);
        this->_inner->remove(this->key_bytes(_ks, key, _write_key));
        return old;
    }

    void range(const K& from, const K& to, const visitor& visit) override {
        detail::bump(this->_counters.scans);
        const std::string from_bytes(this->key_bytes(_ks, from, _read_key));
        // The byte range is half-open: the smallest key after `to` is `to` + '\0'.
        std::string to_bytes(this->key_bytes(_ks, to, _read_key));
        to_bytes.push_back('\0');
        if (from_bytes >= to_bytes) {
            return;
        }
        this->_inner->range(from_bytes, to_bytes, adapt(visit));
    }

    void all(const visitor& visit) override {
        detail::bump(this->_counters.scans);
        this->_inner->all(adapt(visit));
    }

    size_t approximate_num_entries() override { return this->_inner->approximate_size(); }

    bool set_flush_listener(flush_listener listener) override {
        if (!listener) {
            return this->_inner->set_cache_flush_listener({});
        }
        return this->_inner->set_cache_flush_listener(
            [this, listener = std::move(listener)](
                std::string_view key, std::optional<std::string_view> value, int64_t timestamp) {
                detail::bump(this->_counters.cache_flushed);
                std::optional<V> typed;
                if (value) {
                    typed = _vs.deserialize(*value);
                }
                listener(_ks.deserialize(key), std::move(typed), timestamp);
            });
    }

private:
    state::kv_visitor adapt(const visitor& visit) const {
        return [this, &visit](std::string_view key, std::string_view value) {
            return visit(_ks.deserialize(key), _vs.deserialize(value));
        };
    }

    KS _ks;
    VS _vs;
    std::string _read_key;
    std::string _write_key;
    std::string _write_value;
};

} // namespace brook
