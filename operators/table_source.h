#pragma once

#include <optional>
#include <string>
#include <utility>

#include "engine/processor/processor.h"
#include "engine/store/get_store.h"
#include "engine/store/key_value_store.h"
#include "engine/store/versioned_key_value_store.h"
#include "operators/aggregation_support.h"

namespace brook {

// stream_builder.table(): materializes a topic as a table (Kafka Streams' KTableSource).
// Each record is the key's latest value; a null value deletes the key. Updates go to a
// timestamped key-value store and are forwarded downstream as record<K, optional<V>>
// (nullopt: the key was deleted): through the cache when it is on (one update per key per
// commit), else each at once. Records with a null key are skipped, as Kafka Streams skips
// them, whatever K's serde would read a null as: the source reads keys through
// optional_serde, so a null key is nullopt here even when K is a plain std::string (whose
// serde reads null as ""), and never becomes the row of "".
//
// A versioned table (materialized<...>::versioned(), KIP-914) keeps every record as a
// version at its timestamp, and forwards only updates that are the key's newest version:
// an out-of-order record enters the history (a later lookup as of its time finds it) but
// changes nothing downstream, and a record older than the history retention is dropped.
// Kafka Streams differs here: it forwards out-of-order updates marked "not latest", which
// to_stream(), filter and map_values pass on and aggregations and joins ignore. Brook
// forwards none, so a to_stream() of a versioned table shows only its newest versions.
//
// Lifecycle: one instance per task; init() finds the store and registers the cache flush
// listener, close() removes it. Threading: the task's thread. Ownership: borrows the store.
//
// KI and VI are what the processor receives: the source's optional key and value, or a
// stream's K and V (stream.to_table(), where V may itself be std::optional<V>).
template <class K, class V, class KI = std::optional<K>, class VI = std::optional<V>>
class table_source_processor final : public processor<KI, VI, K, std::optional<V>> {
public:
    using context_type = typename processor<K, std::optional<V>>::context_type;

    table_source_processor(std::string name, std::string store_name)
        : _store_name(std::move(store_name)), _warning(std::move(name)) {}

    void init(context_type& context) override {
        _store = &get_store<timestamped_key_value_store<K, V>>(context, _store_name);
        _versioned = dynamic_cast<versioned_key_value_store<K, V>*>(_store);
        _forward_on_flush = _store->set_flush_listener(
            [this](const K& key, std::optional<value_and_timestamp<V>> v, int64_t timestamp) {
                std::optional<V> value;
                if (v) {
                    value = std::move(v->value);
                    timestamp = v->timestamp;
                }
                this->context().forward(
                    record<K, std::optional<V>>{key, std::move(value), timestamp, {}});
            });
    }

    void process(record<KI, VI>&& in) override {
        std::optional<K> key(std::move(in.key));
        if (!key || is_null_value(*key)) {
            _warning.skipped(this->context(), "key");
            return;
        }
        record<K, std::optional<V>> r{std::move(*key), std::optional<V>(std::move(in.value)),
                                      in.timestamp, std::move(in.headers)};
        if (_versioned != nullptr) {
            const int64_t valid_to = _versioned->put(r.key, r.value, r.timestamp);
            if (valid_to == versioned_key_value_store<K, V>::put_is_latest) {
                this->context().forward(std::move(r));
            }
            return;
        }
        if (r.value) {
            _store->put(r.key, value_and_timestamp<V>{*r.value, r.timestamp});
        } else {
            _store->remove(r.key);
        }
        if (!_forward_on_flush) {
            this->context().forward(std::move(r));
        }
    }

    void close() override {
        if (_store != nullptr && _forward_on_flush) {
            _store->set_flush_listener({});
        }
    }

private:
    std::string _store_name;
    null_record_warning _warning;
    timestamped_key_value_store<K, V>* _store = nullptr;
    versioned_key_value_store<K, V>* _versioned = nullptr; // _store, when it is versioned
    bool _forward_on_flush = false;
};

} // namespace brook
