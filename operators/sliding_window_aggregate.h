#pragma once

#include <algorithm>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "engine/processor/processor.h"
#include "engine/store/get_store.h"
#include "engine/store/window_store.h"
#include "operators/aggregation_support.h"
#include "operators/emit_strategy.h"
#include "operators/windows.h"

namespace brook {

// time_windowed_stream.count() / reduce() / aggregate() over sliding windows, with the
// semantics of Kafka Streams' KStreamSlidingWindowAggregate: windows are [start, start +
// diff], both ends inclusive, stored by start in a timestamped window store whose
// timestamp is the newest record in the window. A record at t creates or updates
//   - its left window [t - diff, t] (holding every record of the key in that range),
//   - the right window [t + 1, t + 1 + diff] of itself, if a later record already exists
//     within diff, and of the previous record, if t falls into it,
//   - every existing window that contains t.
// Records earlier than diff (t < diff) share the window [0, diff], as in Kafka Streams,
// since no window may start before 0.
//
// Lateness: close time = stream time - grace. A record is dropped (and counted) when even
// its own right window would be closed (t + diff < close time); a window ending before
// close time is not updated (counted per window, as Kafka Streams counts).
//
// Emitting: on_window_update forwards every changed window (through the cache when it
// caches); on_window_close forwards each window once, when close time has passed its end.
// Unlike tumbling windows, an emitted sliding window must stay in the store: a later record
// within grace may still need its aggregate to build its own windows. So it is kept,
// marked as emitted by storing its timestamp as -(timestamp + 1), which a restart's first
// scan skips; retention removes it later. Readers of the store in this mode must decode
// negative timestamps that way.
//
// Lifecycle: one instance per task; init() finds the store and, when emitting updates,
// registers the cache flush listener (removed in close()).
// Threading: the task's thread. Ownership: borrows the store from the task.
template <class K, class V, class Fn>
class sliding_window_aggregate_processor final
    : public processor<K, V, windowed<K>, typename Fn::result_type> {
public:
    using VR = typename Fn::result_type;
    using vat = value_and_timestamp<VR>;
    using context_type = typename processor<K, V, windowed<K>, VR>::context_type;

    sliding_window_aggregate_processor(std::string name, std::string store_name,
                                       sliding_windows windows, emit_strategy emit, Fn fn)
        : _store_name(std::move(store_name)), _diff(windows.time_difference_ms()),
          _grace(windows.grace_ms()), _emit(emit), _fn(std::move(fn)), _warning(std::move(name)) {}

    void init(context_type& context) override {
        _store = &get_store<timestamped_window_store<K, VR>>(context, _store_name);
        if (_emit.emits_on_close()) {
            // Stream time also moves without a record of this task's (a repartition
            // input's watermark): windows it closes go out then too.
            context.schedule(std::chrono::milliseconds(1), punctuation_type::stream_time,
                             [this](int64_t stream_time) {
                                 emit_closed_windows(saturating_sub(stream_time, _grace), {});
                             });
        }
        if (!_emit.emits_on_close()) {
            _forward_on_flush = _store->set_flush_listener(
                [this](const windowed<K>& key, std::optional<vat> v, int64_t /*ts*/) {
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
        const int64_t close_time = saturating_sub(this->context().stream_time(), _grace);
        if (saturating_add(r.timestamp, _diff) < close_time) {
            count_late_record(detail::runtime_task(this->context()));
            return;
        }
        if (r.timestamp < _diff) {
            process_early(r, close_time);
        } else {
            process_in_order(r, close_time);
        }
        if (_emit.emits_on_close()) {
            emit_closed_windows(close_time, r.headers);
        }
    }

    void close() override {
        if (_store != nullptr && _forward_on_flush) {
            _store->set_flush_listener({});
        }
    }

private:
    struct found_window {
        int64_t start;
        vat value; // timestamp decoded (never negative)
    };

    static bool emitted(const vat& v) { return v.timestamp < 0; }
    static int64_t real_timestamp(int64_t stored) { return stored < 0 ? -stored - 1 : stored; }

    // The windows of r.key with start in [from, to], oldest first.
    std::vector<found_window> windows_of(const K& key, int64_t from, int64_t to) {
        std::vector<found_window> out;
        _store->fetch(key, from, to, [&](int64_t start, const vat& v) {
            out.push_back({start, vat{v.value, real_timestamp(v.timestamp)}});
            return true;
        });
        return out;
    }

    static bool contains(const std::vector<found_window>& windows, int64_t start) {
        return std::any_of(windows.begin(), windows.end(),
                           [&](const found_window& w) { return w.start == start; });
    }

    [[noreturn]] void unexpected_window(int64_t start, int64_t timestamp) const {
        throw std::logic_error(fmt::format(
            "sliding window aggregate of store '{}': unexpected window starting at {} while "
            "processing a record at {}",
            _store_name, start, timestamp));
    }

    // The in-order path of Kafka Streams (a record at t >= diff).
    void process_in_order(const record<K, V>& r, int64_t close_time) {
        const int64_t t = r.timestamp;
        std::optional<vat> left_aggregate;
        std::optional<vat> right_aggregate;
        bool left_exists = false;
        bool right_exists = false;
        std::optional<int64_t> previous_timestamp;

        const std::vector<found_window> windows =
            windows_of(r.key, std::max<int64_t>(0, t - 2 * _diff), t + 1);
        for (const found_window& w : windows) {
            const int64_t end = saturating_add(w.start, _diff);
            if (end < t) {
                left_aggregate = w.value;
                previous_timestamp = w.value.timestamp;
            } else if (end == t) {
                left_exists = true;
                if (w.value.timestamp < t) {
                    previous_timestamp = w.value.timestamp;
                }
                update_window(w.start, w.value, r, close_time);
            } else if (w.start <= t) {
                right_aggregate = w.value;
                update_window(w.start, w.value, r, close_time);
            } else if (w.start == t + 1) {
                right_exists = true;
            } else {
                unexpected_window(w.start, t);
            }
        }

        if (previous_timestamp) {
            const int64_t previous_right_start = *previous_timestamp + 1;
            if (!contains(windows, previous_right_start) &&
                saturating_add(previous_right_start, _diff) >= t) {
                update_window(previous_right_start, std::nullopt, r, close_time);
            }
        }
        if (!left_exists) {
            std::optional<vat> left;
            if (previous_timestamp && t - _diff <= *previous_timestamp) {
                left = vat{left_aggregate->value, t};
            }
            update_window(t - _diff, std::move(left), r, close_time);
        }
        if (!right_exists && right_aggregate && right_aggregate->timestamp > t) {
            create_right_window(r, *right_aggregate);
        }
    }

    // Records before diff: they all share the window [0, diff] (see the class comment).
    void process_early(const record<K, V>& r, int64_t close_time) {
        const int64_t t = r.timestamp;
        std::optional<found_window> combined;
        std::optional<vat> right_aggregate;
        bool right_exists = false;
        std::optional<int64_t> previous_timestamp;

        const std::vector<found_window> windows = windows_of(r.key, 0, t + 1);
        for (const found_window& w : windows) {
            if (w.start == 0) {
                combined = w;
                if (w.value.timestamp < t) {
                    previous_timestamp = w.value.timestamp;
                }
            } else if (w.start <= t) {
                right_aggregate = w.value;
                update_window(w.start, w.value, r, close_time);
            } else if (w.start == t + 1) {
                right_exists = true;
            } else {
                unexpected_window(w.start, t);
            }
        }
        // Without a right window found, the combined window holds only records after t if
        // it holds any (see Kafka Streams' processEarly), so it is the right window's content.
        if (!right_aggregate && combined && combined->value.timestamp > t) {
            right_aggregate = combined->value;
        }
        if (!right_exists && right_aggregate && right_aggregate->timestamp > t) {
            create_right_window(r, *right_aggregate);
        }
        if (previous_timestamp && !contains(windows, *previous_timestamp + 1)) {
            update_window(*previous_timestamp + 1, std::nullopt, r, close_time);
        }
        update_window(0, combined ? std::optional<vat>(combined->value) : std::nullopt, r,
                      close_time);
    }

    // Adds r to the window starting at `start` (`existing` nullopt: a new, empty window),
    // unless the window has closed.
    void update_window(int64_t start, std::optional<vat> existing, const record<K, V>& r,
                       int64_t close_time) {
        const int64_t end = saturating_add(start, _diff);
        if (end < close_time) {
            count_late_record(detail::runtime_task(this->context()));
            return;
        }
        int64_t timestamp = r.timestamp;
        std::optional<VR> old_value;
        if (existing) {
            timestamp = std::max(timestamp, existing->timestamp);
            old_value = std::move(existing->value);
        }
        vat updated{_fn.apply(r.key, r.value, std::move(old_value)), timestamp};
        _store->put(r.key, updated, start);
        maybe_forward(windowed<K>{r.key, start, end}, std::move(updated), r.headers);
    }

    // The window [t + 1, t + 1 + diff] holding what `aggregate` holds (records after t).
    void create_right_window(const record<K, V>& r, const vat& aggregate) {
        const int64_t start = r.timestamp + 1;
        _store->put(r.key, aggregate, start);
        maybe_forward(windowed<K>{r.key, start, saturating_add(start, _diff)}, aggregate,
                      r.headers);
    }

    void maybe_forward(windowed<K> key, vat v, const headers& hdrs) {
        if (_emit.emits_on_close() || _forward_on_flush) {
            return;
        }
        this->context().forward(
            record<windowed<K>, VR>{std::move(key), std::move(v.value), v.timestamp, hdrs});
    }

    // Forwards every window with end < close_time not emitted yet, oldest start first, and
    // marks it emitted (see the class comment).
    void emit_closed_windows(int64_t close_time, const headers& hdrs) {
        // The last start with end < close time.
        const int64_t upper = saturating_sub(saturating_sub(close_time, _diff), 1);
        const int64_t lower = _emitted_through ? *_emitted_through + 1 : 0;
        if (upper < lower) {
            return;
        }
        _emitted_through = upper;
        std::vector<std::pair<windowed<K>, vat>> closed;
        _store->fetch_all(lower, upper, [&](const windowed<K>& key, const vat& v) {
            if (!emitted(v)) {
                closed.emplace_back(key, v);
            }
            return true;
        });
        std::stable_sort(closed.begin(), closed.end(), [](const auto& a, const auto& b) {
            return a.first.start < b.first.start;
        });
        for (auto& [key, v] : closed) {
            this->context().forward(record<windowed<K>, VR>{key, v.value, v.timestamp, hdrs});
            _store->put(key.key, vat{std::move(v.value), -v.timestamp - 1}, key.start);
        }
    }

    std::string _store_name;
    int64_t _diff;
    int64_t _grace;
    emit_strategy _emit;
    Fn _fn;
    null_record_warning _warning;
    timestamped_window_store<K, VR>* _store = nullptr;
    bool _forward_on_flush = false;
    std::optional<int64_t> _emitted_through; // largest window start emitted or skipped
};

} // namespace brook
