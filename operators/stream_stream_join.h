#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/processor/processor.h"
#include "engine/store/get_store.h"
#include "engine/store/key_value_store.h"
#include "engine/store/window_store.h"
#include "operators/aggregation_support.h"
#include "operators/join_time_tracker.h"
#include "operators/join_values.h"

namespace brook {

// The join node of one side of a stream-stream join (Kafka Streams' KStreamKStreamJoin,
// with its fix for spurious left/outer results). Side says which side this node is; the
// joiner is always called as joiner(key, left value, right value), with nullptr for a
// missing side.
//
// For each record at time t, it finds the other side's records of the same key with
// timestamps in [t - before, t + after] (this side's view of the join windows) and
// forwards one result per match, at the later of the two timestamps. When this side is
// outer (a left join's left side; both sides of an outer join) and nothing matched:
//   - if the window already closed (t + after < stream time), the record is forwarded at
//     once with no partner;
//   - else it waits in the shared outer store. It is forwarded with no partner once
//     stream time passes its window end plus the grace period, unless a record of the
//     other side matches it first (which deletes it there). Nothing is emitted early, so
//     a left or outer join never emits a "no partner" result for a record that joins.
// Stream time is shared by both sides of the task (join_time_tracker.h).
//
// Nulls (KIP-962): a null-key record of an outer side is forwarded at once with no
// partner; other records with a null key or value are dropped (warned about once).
//
// Lifecycle: one instance per task; init() finds the stores and the shared tracker, close()
// lets the tracker go. Threading: the task's thread. Ownership: borrows the stores.
template <join_side Side, class K, class VThis, class VOther, class VR, class Joiner, class KS,
          class VThisS, class VOtherS>
class stream_stream_join_processor final : public processor<K, VThis, K, VR> {
public:
    using context_type = typename processor<K, VThis, K, VR>::context_type;

    struct settings {
        std::string name;
        std::string other_store;
        std::string outer_store; // empty: no left or outer join
        bool outer = false;      // this side's unmatched records are emitted
        int64_t before_ms = 0;   // this side's view of the windows
        int64_t after_ms = 0;
        int64_t grace_ms = 0;
        int64_t left_lookback_ms = 0;  // how long a waiting left record's window stays open
        int64_t right_lookback_ms = 0; // the same for a right record
        std::shared_ptr<join_time_trackers> trackers;
    };

    stream_stream_join_processor(settings s, Joiner joiner, KS key_serde, VThisS this_serde,
                                 VOtherS other_serde)
        : _s(std::move(s)), _joiner(std::move(joiner)), _key_serde(std::move(key_serde)),
          _this_serde(std::move(this_serde)), _other_serde(std::move(other_serde)),
          _warning(_s.name) {}

    void init(context_type& context) override {
        _other = &get_store<window_store<K, std::vector<VOther>>>(context, _s.other_store);
        if (!_s.outer_store.empty()) {
            _outer = &get_store<key_value_store<std::string, std::string>>(context, _s.outer_store);
        }
        _time = _s.trackers->acquire(&detail::runtime_task(context));
    }

    void close() override { _time.reset(); }

    void process(record<K, VThis>&& r) override {
        const int64_t t = r.timestamp;
        _time->advance(t);
        if (_s.outer && is_null_value(r.key) && !is_null_value(r.value)) {
            forward(r.key, &r.value, nullptr, t);
            return;
        }
        if (is_null_value(r.key) || is_null_value(r.value)) {
            _warning.skipped(this->context(), is_null_value(r.key) ? "key" : "value");
            return;
        }
        if (_outer != nullptr && t == _time->stream_time) {
            emit_closed_outer_records();
        }
        // Records the other store has expired do not join, even while their segment holds
        // them (Kafka Streams bounds its fetch the same way).
        int64_t& this_time = _time->side_time[static_cast<int>(Side)];
        this_time = std::max(this_time, t);
        const int64_t other_time = std::max(_other->observed_stream_time(),
                                            _time->side_time[static_cast<int>(other_side)]);
        const int64_t expired = other_time - _other->retention_ms();
        const int64_t from = std::max<int64_t>({0, t - _s.before_ms, expired + 1});
        const int64_t to = std::max<int64_t>(0, t + _s.after_ms);
        bool matched = false;
        _other->fetch(r.key, from, to, [&](int64_t other_t, const std::vector<VOther>& values) {
            if (values.empty()) {
                return true;
            }
            matched = true;
            if (_outer != nullptr) {
                forget_waiting(other_side, other_t, r.key);
            }
            for (const VOther& v : values) {
                forward(r.key, &r.value, &v, std::max(t, other_t));
            }
            return true;
        });
        if (matched || !_s.outer) {
            return;
        }
        if (_outer == nullptr || to < _time->stream_time) {
            forward(r.key, &r.value, nullptr, t);
            return;
        }
        _time->note_waiting(t);
        const std::string key = outer_key(Side, t, r.key);
        std::string values = _outer->get(key).value_or(std::string());
        append_join_value(_this_serde, r.value, values);
        _outer->put(key, values);
    }

private:
    static constexpr join_side other_side =
        Side == join_side::left ? join_side::right : join_side::left;

