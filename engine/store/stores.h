#pragma once

// Store builders, as Kafka Streams' Stores: each assembles a full store stack
//
//   metered (typed, counts) -> caching -> change-logging -> rocksdb | in-memory (bytes)
//
// and returns the store_spec a topology registers (topology_builder::add_state_store):
//
//   builder.graph().add_state_store(
//       stores::key_value_store_builder<std::string, int64_t>("counts")
//           .in_memory()
//           .with_caching_disabled()
//           .build(),
//       {"my-processor"});
//
// Defaults are Kafka Streams': persistent (RocksDB), logging on, caching on. A logged
// store writes "<application.id>-<name>-changelog" with cleanup.policy=compact (key-value)
// or cleanup.policy=compact,delete and retention.ms = store retention + 1 day (window and
// session stores); configs given to with_logging_enabled() are laid over those.
//
// Builders are values: configure, then build() any number of times. build() throws
// topology_error for a name that cannot name a topic and std::invalid_argument for
// negative or inconsistent durations. The spec's factory makes a fresh unopened stack per
// task and may be called from any thread.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "engine/errors.h"
#include "engine/serde/serdes.h"
#include "engine/store/metered_key_value_store.h"
#include "engine/store/metered_session_store.h"
#include "engine/store/metered_versioned_key_value_store.h"
#include "engine/store/metered_window_store.h"
#include "engine/store/value_and_timestamp.h"
#include "engine/topology/topology.h"
#include "state/store_stacks.h"
#include "state/versioned_key_value_store.h"

namespace brook {

// Which bottom a store stack is built on: RocksDB (persistent) or memory.
using store_type = state::store_type;

namespace stores {

namespace detail {
// Throws topology_error unless `name` is non-empty and made of ASCII letters, digits, '.',
// '_' and '-' (it becomes part of the changelog topic's name).
void validate_store_name(const std::string& name);
// cleanup.policy=compact, overlaid with `user`.
std::map<std::string, std::string>
key_value_changelog_config(const std::map<std::string, std::string>& user);
// cleanup.policy=compact,delete and retention.ms = retention + 1 day, overlaid with `user`.
std::map<std::string, std::string>
windowed_changelog_config(int64_t retention_ms, const std::map<std::string, std::string>& user);
// Throws std::invalid_argument naming `what` when `ms` is negative.
int64_t non_negative(std::chrono::milliseconds ms, const char* what);
} // namespace detail

// The options every builder shares; Derived is the concrete builder (for chaining).
template <class Derived>
class basic_store_builder {
public:
    // RocksDB under the task's state directory (the default).
    Derived& persistent() {
        _type = store_type::rocksdb;
        return self();
    }
    Derived& in_memory() {
        _type = store_type::in_memory;
        return self();
    }
    Derived& with_caching_enabled() {
        _caching = true;
        return self();
    }
    Derived& with_caching_disabled() {
        _caching = false;
        return self();
    }
    // Logs every write to the changelog topic; `topic_config` overrides its configs.
    Derived& with_logging_enabled(std::map<std::string, std::string> topic_config = {}) {
        _logging = true;
        _topic_config = std::move(topic_config);
        return self();
    }
    Derived& with_logging_disabled() {
        _logging = false;
        _topic_config.clear();
        return self();
    }

    const std::string& name() const { return _name; }
    store_type type() const { return _type; }
    bool caching() const { return _caching; }
    bool logging() const { return _logging; }

protected:
    explicit basic_store_builder(std::string name) : _name(std::move(name)) {}
    Derived& self() { return static_cast<Derived&>(*this); }

    std::string _name;
    store_type _type = store_type::rocksdb;
    bool _caching = true;
    bool _logging = true;
    std::map<std::string, std::string> _topic_config;
};

// Builds metered_key_value_store<K, V, KS, VS> stacks.
template <class K, class V, class KS = default_serde<K>, class VS = default_serde<V>>
class key_value_store_builder : public basic_store_builder<key_value_store_builder<K, V, KS, VS>> {
    using base = basic_store_builder<key_value_store_builder<K, V, KS, VS>>;

public:
    static_assert(serde_for<KS, K>, "key_value_store_builder: KS does not serialize K");
    static_assert(serde_for<VS, V>, "key_value_store_builder: VS does not serialize V");

    explicit key_value_store_builder(std::string name, KS key_serde = {}, VS value_serde = {})
        : base(std::move(name)), _ks(std::move(key_serde)), _vs(std::move(value_serde)) {}

