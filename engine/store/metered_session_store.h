#pragma once

// metered_session_store<K, V, KS, VS>: the typed top of a session stack. Serializes keys
// with KS and values with VS, passes bytes to the stack below (caching -> logging ->
// rocksdb or in-memory), and turns what comes back into windowed<K> sessions.
//
// Lifecycle: made by a store_spec's factory (stores::session_store_builder), opened by the
// task before processors' init(), closed with the task.
// Threading: one task's thread. Ownership: owns the byte stack below.

#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "engine/store/metered_layer.h"
#include "engine/store/session_store.h"
#include "state/key_encoding.h"
#include "state/session_store.h"

namespace brook {

template <class K, class V, class KS, class VS>
class metered_session_store final
    : public metered_layer<session_store<K, V>, state::session_store> {
    using base = metered_layer<session_store<K, V>, state::session_store>;

public:
    using typename session_store<K, V>::visitor;
    using typename session_store<K, V>::flush_listener;

    metered_session_store(std::unique_ptr<state::session_store> inner, KS key_serde = {},
                          VS value_serde = {})
        : base(std::move(inner)), _ks(std::move(key_serde)), _vs(std::move(value_serde)) {}

    void put(const windowed<K>& session, const V& value) override {
        const std::string_view k = this->key_bytes(_ks, session.key, _write_key);
        const nullable_bytes v = _vs.serialize(value, _write_value);
        detail::bump(v ? this->_counters.puts : this->_counters.removes);
        this->_inner->put(k, session.start, session.end, v);
    }

    void remove(const windowed<K>& session) override {
        detail::bump(this->_counters.removes);
        this->_inner->put(this->key_bytes(_ks, session.key, _write_key), session.start, session.end,
                          std::nullopt);
    }

    std::optional<V> fetch_session(const K& key, int64_t start, int64_t end) override {
        detail::bump(this->_counters.gets);
        const std::optional<std::string> found =
            this->_inner->fetch(this->key_bytes(_ks, key, _read_key), start, end);
        if (!found) {
            return std::nullopt;
        }
        return _vs.deserialize(std::string_view(*found));
    }

    void find_sessions(const K& key, int64_t earliest_end, int64_t latest_start,
                       const visitor& visit) override {
        detail::bump(this->_counters.scans);
        const std::string k(this->key_bytes(_ks, key, _read_key));
        this->_inner->find_sessions(
            k, earliest_end, latest_start, [&](int64_t start, int64_t end, std::string_view value) {
                return visit(windowed<K>{key, start, end}, _vs.deserialize(value));
            });
    }

    void fetch_all(int64_t earliest_end, int64_t latest_end, const visitor& visit) override {
        detail::bump(this->_counters.scans);
        this->_inner->fetch_all(
            earliest_end, latest_end,
            [&](std::string_view key, int64_t start, int64_t end, std::string_view value) {
                return visit(windowed<K>{_ks.deserialize(key), start, end}, _vs.deserialize(value));
            });
    }

    int64_t retention_ms() const override { return this->_inner->retention_ms(); }

    bool set_flush_listener(flush_listener listener) override {
        if (!listener) {
            return this->_inner->set_cache_flush_listener({});
        }
        return this->_inner->set_cache_flush_listener(
            [this, listener = std::move(listener)](
                std::string_view key, std::optional<std::string_view> value, int64_t timestamp) {
                detail::bump(this->_counters.cache_flushed);
                const state::decoded_session_key decoded = state::decode_session_key(key);
                const windowed<K> session{_ks.deserialize(decoded.key), decoded.start, decoded.end};
                std::optional<V> typed;
                if (value) {
                    typed = _vs.deserialize(*value);
                }
                listener(session, std::move(typed), timestamp);
            });
    }

private:
    KS _ks;
    VS _vs;
    std::string _read_key;
    std::string _write_key;
    std::string _write_value;
};

} // namespace brook
