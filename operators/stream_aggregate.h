#pragma once

#include <algorithm>
#include <optional>
#include <string>
#include <utility>

#include "engine/processor/processor.h"
#include "engine/store/get_store.h"
#include "engine/store/key_value_store.h"
#include "operators/aggregation_support.h"

namespace brook {

// grouped_stream.count() / reduce() / aggregate(): keeps one aggregate per key in a
// timestamped key-value store and forwards each new aggregate with the largest timestamp
// of the records it includes (Kafka Streams' KStreamAggregate and KStreamReduce).
//
// Forwarding: when the store caches (caching on and statestore.cache.max.bytes > 0), the
// cache forwards the latest aggregate of each key when it is flushed (at commit) or
// evicted, so a key updated many times between commits is forwarded once; otherwise every
// update is forwarded at once. Records with a null key or value are skipped (see
// aggregation_support.h).
//
// Lifecycle: one instance per task; init() finds the store (opened by the task before) and
// registers the cache flush listener, which close() removes again.
// Threading: the task's thread. Ownership: borrows the store from the task.
template <class K, class V, class Fn>
class stream_aggregate_processor final : public processor<K, V, K, typename Fn::result_type> {
public:
    using VR = typename Fn::result_type;
    using context_type = typename processor<K, V, K, VR>::context_type;

    stream_aggregate_processor(std::string name, std::string store_name, Fn fn)
        : _store_name(std::move(store_name)), _fn(std::move(fn)), _warning(std::move(name)) {}

    void init(context_type& context) override {
        _store = &get_store<timestamped_key_value_store<K, VR>>(context, _store_name);
        _forward_on_flush = _store->set_flush_listener([this](
                                                           const K& key,
                                                           std::optional<value_and_timestamp<VR>> v,
                                                           int64_t /*ts*/) {
            if (v) {
                this->context().forward(record<K, VR>{key, std::move(v->value), v->timestamp, {}});
            }
        });
    }

    void process(record<K, V>&& r) override {
        if (is_null_value(r.key) || is_null_value(r.value)) {
            _warning.skipped(this->context(), "key or value");
            return;
        }
        std::optional<value_and_timestamp<VR>> old = _store->get(r.key);
        int64_t timestamp = r.timestamp;
        std::optional<VR> old_value;
        if (old) {
            timestamp = std::max(timestamp, old->timestamp);
            old_value = std::move(old->value);
        }
        value_and_timestamp<VR> updated{_fn.apply(r.key, r.value, std::move(old_value)), timestamp};
        _store->put(r.key, updated);
        if (!_forward_on_flush) {
            this->context().forward(record<K, VR>{std::move(r.key), std::move(updated.value),
                                                  timestamp, std::move(r.headers)});
        }
    }

    void close() override {
        if (_store != nullptr && _forward_on_flush) {
            _store->set_flush_listener({});
        }
    }

private:
    std::string _store_name;
    Fn _fn;
    null_record_warning _warning;
    timestamped_key_value_store<K, VR>* _store = nullptr;
    bool _forward_on_flush = false;
};

} // namespace brook