    store_spec build() const {
        detail::validate_store_name(this->_name);
        store_spec spec;
        spec.name = this->_name;
        spec.logged = this->_logging;
        if (this->_logging) {
            spec.changelog_config = detail::key_value_changelog_config(this->_topic_config);
        }
        spec.factory = [name = this->_name, type = this->_type, caching = this->_caching,
                        logging = this->_logging, ks = _ks,
                        vs = _vs]() -> std::unique_ptr<state::state_store> {
            return std::make_unique<metered_key_value_store<K, V, KS, VS>>(
                state::make_key_value_stack(name, type, caching, logging), ks, vs);
        };
        return spec;
    }

private:
    KS _ks;
    VS _vs;
};

// A key-value store of value_and_timestamp<V>: what the DSL's aggregations and tables use.
template <class K, class V, class KS = default_serde<K>, class VS = default_serde<V>>
class timestamped_key_value_store_builder
    : public basic_store_builder<timestamped_key_value_store_builder<K, V, KS, VS>> {
    using base = basic_store_builder<timestamped_key_value_store_builder<K, V, KS, VS>>;

public:
    explicit timestamped_key_value_store_builder(std::string name, KS key_serde = {},
                                                 VS value_serde = {})
        : base(std::move(name)), _inner(this->_name, std::move(key_serde),
                                        value_and_timestamp_serde<VS>(std::move(value_serde))) {}

    store_spec build() const {
        auto inner = _inner;
        inner.with_logging_disabled();
        if (this->_logging) {
            inner.with_logging_enabled(this->_topic_config);
        }
        this->_caching ? inner.with_caching_enabled() : inner.with_caching_disabled();
        this->_type == store_type::rocksdb ? inner.persistent() : inner.in_memory();
        return inner.build();
    }

private:
    key_value_store_builder<K, value_and_timestamp<V>, KS, value_and_timestamp_serde<VS>> _inner;
};

// Builds metered_versioned_key_value_store<K, V, KS, VS> stacks (Kafka Streams'
// Stores.persistentVersionedKeyValueStore): every version of a key for `history_retention`
// behind the newest timestamp the store has seen. Versioned stores never cache (caching
// options are ignored); the changelog is compacted like a key-value store's, since each
// version has its own key there.
template <class K, class V, class KS = default_serde<K>, class VS = default_serde<V>>
class versioned_key_value_store_builder
    : public basic_store_builder<versioned_key_value_store_builder<K, V, KS, VS>> {
    using base = basic_store_builder<versioned_key_value_store_builder<K, V, KS, VS>>;

public:
    static_assert(serde_for<KS, K>, "versioned_key_value_store_builder: KS does not serialize K");
    static_assert(serde_for<VS, V>, "versioned_key_value_store_builder: VS does not serialize V");

    versioned_key_value_store_builder(std::string name, std::chrono::milliseconds history_retention,
                                      KS key_serde = {}, VS value_serde = {})
        : base(std::move(name)), _retention(history_retention), _ks(std::move(key_serde)),
          _vs(std::move(value_serde)) {
        this->_caching = false;
    }

    store_spec build() const {
        detail::validate_store_name(this->_name);
        const int64_t retention = detail::non_negative(_retention, "history retention");
        store_spec spec;
        spec.name = this->_name;
        spec.logged = this->_logging;
        spec.history_retention_ms = retention;
        if (this->_logging) {
            spec.changelog_config = detail::key_value_changelog_config(this->_topic_config);
        }
        spec.factory = [name = this->_name, type = this->_type, logging = this->_logging, retention,
                        ks = _ks, vs = _vs]() -> std::unique_ptr<state::state_store> {
            return std::make_unique<metered_versioned_key_value_store<K, V, KS, VS>>(
                std::make_unique<state::versioned_key_value_store>(
                    state::make_key_value_stack(name, type, false, logging), retention),
                ks, vs);
        };
        return spec;
    }

private:
    std::chrono::milliseconds _retention;
    KS _ks;
    VS _vs;
};

// Builds metered_window_store<K, V, KS, VS> stacks. `retention` (how long windows are
// kept, measured from the newest window start the store has seen) must be >= the window
// size; the segment interval defaults to max(retention / 2, 60 s), as in Kafka Streams.
template <class K, class V, class KS = default_serde<K>, class VS = default_serde<V>>
class window_store_builder : public basic_store_builder<window_store_builder<K, V, KS, VS>> {
    using base = basic_store_builder<window_store_builder<K, V, KS, VS>>;

public:
    static_assert(serde_for<KS, K>, "window_store_builder: KS does not serialize K");
    static_assert(serde_for<VS, V>, "window_store_builder: VS does not serialize V");

    window_store_builder(std::string name, std::chrono::milliseconds retention,
                         std::chrono::milliseconds window_size, KS key_serde = {},
                         VS value_serde = {})
        : base(std::move(name)), _retention(retention), _window_size(window_size),
          _ks(std::move(key_serde)), _vs(std::move(value_serde)) {}

    window_store_builder& with_segment_interval(std::chrono::milliseconds interval) {
        _segment_interval = interval;
        return *this;
    }

