#pragma once

#include <climits>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <utility>

#include <fmt/format.h>

#include "engine/errors.h"
#include "engine/processor/processor.h"
#include "engine/serde/serde.h"
#include "engine/store/get_store.h"
#include "engine/store/key_value_store.h"
#include "engine/store/windowed.h"
#include "operators/aggregation_support.h"
#include "operators/suppressed.h"

namespace brook {

// One key held back by a suppression: when it entered the buffer (its buffer time: the
// window's end for final results, the first held-back update's timestamp for a time
// limit), and its newest update's value and timestamp.
template <class V>
struct suppress_entry {
    int64_t buffer_time = 0;
    int64_t timestamp = 0;
    V value{};
};

// suppress_entry<V> on the wire: u64 big-endian buffer time, u64 big-endian timestamp, a
// flag byte (1: a value follows as VS writes it, 0: a null value, for the tombstones of
// tables that delete keys). Throws serde_error for anything else.
template <class VS>
class suppress_entry_serde {
public:
    using inner_type =
        std::remove_cvref_t<decltype(std::declval<const VS&>().deserialize(nullable_bytes{}))>;
    using value_type = suppress_entry<inner_type>;

    suppress_entry_serde() = default;
    explicit suppress_entry_serde(VS inner) : _inner(std::move(inner)) {}

    nullable_bytes serialize(const value_type& e, std::string& buffer) const {
        std::string inner;
        const nullable_bytes bytes = _inner.serialize(e.value, inner);
        buffer.assign(17, '\0');
        detail::write_u64_be(buffer.data(), static_cast<uint64_t>(e.buffer_time));
        detail::write_u64_be(buffer.data() + 8, static_cast<uint64_t>(e.timestamp));
        if (bytes) {
            buffer[16] = '\1';
            buffer.append(*bytes);
        }
        return std::string_view(buffer);
    }
    value_type deserialize(nullable_bytes in) const {
        if (!in || in->size() < 17 || (in->at(16) != '\0' && in->at(16) != '\1') ||
            (in->at(16) == '\0' && in->size() != 17)) {
            throw serde_error("not a suppression buffer entry (buffer time, timestamp, a flag "
                              "byte, then the value)");
        }
        value_type e;
        e.buffer_time = static_cast<int64_t>(detail::read_u64_be(*in, 0));
        e.timestamp = static_cast<int64_t>(detail::read_u64_be(*in, 8));
        e.value = in->at(16) == '\1' ? _inner.deserialize(in->substr(17))
                                     : _inner.deserialize(nullable_bytes{});
        return e;
    }

private:
    [[no_unique_address]] VS _inner{};
};

// table.suppress() (Kafka Streams' KTableSuppressProcessor): holds each key's newest
// update in a buffer and forwards it once its time has come, by the stream time this node
// has seen (the newest timestamp among its input records):
//   - final results (until_window_closes): once the window's end plus the aggregation's
//     grace is at or before stream time; one record per window. A tombstone never went out
//     before, so it is dropped rather than forwarded;
//   - a time limit: once `limit` has passed since the key entered the buffer; a key updated
//     while waiting keeps its place and goes out with its newest value.
// Entries leave in buffer-time order. A bounded buffer that overflows emits its oldest
// entries early, or fails the task with a streams_error, as its buffer_config says.
//
// The buffer is a logged in-memory key-value store of suppress_entry; an index by buffer
// time is rebuilt from it before the first record after (re)start, so a restored task
// emits what its predecessor held. Stream time starts again with the next record, as in
// Kafka Streams. Headers of held-back records are not kept.
//
// Lifecycle: one instance per task. Threading: the task's thread. Ownership: borrows the
// store; owns the index.
template <class K, class V, class KS, class VS>
class table_suppress_processor final : public processor<K, V, K, V> {
public:
    using context_type = typename processor<K, V, K, V>::context_type;
    using entry = suppress_entry<V>;

    // `delay_ms`: the grace period (final results) or the time limit.
    table_suppress_processor(std::string store, suppressed how, int64_t delay_ms, KS key_serde,
                             VS value_serde)
        : _store_name(std::move(store)),
          _final(how.type() == suppressed::kind::until_window_closes), _delay_ms(delay_ms),
          _buffer(how.buffer()), _ks(std::move(key_serde)), _vs(std::move(value_serde)) {}

    void init(context_type& context) override {
        _store = &get_store<key_value_store<K, entry>>(context, _store_name);
        _indexed = false;
        _stream_time = INT64_MIN;
    }