    static int64_t saturating_add(int64_t a, int64_t b) {
        if (b > 0 && a > std::numeric_limits<int64_t>::max() - b) {
            return std::numeric_limits<int64_t>::max();
        }
        return a + b;
    }

    std::string outer_key(join_side side, int64_t t, const K& key) const {
        return outer_join_key{t, side, detail::serialize_to_string(_key_serde, key)}.encode();
    }

    void forget_waiting(join_side side, int64_t t, const K& key) {
        const std::string k = outer_key(side, t, key);
        if (_outer->get(k)) {
            _outer->remove(k);
        }
    }

    void forward(const K& key, const VThis* this_value, const VOther* other_value, int64_t t) {
        VR out = [&] {
            if constexpr (Side == join_side::left) {
                return _joiner(key, this_value, other_value);
            } else {
                return _joiner(key, other_value, this_value);
            }
        }();
        this->context().forward(record<K, VR>{key, std::move(out), t, {}});
    }

    // Forwards, with no partner, every waiting record whose window (plus grace) has closed
    // by the shared stream time, oldest first, and deletes them from the store.
    void emit_closed_outer_records() {
        const int64_t now = _time->stream_time;
        if (_time->outer_store_scanned &&
            saturating_add(_time->min_time, _s.after_ms + _s.grace_ms) >= now) {
            return;
        }
        _time->outer_store_scanned = true;
        _time->min_time = std::numeric_limits<int64_t>::max();
        bool left_open = false;
        bool right_open = false;
        std::vector<std::string> emitted;
        _outer->all([&](const std::string& stored_key, const std::string& stored_values) {
            const outer_join_key k = outer_join_key::decode(stored_key);
            _time->min_time = k.timestamp;
            if (left_open && right_open) {
                return false;
            }
            const int64_t lookback =
                k.side == join_side::left ? _s.left_lookback_ms : _s.right_lookback_ms;
            if (saturating_add(k.timestamp, lookback + _s.grace_ms) >= now) {
                (k.side == join_side::left ? left_open : right_open) = true;
                return true;
            }
            const K key = _key_serde.deserialize(nullable_bytes{k.key});
            for_each_join_value(stored_values, [&](nullable_bytes bytes) {
                if (k.side == Side) {
                    const VThis v = _this_serde.deserialize(bytes);
                    forward(key, &v, nullptr, k.timestamp);
                } else {
                    const VOther v = _other_serde.deserialize(bytes);
                    forward_other_alone(key, v, k.timestamp);
                }
            });
            emitted.push_back(stored_key);
            return true;
        });
        for (const std::string& k : emitted) {
            _outer->remove(k);
        }
    }

    void forward_other_alone(const K& key, const VOther& v, int64_t t) {
        VR out = [&] {
            if constexpr (Side == join_side::left) {
                return _joiner(key, static_cast<const VThis*>(nullptr), &v);
            } else {
                return _joiner(key, &v, static_cast<const VThis*>(nullptr));
            }
        }();
        this->context().forward(record<K, VR>{key, std::move(out), t, {}});
    }

    settings _s;
    Joiner _joiner;
    KS _key_serde;
    VThisS _this_serde;
    VOtherS _other_serde;
    null_record_warning _warning;
    window_store<K, std::vector<VOther>>* _other = nullptr;
    key_value_store<std::string, std::string>* _outer = nullptr;
    std::shared_ptr<join_time_tracker> _time;
};

} // namespace brook
