#include "state/cache_layer.h"

#include <utility>

namespace brook::state {

store_context cache_layer::open(const store_context& context, write_below_fn write_below) {
    _clock = context.timestamp;
    if (context.cache == nullptr || !context.cache->enabled()) {
        return context;
    }
    _write_below = std::move(write_below);
    _cache = std::make_unique<store_cache>(
        *context.cache, [this](std::string_view key, std::optional<std::string_view> value,
                               int64_t timestamp) { write_down(key, value, timestamp); });
    store_context below = context;
    if (context.timestamp) {
        // Without a clock, leave it absent: a logging layer below refuses to open then.
        below.timestamp = [this, clock = context.timestamp] {
            return _writing ? *_writing : clock();
        };
    }
    return below;
}

bool cache_layer::set_listener(cache_flush_listener listener) {
    if (!_cache) {
        return false;
    }
    _listener = std::move(listener);
    return true;
}

void cache_layer::write_down(std::string_view key, std::optional<std::string_view> value,
                             int64_t timestamp) {
    _writing = timestamp;
    try {
        _write_below(key, value);
    } catch (...) {
        _writing.reset();
        throw;
    }
    _writing.reset();
    if (_listener) {
        _listener(key, value, timestamp);
    }
}

} // namespace brook::state
