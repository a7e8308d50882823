#pragma once

// metered_window_store<K, V, KS, VS>: the typed top of a window stack. Serializes keys with
// KS and values with VS, passes bytes to the stack below (caching -> logging -> rocksdb or
// in-memory), and turns what comes back into windowed<K> keys: end = start + the window
// size the store was built with.
//
// Lifecycle: made by a store_spec's factory (stores::window_store_builder), opened by the
// task before processors' init(), closed with the task.
// Threading: one task's thread. Ownership: owns the byte stack below.

#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "engine/store/metered_layer.h"
#include "engine/store/window_store.h"
#include "state/key_encoding.h"
#include "state/window_store.h"

namespace brook {

template <class K, class V, class KS, class VS>
class metered_window_store final : public metered_layer<window_store<K, V>, state::window_store> {
    using base = metered_layer<window_store<K, V>, state::window_store>;

public:
    using typename window_store<K, V>::window_visitor;
    using typename window_store<K, V>::keyed_visitor;
    using typename window_store<K, V>::flush_listener;

    metered_window_store(std::unique_ptr<state::window_store> inner, int64_t window_size_ms,
                         KS key_serde = {}, VS value_serde = {})
        : base(std::move(inner)), _window_size_ms(window_size_ms), _ks(std::move(key_serde)),
          _vs(std::move(value_serde)) {}

    void put(const K& key, const V& value, int64_t window_start) override {
        const std::string_view k = this->key_bytes(_ks, key, _write_key);
        const nullable_bytes v = _vs.serialize(value, _write_value);
        detail::bump(v ? this->_counters.puts : this->_counters.removes);
        this->_inner->put(k, v, window_start);
    }

    void remove(const K& key, int64_t window_start) override {
        detail::bump(this->_counters.removes);
        this->_inner->put(this->key_bytes(_ks, key, _write_key), std::nullopt, window_start);
    }

    std::optional<V> fetch(const K& key, int64_t window_start) override {
        detail::bump(this->_counters.gets);
        const std::optional<std::string> found =
            this->_inner->fetch(this->key_bytes(_ks, key, _read_key), window_start);
        if (!found) {
            return std::nullopt;
        }
        return _vs.deserialize(std::string_view(*found));
    }

    void fetch(const K& key, int64_t time_from, int64_t time_to,
               const window_visitor& visit) override {
        detail::bump(this->_counters.scans);
        const std::string k(this->key_bytes(_ks, key, _read_key));
        this->_inner->fetch(k, time_from, time_to, [&](int64_t start, std::string_view value) {
            return visit(start, _vs.deserialize(value));
        });
    }

    void fetch_all(int64_t time_from, int64_t time_to, const keyed_visitor& visit) override {
        detail::bump(this->_counters.scans);
        this->_inner->fetch_all(
            time_from, time_to, [&](std::string_view key, int64_t start, std::string_view value) {
                const windowed<K> w{_ks.deserialize(key), start, start + _window_size_ms};
                return visit(w, _vs.deserialize(value));
            });
    }

    int64_t window_size_ms() const override { return _window_size_ms; }
    int64_t retention_ms() const override { return this->_inner->retention_ms(); }
    int64_t observed_stream_time() const override { return this->_inner->observed_stream_time(); }

    bool set_flush_listener(flush_listener listener) override {
        if (!listener) {
            return this->_inner->set_cache_flush_listener({});
        }
        return this->_inner->set_cache_flush_listener(
            [this, listener = std::move(listener)](
                std::string_view key, std::optional<std::string_view> value, int64_t timestamp) {
                detail::bump(this->_counters.cache_flushed);
                const state::decoded_window_key decoded = state::decode_window_key(key);
                const windowed<K> w{_ks.deserialize(decoded.key), decoded.start,
                                    decoded.start + _window_size_ms};
                std::optional<V> typed;
                if (value) {
                    typed = _vs.deserialize(*value);
                }
                listener(w, std::move(typed), timestamp);
            });
    }

private:
    int64_t _window_size_ms;
    KS _ks;
    VS _vs;
    std::string _read_key;
    std::string _write_key;
    std::string _write_value;
};

} // namespace brook
