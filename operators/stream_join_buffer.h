#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "engine/errors.h"
#include "engine/processor/processor.h"
#include "engine/record.h"
#include "engine/store/get_store.h"
#include "engine/store/key_value_store.h"
#include "state/key_encoding.h"

namespace brook {

// The stream side's buffer of a stream-table join with a grace period (Kafka Streams'
// RocksDBTimeOrderedKeyValueBuffer, KIP-923): records wait until the stream time this join
// has seen passes their timestamp plus the grace period, and then leave in timestamp order
// (ties in arrival order), so a versioned table has received its updates up to each
// record's time before the record looks it up. A record already older than stream time
// minus the grace period is not buffered: the caller joins it at once.
//
// The store (a logged key-value store of bytes) holds
//
//   'R' [u64 BE timestamp^sign][u64 BE sequence] -> one record: key, value and headers
//   'T'                                          -> [u64 BE stream time][u64 BE next sequence]
//
// so stream time and the order of equal timestamps survive a restart and a restore.
//
// Lifecycle: one per processor; init() with the processor's context, before use.
// Threading: the task's thread. Ownership: borrows the store; owns nothing else.
template <class K, class V, class KS, class VS>
class stream_join_buffer {
public:
    stream_join_buffer(std::string store_name, int64_t grace_ms, KS key_serde, VS value_serde)
        : _store_name(std::move(store_name)), _grace(grace_ms), _ks(std::move(key_serde)),
          _vs(std::move(value_serde)) {}

    template <class Context>
    void init(Context& context) {
        _store = &get_store<key_value_store<std::string, std::string>>(context, _store_name);
        _loaded = false;
    }

    // Moves stream time to `timestamp` if it is newer.
    void observe(int64_t timestamp) {
        load();
        if (timestamp > _stream_time) {
            _stream_time = timestamp;
            _dirty = true;
        }
    }

    // Buffers `r` (call observe() first); false when it is too late to wait and must be
    // joined now.
    bool put(const record<K, V>& r) {
        load();
        if (r.timestamp < _stream_time - _grace) {
            return false;
        }
        std::string key(1, 'R');
        state::append_u64_be(key, static_cast<uint64_t>(r.timestamp) ^ sign_bit);
        state::append_u64_be(key, _next_sequence++);
        _dirty = true;
        _store->put(key, encode(r));
        _earliest = std::min(_earliest, r.timestamp);
        return true;
    }

    // Hands every record whose time has come to `emit`, oldest first, and removes it.
    template <class Emit>
    void evict(Emit&& emit) {
        load();
        save();
        const int64_t limit = _stream_time - _grace;
        if (_earliest > limit) {
            return; // nothing is due: no scan
        }
        std::string to(1, 'R');
        state::append_u64_be(to, static_cast<uint64_t>(limit) ^ sign_bit);
        state::append_u64_be(to, UINT64_MAX);
        std::vector<std::pair<std::string, record<K, V>>> due;
        _store->range(std::string(1, 'R'), to, [&](const std::string& k, const std::string& v) {
            due.emplace_back(k, decode(v));
            return true;
        });
        // What stays is after `limit`; its earliest is found by the next scan, if needed.
        _earliest = limit + 1;
        for (auto& [k, r] : due) {
            _store->remove(k);
            emit(std::move(r));
        }
    }

private:
    static constexpr uint64_t sign_bit = uint64_t{1} << 63;

    void load() {
        if (_loaded) {
            return;
        }
        _loaded = true;
        _stream_time = INT64_MIN / 2; // unknown: nothing is late
        _next_sequence = 0;
        _earliest = INT64_MIN; // unknown after a (re)start: the first evict scans
        if (auto t = _store->get("T")) {
            if (t->size() != 16) {
                throw state::state_error(
                    fmt::format("join buffer '{}': its state entry is not 16 bytes", _store_name));
            }
            _stream_time = static_cast<int64_t>(state::read_u64_be(*t, 0));
            _next_sequence = state::read_u64_be(*t, 8);
        }
    }

    void save() {
        if (!_dirty) {
            return;
        }
        std::string bytes;
        state::append_u64_be(bytes, static_cast<uint64_t>(_stream_time));
        state::append_u64_be(bytes, _next_sequence);
        _store->put("T", bytes);
        _dirty = false;
    }

    static void append_part(std::string& out, nullable_bytes part) {
        out.push_back(part ? '\1' : '\0');
        if (part) {
            state::append_u64_be(out, part->size());
            out.append(*part);
        }
    }

    std::string encode(const record<K, V>& r) {
        std::string out;
        state::append_u64_be(out, static_cast<uint64_t>(r.timestamp));
        append_part(out, _ks.serialize(r.key, _buffer));
        append_part(out, _vs.serialize(r.value, _buffer));
        state::append_u64_be(out, r.headers.size());
        for (const auto& [name, value] : r.headers) {
            append_part(out, std::string_view(name));
            append_part(out, value ? nullable_bytes(std::string_view(*value)) : nullable_bytes{});
        }
        return out;
    }

    record<K, V> decode(std::string_view in) const {
        size_t at = 0;
        auto need = [&](size_t n) {
            if (in.size() - at < n) {
                throw state::state_error(fmt::format(
                    "join buffer '{}': a buffered record is cut short; was its changelog "
                    "written by something else?",
                    _store_name));
            }
        };
        auto u64 = [&] {
            need(8);
            const uint64_t v = state::read_u64_be(in, at);
            at += 8;
            return v;
        };
        auto part = [&]() -> nullable_bytes {
            need(1);
            const char flag = in[at++];
            if (flag == '\0') {
                return std::nullopt;
            }
            const uint64_t n = u64();
            need(n);
            const std::string_view bytes = in.substr(at, n);
            at += n;
            return bytes;
        };
        record<K, V> r;
        r.timestamp = static_cast<int64_t>(u64());
        r.key = _ks.deserialize(part());
        r.value = _vs.deserialize(part());
        const uint64_t headers = u64();
        for (uint64_t i = 0; i < headers; ++i) {
            const nullable_bytes name = part();
            const nullable_bytes value = part();
            r.headers.add(name ? std::string(*name) : std::string(),
                          value ? std::optional<std::string>(std::string(*value)) : std::nullopt);
        }
        return r;
    }

    std::string _store_name;
    int64_t _grace;
    KS _ks;
    VS _vs;
    key_value_store<std::string, std::string>* _store = nullptr;
    bool _loaded = false;
    bool _dirty = false;
    int64_t _stream_time = 0;
    uint64_t _next_sequence = 0;
    // No buffered record is older than this (a lower bound), so evict() can skip its scan.
    int64_t _earliest = INT64_MIN;
    std::string _buffer;
};

} // namespace brook
