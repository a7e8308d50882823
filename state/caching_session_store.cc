#include "state/caching_session_store.h"

#include <algorithm>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>

#include "state/key_encoding.h"

namespace brook::state {

namespace {

constexpr size_t time_bytes = 8;

// Session keys end in [u64 end][u64 start].
int64_t end_of(std::string_view encoded) {
    return static_cast<int64_t>(read_u64_be(encoded, encoded.size() - 2 * time_bytes));
}
int64_t start_of(std::string_view encoded) {
    return static_cast<int64_t>(read_u64_be(encoded, encoded.size() - time_bytes));
}

} // namespace

caching_session_store::caching_session_store(std::unique_ptr<session_store> inner,
                                             int64_t segment_interval_ms)
    : _inner(std::move(inner)), _policy(_inner->retention_ms(), segment_interval_ms) {}

void caching_session_store::init(const store_context& context) {
    _cap.bind(context.stream_time);
    _inner->init(
        _layer.open(context, [this](std::string_view key, std::optional<std::string_view> value) {
            write_below(key, value);
        }));
}

int64_t caching_session_store::stream_time() const {
    // The inner store's stream time also moves without this layer: on restore.
    return std::max(_stream_time, _inner->observed_stream_time());
}

int64_t caching_session_store::observed_stream_time() const {
    return caching() ? stream_time() : _inner->observed_stream_time();
}

bool caching_session_store::live(int64_t end) const {
    return _policy.is_live(_policy.segment_id(end), stream_time());
}

void caching_session_store::write_below(std::string_view key,
                                        std::optional<std::string_view> value) {
    const auto decoded = decode_session_key(key);
    // A removal goes down even when its segment has expired meanwhile: the layers below
    // must log it (see logging_session_store.h).
    if (!value || live(decoded.end)) {
        _inner->put(decoded.key, decoded.start, decoded.end, value);
    }
}

void caching_session_store::flush() {
    if (caching()) {
        _layer.cache()->flush();
    }
    _inner->flush();
}

void caching_session_store::close() {
    // Dropping the cache releases its bytes; dirty entries die with it on purpose.
    _layer.close();
    _inner->close();
}

bool caching_session_store::set_cache_flush_listener(cache_flush_listener listener) {
    if (!caching()) {
        return _inner->set_cache_flush_listener(std::move(listener));
    }
    return _layer.set_listener(std::move(listener));
}

void caching_session_store::put(std::string_view key, int64_t start, int64_t end,
                                std::optional<std::string_view> value) {
    if (!caching()) {
        _inner->put(key, start, end, value);
        return;
    }
    if (start < 0 || start > end) {
        throw std::invalid_argument(fmt::format(
            "session [{}, {}] is invalid: a session needs 0 <= start <= end", start, end));
    }
    // As the bottom: stream time moves first, then the put must land in a live segment.
    _stream_time = std::max(stream_time(), _cap.apply(end));
    if (!live(end)) {
        if (value) {
            ++_expired_puts;
        } else {
            // A removal still goes down, so that it is logged (logging_session_store.h). It
            // counts as expired once, here or (its stream time caught up) in the bottom.
            const uint64_t below = _inner->expired_puts();
            _inner->put(key, start, end, std::nullopt);
            _expired_puts += _inner->expired_puts() == below ? 1 : 0;
        }
        return;
    }
    const std::string_view encoded = _key.session(key, start, end);
    // A session put and removed again between two flushes (each record that extends a
    // session replaces it with one that ends later) need not go down as a tombstone when
    // the store below never had it: the tombstone would cost a changelog record, a record
    // downstream for a session never emitted, and a RocksDB tombstone that every later
    // scan of this key walks over. Kafka Streams' caching session store forwards no such
    // tombstone either.
    if (!value && _layer.cache()->holds_unwritten(encoded) && !_inner->fetch(key, start, end) &&
        _layer.cache()->discard_unwritten(encoded)) {
        return;
    }
    _layer.cache()->write(encoded, value, _layer.now());
}

std::optional<std::string> caching_session_store::fetch(std::string_view key, int64_t start,
                                                        int64_t end) {
    if (!caching()) {
        return _inner->fetch(key, start, end);
    }
    if (start < 0 || start > end || !live(end)) {
        return std::nullopt;
    }
    const std::string_view encoded = _key.session(key, start, end);
    if (const auto* cached = _layer.cache()->find(encoded)) {
        return *cached;
    }
    auto value = _inner->fetch(key, start, end);
    if (value) {
        _layer.cache()->fill(encoded, *value);
    }
    return value;
}

void caching_session_store::find_sessions(std::string_view key, int64_t earliest_end,
                                          int64_t latest_start, const session_visitor& visit) {
    if (!caching()) {
        _inner->find_sessions(key, earliest_end, latest_start, visit);
        return;
    }
    earliest_end = std::max<int64_t>(earliest_end, 0);
    if (latest_start < 0) {
        return;
    }
    // This key's sessions with end >= earliest_end, in (end, start) order, as the inner
    // scan yields them; starts are filtered one by one.
    const std::string lower = encode_session_key(key, 0, earliest_end);
    const std::string upper = key_after_prefix(encode_key_prefix(key));
    const kv_visitor out = [&](std::string_view encoded, std::string_view value) {
        const int64_t start = start_of(encoded);
        const int64_t end = end_of(encoded);
        return start > latest_start || !live(end) || visit(start, end, value);
    };
    store_cache::merge_cursor cursor(*_layer.cache(), lower, upper, out);
    encoded_key_buffer inner_key;
    bool more = true;
    _inner->find_sessions(key, earliest_end, latest_start,
                          [&](int64_t start, int64_t end, std::string_view value) {
                              more = cursor.offer(inner_key.session(key, start, end), value);
                              return more;
                          });
    if (more) {
        cursor.finish();
    }
}

void caching_session_store::fetch_all(int64_t earliest_end, int64_t latest_end,
                                      const keyed_session_visitor& visit) {
    if (!caching()) {
        _inner->fetch_all(earliest_end, latest_end, visit);
        return;
    }
    _layer.cache()->flush();
    // The inner store's stream time may lag this layer's: hide what has expired here.
    _inner->fetch_all(
        earliest_end, latest_end,
        [&](std::string_view key, int64_t start, int64_t end, std::string_view value) {
            return !live(end) || visit(key, start, end, value);
        });
}

} // namespace brook::state
