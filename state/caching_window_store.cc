#include "state/caching_window_store.h"

#include <algorithm>
#include <utility>

#include "state/key_encoding.h"

namespace brook::state {

namespace {

constexpr size_t time_bytes = 8;

int64_t start_of(std::string_view encoded) {
    return static_cast<int64_t>(read_u64_be(encoded, encoded.size() - time_bytes));
}

} // namespace

caching_window_store::caching_window_store(std::unique_ptr<window_store> inner,
                                           int64_t segment_interval_ms)
    : _inner(std::move(inner)), _policy(_inner->retention_ms(), segment_interval_ms) {}

void caching_window_store::init(const store_context& context) {
    _cap.bind(context.stream_time);
    _inner->init(
        _layer.open(context, [this](std::string_view key, std::optional<std::string_view> value) {
            write_below(key, value);
        }));
}

int64_t caching_window_store::stream_time() const {
    // The inner store's stream time also moves without this layer: on restore.
    return std::max(_stream_time, _inner->observed_stream_time());
}

int64_t caching_window_store::observed_stream_time() const {
    return caching() ? stream_time() : _inner->observed_stream_time();
}

bool caching_window_store::live(int64_t window_start) const {
    return _policy.is_live(_policy.segment_id(window_start), stream_time());
}

void caching_window_store::write_below(std::string_view key,
                                       std::optional<std::string_view> value) {
    const auto decoded = decode_window_key(key);
    // A removal goes down even when its segment has expired meanwhile (a later put in the
    // same commit moved stream time on): the layers below must log it (see
    // logging_window_store.h).
    if (!value || live(decoded.start)) {
        _inner->put(decoded.key, value, decoded.start);
    }
}

void caching_window_store::flush() {
    if (caching()) {
        _layer.cache()->flush();
    }
    _inner->flush();
}

void caching_window_store::close() {
    // Dropping the cache releases its bytes; dirty entries die with it on purpose.
    _layer.close();
    _inner->close();
}

bool caching_window_store::set_cache_flush_listener(cache_flush_listener listener) {
    if (!caching()) {
        return _inner->set_cache_flush_listener(std::move(listener));
    }
    return _layer.set_listener(std::move(listener));
}

void caching_window_store::put(std::string_view key, std::optional<std::string_view> value,
                               int64_t window_start) {
    if (!caching()) {
        _inner->put(key, value, window_start);
        return;
    }
    // Encoding first: it rejects a negative start before stream time moves, as the bottom.
    const std::string_view encoded = _key.window(key, window_start);
    // As the bottom: stream time moves first, then the put must land in a live segment.
    _stream_time = std::max(stream_time(), _cap.apply(window_start));
    if (!live(window_start)) {
        if (value) {
            ++_expired_puts;
        } else {
            // A removal still goes down, so that it is logged (logging_window_store.h). It
            // counts as expired once, here or (its stream time caught up) in the bottom.
            const uint64_t below = _inner->expired_puts();
            _inner->put(key, std::nullopt, window_start);
            _expired_puts += _inner->expired_puts() == below ? 1 : 0;
        }
        return;
    }
    _layer.cache()->write(encoded, value, _layer.now());
}

std::optional<std::string> caching_window_store::fetch(std::string_view key, int64_t window_start) {
    if (!caching()) {
        return _inner->fetch(key, window_start);
    }
    if (window_start < 0 || !live(window_start)) {
        return std::nullopt;
    }
    const std::string_view encoded = _key.window(key, window_start);
    if (const auto* cached = _layer.cache()->find(encoded)) {
        return *cached;
    }
    auto value = _inner->fetch(key, window_start);
    if (value) {
        _layer.cache()->fill(encoded, *value);
    }
    return value;
}

void caching_window_store::fetch(std::string_view key, int64_t from, int64_t to,
                                 const window_visitor& visit) {
    if (!caching()) {
        _inner->fetch(key, from, to, visit);
        return;
    }
    from = std::max<int64_t>(from, 0);
    if (to < from) {
        return;
    }
    // One key's windows share the [length][key] head and differ only in the start, so
    // [encode(from), after(encode(to))) holds exactly this key's windows in [from, to].
    const std::string lower = encode_window_key(key, from);
    const std::string upper = key_after_prefix(encode_window_key(key, to));
    const kv_visitor out = [&](std::string_view encoded, std::string_view value) {
        const int64_t start = start_of(encoded);
        return !live(start) || visit(start, value);
    };
    store_cache::merge_cursor cursor(*_layer.cache(), lower, upper, out);
    encoded_key_buffer inner_key;
    bool more = true;
    _inner->fetch(key, from, to, [&](int64_t start, std::string_view value) {
        more = cursor.offer(inner_key.window(key, start), value);
        return more;
    });
    if (more) {
        cursor.finish();
    }
}

void caching_window_store::fetch_all(int64_t from, int64_t to, const keyed_window_visitor& visit) {
    if (!caching()) {
        _inner->fetch_all(from, to, visit);
        return;
    }
    _layer.cache()->flush();
    // The inner store's stream time may lag this layer's: hide what has expired here.
    _inner->fetch_all(from, to, [&](std::string_view key, int64_t start, std::string_view value) {
        return !live(start) || visit(key, start, value);
    });
}

} // namespace brook::state
