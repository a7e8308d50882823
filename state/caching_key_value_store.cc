#include "state/caching_key_value_store.h"

#include <utility>

namespace brook::state {

caching_key_value_store::caching_key_value_store(std::unique_ptr<key_value_store> inner)
    : _inner(std::move(inner)) {}

void caching_key_value_store::init(const store_context& context) {
    _inner->init(
        _layer.open(context, [this](std::string_view key, std::optional<std::string_view> value) {
            write_below(key, value);
        }));
}

void caching_key_value_store::write_below(std::string_view key,
                                          std::optional<std::string_view> value) {
    if (value) {
        _inner->put(key, *value);
    } else {
        _inner->remove(key);
    }
}

void caching_key_value_store::flush() {
    if (caching()) {
        _layer.cache()->flush();
    }
    _inner->flush();
}

void caching_key_value_store::close() {
    // Dropping the cache releases its bytes; dirty entries die with it on purpose.
    _layer.close();
    _inner->close();
}

bool caching_key_value_store::set_cache_flush_listener(cache_flush_listener listener) {
    if (!caching()) {
        return _inner->set_cache_flush_listener(std::move(listener));
    }
    return _layer.set_listener(std::move(listener));
}

std::optional<std::string> caching_key_value_store::get(std::string_view key) {
    if (!caching()) {
        return _inner->get(key);
    }
    if (const auto* cached = _layer.cache()->find(key)) {
        return *cached;
    }
    auto value = _inner->get(key);
    if (value) {
        _layer.cache()->fill(key, *value);
    }
    return value;
}

void caching_key_value_store::put(std::string_view key, std::string_view value) {
    if (!caching()) {
        _inner->put(key, value);
        return;
    }
    _layer.cache()->write(key, value, _layer.now());
}

void caching_key_value_store::remove(std::string_view key) {
    if (!caching()) {
        _inner->remove(key);
        return;
    }
    _layer.cache()->write(key, std::nullopt, _layer.now());
}

void caching_key_value_store::range(std::string_view from, std::string_view to,
                                    const kv_visitor& visit) {
    if (!caching()) {
        _inner->range(from, to, visit);
        return;
    }
    store_cache::merge_cursor cursor(*_layer.cache(), from, to, visit);
    bool more = true;
    _inner->range(from, to, [&](std::string_view key, std::string_view value) {
        more = cursor.offer(key, value);
        return more;
    });
    if (more) {
        cursor.finish();
    }
}

void caching_key_value_store::prefix_scan(std::string_view prefix, const kv_visitor& visit) {
    if (!caching()) {
        _inner->prefix_scan(prefix, visit);
        return;
    }
    const std::string end = key_after_prefix(prefix);
    store_cache::merge_cursor cursor(*_layer.cache(), prefix, end, visit);
    bool more = true;
    _inner->prefix_scan(prefix, [&](std::string_view key, std::string_view value) {
        more = cursor.offer(key, value);
        return more;
    });
    if (more) {
        cursor.finish();
    }
}

size_t caching_key_value_store::approximate_size() {
    size_t size = _inner->approximate_size();
    if (!caching()) {
        return size;
    }
    // A dirty entry adds one if the inner store lacks the key, and a pending delete takes
    // one away if the inner store has it.
    int64_t delta = 0;
    _layer.cache()->for_each_dirty(
        [&](std::string_view key, const std::optional<std::string>& value) {
            const bool below = _inner->get(key).has_value();
            if (value && !below) {
                ++delta;
            } else if (!value && below) {
                --delta;
            }
        });
    const auto corrected = static_cast<int64_t>(size) + delta;
    return corrected > 0 ? static_cast<size_t>(corrected) : 0;
}

} // namespace brook::state