    void process(record<K, V>&& r) override {
        if (!_indexed) {
            rebuild_index();
        }
        _stream_time = std::max(_stream_time, r.timestamp);
        hold(std::move(r));
        enforce_constraints();
    }

    // For tests: how many keys are held back.
    size_t held() const { return _by_time.size(); }

private:
    struct slot {
        int64_t buffer_time;
        size_t bytes;
    };

    void rebuild_index() {
        _by_time.clear();
        _slots.clear();
        _bytes = 0;
        _store->all([this](const K& key, const entry& e) {
            index(key_bytes(key), key, e);
            return true;
        });
        _indexed = true;
    }

    std::string key_bytes(const K& key) const { return detail::serialize_to_string(_ks, key); }

    size_t entry_bytes(const std::string& key, const entry& e) const {
        if (!_buffer.max_bytes_limit()) {
            return 0; // only counted when bounded
        }
        std::string buffer;
        const nullable_bytes value = _vs.serialize(e.value, buffer);
        return key.size() + 17 + (value ? value->size() : 0);
    }

    void index(const std::string& bytes, const K& key, const entry& e) {
        const size_t size = entry_bytes(bytes, e);
        _by_time.emplace(std::make_pair(e.buffer_time, bytes), key);
        _slots[bytes] = slot{e.buffer_time, size};
        _bytes += size;
    }

    void hold(record<K, V>&& r) {
        std::string bytes = key_bytes(r.key);
        entry e;
        e.timestamp = r.timestamp;
        e.value = std::move(r.value);
        if (auto it = _slots.find(bytes); it != _slots.end()) {
            e.buffer_time = it->second.buffer_time; // keeps its place
            _bytes -= it->second.bytes;
            _by_time.erase(std::make_pair(it->second.buffer_time, bytes));
            _slots.erase(it);
        } else if constexpr (detail::is_windowed_key<K>::value) {
            e.buffer_time = _final ? r.key.end : r.timestamp;
        } else {
            e.buffer_time = r.timestamp;
        }
        _store->put(r.key, e);
        index(bytes, r.key, e);
    }

    bool over_capacity() const {
        return (_buffer.max_records_limit() && _by_time.size() > *_buffer.max_records_limit()) ||
               (_buffer.max_bytes_limit() && _bytes > *_buffer.max_bytes_limit());
    }

    void enforce_constraints() {
        // Saturating: a delay larger than stream time's distance from the start expires nothing.
        const int64_t expiry =
            _stream_time < INT64_MIN + _delay_ms ? INT64_MIN : _stream_time - _delay_ms;
        while (!_by_time.empty() && _by_time.begin()->first.first <= expiry) {
            emit_oldest();
        }
        if (!over_capacity()) {
            return;
        }
        if (_buffer.full_policy() == buffer_config::when_full::emit_early) {
            while (over_capacity()) {
                emit_oldest();
            }
            return;
        }
        throw streams_error(fmt::format(
            "suppression buffer '{}' is full: {} records (at most {}), {} bytes (at most {}); "
            "raise the buffer_config's limits, use buffer_config::unbounded(), or let it "
            "emit_early_when_full() where results may go out early",
            _store_name, _by_time.size(),
            _buffer.max_records_limit() ? fmt::to_string(*_buffer.max_records_limit()) : "any",
            _bytes,
            _buffer.max_bytes_limit() ? fmt::to_string(*_buffer.max_bytes_limit()) : "any"));
    }

    void emit_oldest() {
        auto it = _by_time.begin();
        K key = std::move(it->second);
        const std::string bytes = it->first.second;
        _by_time.erase(it);
        if (auto s = _slots.find(bytes); s != _slots.end()) {
            _bytes -= s->second.bytes;
            _slots.erase(s);
        }
        std::optional<entry> e = _store->remove(key);
        if (!e || (_final && is_null_value(e->value))) {
            return;
        }
        this->context().forward(
            record<K, V>{std::move(key), std::move(e->value), e->timestamp, {}});
    }

    std::string _store_name;
    bool _final;
    int64_t _delay_ms;
    buffer_config _buffer;
    [[no_unique_address]] KS _ks;
    [[no_unique_address]] VS _vs;
    key_value_store<K, entry>* _store = nullptr;
    bool _indexed = false;
    int64_t _stream_time = INT64_MIN;
    // Held keys by (buffer time, key bytes): the order they leave in.
    std::map<std::pair<int64_t, std::string>, K> _by_time;
    std::unordered_map<std::string, slot> _slots; // key bytes -> where in _by_time
    size_t _bytes = 0;
};

} // namespace brook
