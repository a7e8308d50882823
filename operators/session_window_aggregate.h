#pragma once

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/processor/processor.h"
#include "engine/store/get_store.h"
#include "engine/store/session_store.h"
#include "operators/aggregation_support.h"
#include "operators/emit_strategy.h"
#include "operators/windows.h"

namespace brook {

// session_windowed_stream.count() / reduce() / aggregate() (Kafka Streams'
// KStreamSessionWindowAggregate). A record at t joins every session of its key that ends at
// or after t - gap and starts at or before t + gap: those sessions are merged (their
// aggregates combined with the merger) into one session spanning all of them and t, the
// old sessions are removed and the merged one is put.
//
// Lateness, as Kafka Streams 3.9: close time = stream time - grace - gap; a record whose
// merged session would end before close time is dropped and counted. (The gap is part of
// it because a session stays open to merging until gap after its last record.)
//
// Emitting (results are record<windowed<K>, optional<VR>>, timestamp = session end):
//   on_window_update: the merged session's aggregate, and a tombstone (nullopt) for each
//     session it replaced, through the store's cache when it caches, else at once;
//   on_window_close: with each record, before it is put, every session that ended before
//     close time is forwarded once, in end order, and removed from the store, so a restart never
//     forwards it again. A later record that could have merged with an emitted session (possible
//     within grace + gap) starts a new session instead: each session is emitted exactly
//     once (Kafka Streams would emit the merged session again).
//
// Lifecycle: one instance per task; init() finds the store and, when emitting updates,
// registers the cache flush listener (removed in close()).
// Threading: the task's thread. Ownership: borrows the store from the task.
template <class K, class V, class Fn>
class session_window_aggregate_processor final
    : public processor<K, V, windowed<K>, std::optional<typename Fn::result_type>> {
public:
    using VR = typename Fn::result_type;
    using out_record = record<windowed<K>, std::optional<VR>>;
    using context_type = typename processor<K, V, windowed<K>, std::optional<VR>>::context_type;

    session_window_aggregate_processor(std::string name, std::string store_name,
                                       session_windows windows, emit_strategy emit, Fn fn)
        : _store_name(std::move(store_name)), _gap(windows.inactivity_gap_ms()),
          _grace(windows.grace_ms()), _emit(emit), _fn(std::move(fn)), _warning(std::move(name)) {}

    void init(context_type& context) override {
        _store = &get_store<session_store<K, VR>>(context, _store_name);
        if (_emit.emits_on_close()) {
            // Stream time also moves without a record of this task's (a repartition
            // input's watermark): sessions it closes go out then too.
            context.schedule(std::chrono::milliseconds(1), punctuation_type::stream_time,
                             [this](int64_t stream_time) {
                                 emit_closed_sessions(
                                     saturating_sub(saturating_sub(stream_time, _grace), _gap), {});
                             });
        }
        if (!_emit.emits_on_close()) {
            _forward_on_flush = _store->set_flush_listener(
                [this](const windowed<K>& session, std::optional<VR> v, int64_t /*ts*/) {
                    this->context().forward(out_record{session, std::move(v), session.end, {}});
                });
        }
    }

    void process(record<K, V>&& r) override {
        if (is_null_value(r.key) || is_null_value(r.value)) {
            _warning.skipped(this->context(), "key or value");
            return;
        }
        window_timestamp_check(r.timestamp);
        const int64_t t = r.timestamp;
        const int64_t close_time =
            saturating_sub(saturating_sub(this->context().stream_time(), _grace), _gap);
        // Closed sessions go out before this record's put: the put may move the store's
        // observed time far enough to expire them, and an expired session is gone unseen.
        if (_emit.emits_on_close()) {
            emit_closed_sessions(close_time, r.headers);
        }

        std::vector<std::pair<windowed<K>, VR>> merged;
        _store->find_sessions(r.key, std::max<int64_t>(0, t - _gap), saturating_add(t, _gap),
                              [&](const windowed<K>& session, const VR& v) {
                                  merged.emplace_back(session, v);
                                  return true;
                              });
        std::optional<VR> aggregate = _fn.initial();
        int64_t start = t;
        int64_t end = t;
        for (const auto& [session, v] : merged) {
            aggregate = _fn.merge(r.key, std::move(aggregate), v);
            start = std::min(start, session.start);
            end = std::max(end, session.end);
        }

        if (end < close_time) {
            count_late_record(detail::runtime_task(this->context()));
        } else {
            if (start != t || end != t) {
                for (const auto& [session, v] : merged) {
                    _store->remove(session);
                    maybe_forward(out_record{session, std::nullopt, session.end, r.headers});
                }
            }
            windowed<K> session{r.key, start, end};
            VR result = _fn.apply(r.key, r.value, std::move(aggregate));
            _store->put(session, result);
            maybe_forward(out_record{std::move(session), std::move(result), end, r.headers});
        }
    }

    void close() override {
        if (_store != nullptr && _forward_on_flush) {
            _store->set_flush_listener({});
        }
    }

private:
    void maybe_forward(out_record&& r) {
        if (!_emit.emits_on_close() && !_forward_on_flush) {
            this->context().forward(std::move(r));
        }
    }

    // Forwards and removes every session ending before close_time not emitted yet. Sessions
    // put since the last call end at or after the close time of then, so each call scans
    // only new ends; the first call after a (re)start scans from 0.
    void emit_closed_sessions(int64_t close_time, const headers& hdrs) {
        const int64_t upper = close_time - 1;
        const int64_t lower = _emitted_through ? *_emitted_through + 1 : 0;
        if (upper < lower) {
            return;
        }
        _emitted_through = upper;
        std::vector<std::pair<windowed<K>, VR>> closed;
        _store->fetch_all(lower, upper, [&](const windowed<K>& session, const VR& v) {
            closed.emplace_back(session, v);
            return true;
        });
        std::stable_sort(closed.begin(), closed.end(),
                         [](const auto& a, const auto& b) { return a.first.end < b.first.end; });
        for (auto& [session, v] : closed) {
            this->context().forward(out_record{session, std::move(v), session.end, hdrs});
            _store->remove(session);
        }
    }

    std::string _store_name;
    int64_t _gap;
    int64_t _grace;
    emit_strategy _emit;
    Fn _fn;
    null_record_warning _warning;
    session_store<K, VR>* _store = nullptr;
    bool _forward_on_flush = false;
    std::optional<int64_t> _emitted_through; // largest session end emitted or skipped
};

} // namespace brook
