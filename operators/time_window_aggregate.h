#pragma once

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/processor/processor.h"
#include "engine/store/get_store.h"
#include "engine/store/window_store.h"
#include "operators/aggregation_support.h"
#include "operators/emit_strategy.h"
#include "operators/windows.h"

namespace brook {

// time_windowed_stream.count() / reduce() / aggregate() over tumbling or hopping windows
// (Kafka Streams' KStreamWindowAggregate). Each record updates the aggregate of every
// window [start, start + size) containing it, in a timestamped window store.
//
// Lateness: with close time = the task's stream time - grace, a window whose end <= close
// time is closed; the record is not added to it and one late record is counted (per closed
// window, as Kafka Streams counts). Other windows of a hopping record are still updated.
//
// Emitting:
//   on_window_update: each new aggregate, through the store's cache when it caches (one
//     result per window per commit), else at once; timestamp = newest record in the window.
//   on_window_close: after each record, and whenever stream time moves on (a repartition
//     input's watermark), when the close time has passed the end of a window not yet
//     emitted, every window with end <= close time is forwarded once, in window start
//     order, and removed from the store. Removing is what keeps "exactly once
//     per window" across restarts (a restored store no longer holds emitted windows) and
//     costs nothing later: late records for those windows are dropped anyway.
//
// Lifecycle: one instance per task; init() finds the store (opened by the task) and, when
// emitting updates, registers the cache flush listener (removed in close()).
// Threading: the task's thread. Ownership: borrows the store from the task.
template <class K, class V, class Fn>
class time_window_aggregate_processor final
    : public processor<K, V, windowed<K>, typename Fn::result_type> {
public:
    using VR = typename Fn::result_type;
    using context_type = typename processor<K, V, windowed<K>, VR>::context_type;

    time_window_aggregate_processor(std::string name, std::string store_name, time_windows windows,
                                    emit_strategy emit, Fn fn)
        : _store_name(std::move(store_name)), _windows(windows), _emit(emit), _fn(std::move(fn)),
          _warning(std::move(name)) {}

    void init(context_type& context) override {
        _store = &get_store<timestamped_window_store<K, VR>>(context, _store_name);
        if (_emit.emits_on_close()) {
            // Stream time also moves without a record of this task's (a repartition
            // input's watermark): windows it closes go out then too.
            context.schedule(std::chrono::milliseconds(1), punctuation_type::stream_time,
                             [this](int64_t stream_time) {
                                 emit_closed_windows(
                                     saturating_sub(stream_time, _windows.grace_ms()), {});
                             });
        }
        if (!_emit.emits_on_close()) {
            _forward_on_flush = _store->set_flush_listener(
                [this](const windowed<K>& key, std::optional<value_and_timestamp<VR>> v,
                       int64_t /*ts*/) {
                    if (v) {
                        this->context().forward(
                            record<windowed<K>, VR>{key, std::move(v->value), v->timestamp, {}});
                    }
                });
        }
    }

    void process(record<K, V>&& r) override {
        if (is_null_value(r.key) || is_null_value(r.value)) {
            _warning.skipped(this->context(), "key or value");
            return;
        }
        window_timestamp_check(r.timestamp);
        const int64_t close_time =
            saturating_sub(this->context().stream_time(), _windows.grace_ms());
        // Emit what this record's stream time closes before its own writes: a put that moves
        // the store's stream time far ahead may expire the segments of those very windows.
        if (_emit.emits_on_close()) {
            emit_closed_windows(close_time, r.headers);
        }
        _windows.for_each_window(r.timestamp, [&](int64_t start) {
            const int64_t end = saturating_add(start, _windows.size_ms());
            if (end <= close_time) {
                count_late_record(detail::runtime_task(this->context()));
                return;
            }
            std::optional<value_and_timestamp<VR>> old = _store->fetch(r.key, start);
            int64_t timestamp = r.timestamp;
            std::optional<VR> old_value;
            if (old) {
                timestamp = std::max(timestamp, old->timestamp);
                old_value = std::move(old->value);
            }
            value_and_timestamp<VR> updated{_fn.apply(r.key, r.value, std::move(old_value)),
                                            timestamp};
            _store->put(r.key, updated, start);
            if (!_emit.emits_on_close() && !_forward_on_flush) {
                this->context().forward(record<windowed<K>, VR>{windowed<K>{r.key, start, end},
                                                                std::move(updated.value), timestamp,
                                                                r.headers});
            }
        });
    }

    void close() override {
        if (_store != nullptr && _forward_on_flush) {
            _store->set_flush_listener({});
        }
    }

private:
    // Forwards and removes every window with end <= close_time not emitted yet. Windows
    // created since the last call start after `_emitted_through` (they were open when
    // created, and close time only grows), so each call scans only new window starts; the
    // first call after a (re)start scans from 0.
    void emit_closed_windows(int64_t close_time, const headers& hdrs) {
        // The last start with end <= close time.
        const int64_t upper = saturating_sub(close_time, _windows.size_ms());
        const int64_t lower = _emitted_through ? saturating_add(*_emitted_through, 1) : 0;
        if (upper < lower) {
            return;
        }
        _emitted_through = upper;
        // No window starts in [lower, upper] when no multiple of the advance lies there.
        const int64_t advance = _windows.advance_ms();
        if (saturating_add(lower, advance - 1) / advance * advance > upper) {
            return;
        }
        std::vector<std::pair<windowed<K>, value_and_timestamp<VR>>> closed;
        _store->fetch_all(lower, upper,
                          [&](const windowed<K>& key, const value_and_timestamp<VR>& v) {
                              closed.emplace_back(key, v);
                              return true;
                          });
        std::stable_sort(closed.begin(), closed.end(), [](const auto& a, const auto& b) {
            return a.first.start < b.first.start;
        });
        for (auto& [key, v] : closed) {
            this->context().forward(
                record<windowed<K>, VR>{key, std::move(v.value), v.timestamp, hdrs});
            _store->remove(key.key, key.start);
        }
    }

    std::string _store_name;
    time_windows _windows;
    emit_strategy _emit;
    Fn _fn;
    null_record_warning _warning;
    timestamped_window_store<K, VR>* _store = nullptr;
    bool _forward_on_flush = false;
    std::optional<int64_t> _emitted_through; // largest window start emitted or skipped
};

} // namespace brook
