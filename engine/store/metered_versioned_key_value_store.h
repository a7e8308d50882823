#pragma once

// metered_versioned_key_value_store<K, V, KS, VS>: the typed top of a versioned stack:
// serializes with KS and VS, passes bytes to state::versioned_key_value_store, and counts.
//
// Lifecycle: made by stores::versioned_key_value_store_builder's factory, opened by the
// task before processors' init(), closed with the task. Threading: one task's thread.
// Ownership: owns the versioned byte store below.

#include <memory>
#include <optional>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "engine/errors.h"
#include "engine/store/metered_layer.h"
#include "engine/store/versioned_key_value_store.h"
#include "state/versioned_key_value_store.h"

namespace brook {

template <class K, class V, class KS, class VS>
class metered_versioned_key_value_store final
    : public metered_layer<versioned_key_value_store<K, V>, state::versioned_key_value_store> {
    using base = metered_layer<versioned_key_value_store<K, V>, state::versioned_key_value_store>;
    using row = value_and_timestamp<V>;

public:
    using typename key_value_store<K, row>::visitor;
    using typename key_value_store<K, row>::flush_listener;

    metered_versioned_key_value_store(std::unique_ptr<state::versioned_key_value_store> inner,
                                      KS key_serde = {}, VS value_serde = {})
        : base(std::move(inner)), _ks(std::move(key_serde)), _vs(std::move(value_serde)) {}

    int64_t put(const K& key, const std::optional<V>& value, int64_t timestamp) override {
        const std::string_view k = this->key_bytes(_ks, key, _write_key);
        nullable_bytes v;
        if (value) {
            v = _vs.serialize(*value, _write_value);
        }
        detail::bump(v ? this->_counters.puts : this->_counters.removes);
        return this->_inner->put(k, v, timestamp);
    }

    std::optional<versioned_record<V>> get(const K& key, int64_t as_of) override {
        detail::bump(this->_counters.gets);
        return typed(this->_inner->get(this->key_bytes(_ks, key, _read_key), as_of));
    }

    std::optional<versioned_record<V>> remove(const K& key, int64_t timestamp) override {
        detail::bump(this->_counters.removes);
        return typed(this->_inner->remove(this->key_bytes(_ks, key, _write_key), timestamp));
    }

    int64_t history_retention_ms() const override { return this->_inner->history_retention_ms(); }
    int64_t observed_stream_time() override { return this->_inner->observed_stream_time(); }

    // The latest versions, as a timestamped key-value store.
    std::optional<row> get(const K& key) override {
        detail::bump(this->_counters.gets);
        auto found = typed(this->_inner->get(this->key_bytes(_ks, key, _read_key)));
        if (!found) {
            return std::nullopt;
        }
        return row{std::move(found->value), found->timestamp};
    }
    void put(const K& key, const row& value) override { put(key, value.value, value.timestamp); }
    std::optional<row> put_if_absent(const K& key, const row& value) override {
        std::optional<row> old = get(key);
        if (!old) {
            put(key, value);
        }
        return old;
    }
    std::optional<row> remove(const K& key) override {
        std::optional<row> old = get(key);
        remove(key, std::max<int64_t>(observed_stream_time(), old ? old->timestamp : 0));
        return old;
    }
    void range(const K& from, const K& to, const visitor& visit) override {
        detail::bump(this->_counters.scans);
        const std::string from_bytes(this->key_bytes(_ks, from, _read_key));
        std::string to_bytes(this->key_bytes(_ks, to, _read_key));
        to_bytes.push_back('\0'); // inclusive `to`
        if (from_bytes >= to_bytes) {
            return;
        }
        this->_inner->latest_range(from_bytes, to_bytes, adapt(visit));
    }
    void all(const visitor& visit) override {
        detail::bump(this->_counters.scans);
        this->_inner->latest_range({}, {}, adapt(visit));
    }
    size_t approximate_num_entries() override { return this->_inner->approximate_size(); }
    // Versions are never cached: every update is forwarded by its writer at once.
    bool set_flush_listener(flush_listener) override { return false; }

private:
    std::optional<versioned_record<V>> typed(std::optional<state::versioned_bytes> found) const {
        if (!found) {
            return std::nullopt;
        }
        return versioned_record<V>{_vs.deserialize(std::string_view(found->value)),
                                   found->timestamp};
    }
    state::versioned_key_value_store::latest_visitor adapt(const visitor& visit) const {
        return [this, &visit](std::string_view key, std::string_view value, int64_t timestamp) {
            return visit(_ks.deserialize(key), row{_vs.deserialize(value), timestamp});
        };
    }

    KS _ks;
    VS _vs;
    std::string _read_key;
    std::string _write_key;
    std::string _write_value;
};

} // namespace brook