    store_spec build() const {
        detail::validate_store_name(this->_name);
        const int64_t retention = detail::non_negative(_retention, "window store retention");
        const int64_t size = detail::non_negative(_window_size, "window size");
        const int64_t segment =
            detail::non_negative(_segment_interval, "window store segment interval");
        if (retention < size) {
            throw std::invalid_argument(
                fmt::format("window store '{}': the retention ({} ms) must be at least the "
                            "window size ({} ms)",
                            this->_name, retention, size));
        }
        store_spec spec;
        spec.name = this->_name;
        spec.logged = this->_logging;
        if (this->_logging) {
            spec.changelog_config =
                detail::windowed_changelog_config(retention, this->_topic_config);
        }
        spec.factory = [name = this->_name, type = this->_type, caching = this->_caching,
                        logging = this->_logging, retention, size, segment, ks = _ks,
                        vs = _vs]() -> std::unique_ptr<state::state_store> {
            return std::make_unique<metered_window_store<K, V, KS, VS>>(
                state::make_window_stack(name, type, retention, segment, caching, logging), size,
                ks, vs);
        };
        return spec;
    }

private:
    std::chrono::milliseconds _retention;
    std::chrono::milliseconds _window_size;
    std::chrono::milliseconds _segment_interval{0}; // 0: the default for the retention
    KS _ks;
    VS _vs;
};

// A window store of value_and_timestamp<V>: what the DSL's windowed aggregations use.
template <class K, class V, class KS = default_serde<K>, class VS = default_serde<V>>
class timestamped_window_store_builder
    : public basic_store_builder<timestamped_window_store_builder<K, V, KS, VS>> {
    using base = basic_store_builder<timestamped_window_store_builder<K, V, KS, VS>>;

public:
    timestamped_window_store_builder(std::string name, std::chrono::milliseconds retention,
                                     std::chrono::milliseconds window_size, KS key_serde = {},
                                     VS value_serde = {})
        : base(std::move(name)), _inner(this->_name, retention, window_size, std::move(key_serde),
                                        value_and_timestamp_serde<VS>(std::move(value_serde))) {}

    timestamped_window_store_builder& with_segment_interval(std::chrono::milliseconds interval) {
        _inner.with_segment_interval(interval);
        return *this;
    }

    store_spec build() const {
        auto inner = _inner;
        inner.with_logging_disabled();
        if (this->_logging) {
            inner.with_logging_enabled(this->_topic_config);
        }
        this->_caching ? inner.with_caching_enabled() : inner.with_caching_disabled();
        this->_type == store_type::rocksdb ? inner.persistent() : inner.in_memory();
        return inner.build();
    }

private:
    window_store_builder<K, value_and_timestamp<V>, KS, value_and_timestamp_serde<VS>> _inner;
};

// Builds metered_session_store<K, V, KS, VS> stacks. `retention` is how long sessions are
// kept, measured from the newest session end the store has seen; the segment interval
// defaults to max(retention / 2, 60 s).
template <class K, class V, class KS = default_serde<K>, class VS = default_serde<V>>
class session_store_builder : public basic_store_builder<session_store_builder<K, V, KS, VS>> {
    using base = basic_store_builder<session_store_builder<K, V, KS, VS>>;

public:
    static_assert(serde_for<KS, K>, "session_store_builder: KS does not serialize K");
    static_assert(serde_for<VS, V>, "session_store_builder: VS does not serialize V");

    session_store_builder(std::string name, std::chrono::milliseconds retention, KS key_serde = {},
                          VS value_serde = {})
        : base(std::move(name)), _retention(retention), _ks(std::move(key_serde)),
          _vs(std::move(value_serde)) {}

    session_store_builder& with_segment_interval(std::chrono::milliseconds interval) {
        _segment_interval = interval;
        return *this;
    }

    store_spec build() const {
        detail::validate_store_name(this->_name);
        const int64_t retention = detail::non_negative(_retention, "session store retention");
        const int64_t segment =
            detail::non_negative(_segment_interval, "session store segment interval");
        store_spec spec;
        spec.name = this->_name;
        spec.logged = this->_logging;
        if (this->_logging) {
            spec.changelog_config =
                detail::windowed_changelog_config(retention, this->_topic_config);
        }
        spec.factory = [name = this->_name, type = this->_type, caching = this->_caching,
                        logging = this->_logging, retention, segment, ks = _ks,
                        vs = _vs]() -> std::unique_ptr<state::state_store> {
            return std::make_unique<metered_session_store<K, V, KS, VS>>(
                state::make_session_stack(name, type, retention, segment, caching, logging), ks,
                vs);
        };
        return spec;
    }

private:
    std::chrono::milliseconds _retention;
    std::chrono::milliseconds _segment_interval{0};
    KS _ks;
    VS _vs;
};

} // namespace stores
} // namespace brook
