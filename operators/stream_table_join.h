#pragma once

#include <optional>
#include <string>
#include <utility>

#include "engine/processor/processor.h"
#include "engine/store/get_store.h"
#include "engine/store/key_value_store.h"
#include "engine/store/versioned_key_value_store.h"
#include "operators/aggregation_support.h"
#include "operators/stream_join_buffer.h"

namespace brook {

// A stream's lookup join with a table: stream.join(table) / left_join (Kafka Streams'
// KStreamKTableJoin), where the lookup key is the record's key, and stream.join(
// global_table, key_selector, ...) / left_join (KStreamGlobalKTableJoin), where it is
// key_selector(key, value). Each record looks the key up in the table's store as the table
// stands when the record is processed, and forwards joiner(key, value, row) under the
// record's own key and timestamp. Table updates produce nothing. An inner join drops a
// record whose lookup key is missing from the table; a left join forwards it with nullopt.
//
// A versioned table (KIP-914) is looked up as of the record's timestamp: the join sees the
// value the key had when the record happened, however late the record is processed
// (within the table's history retention). With a grace period (joined::grace_period,
// KIP-923; versioned tables only) records wait in a stream_join_buffer until stream time
// passes their timestamp plus the grace, and join in timestamp order; a record later than
// that joins at once. A buffered record keeps its key, value, timestamp and headers; while
// it joins, metadata() still names the record that released it (Kafka Streams restores
// the buffered record's topic, partition and offset).
//
// Nulls (Kafka Streams 3.7+, KIP-962): a record with a null value is dropped; a record
// whose lookup key is null cannot be looked up: an inner join drops it, a left join
// forwards it with nullopt. Dropped records are warned about once per processor.
//
// Selector: callable as (const K&, const V&) -> KL or const KL&. Joiner: callable as
// VR(const K&, const V&, const std::optional<VT>&); the DSL adapts the user's shapes to
// it. Lifecycle: one instance per task; init() finds the table's store (a timestamped
// key-value store, connected to this node, or a global store) and the buffer's. Threading: the
// task's thread; a global store serializes access with its updater thread. Ownership: borrows the
// store.
template <class K, class V, class KL, class VT, class VR, class Selector, class Joiner,
          class KS = default_serde<K>, class VS = default_serde<V>>
class stream_table_join_processor final : public processor<K, V, K, VR> {
public:
    using context_type = typename processor<K, V, K, VR>::context_type;
    using buffer_type = stream_join_buffer<K, V, KS, VS>;

    stream_table_join_processor(std::string name, std::string store_name, Selector selector,
                                Joiner joiner, bool left,
                                std::optional<buffer_type> buffer = std::nullopt)
        : _store_name(std::move(store_name)), _selector(std::move(selector)),
          _joiner(std::move(joiner)), _left(left), _warning(std::move(name)),
          _buffer(std::move(buffer)) {}

    void init(context_type& context) override {
        _store = &get_store<timestamped_key_value_store<KL, VT>>(context, _store_name);
        _versioned = dynamic_cast<versioned_key_value_store<KL, VT>*>(_store);
        if (_buffer) {
            _buffer->init(context);
        }
    }

    void process(record<K, V>&& r) override {
        if (is_null_value(r.value)) {
            _warning.skipped(this->context(), "value");
            return;
        }
        if (!_buffer) {
            const KL& lookup = _selector(r.key, r.value);
            if (!_left && is_null_value(lookup)) {
                _warning.skipped(this->context(), "key");
                return;
            }
            join(std::move(r), lookup);
            return;
        }
        if (!_left && is_null_value(_selector(r.key, r.value))) {
            _warning.skipped(this->context(), "key");
            return;
        }
        _buffer->observe(r.timestamp);
        if (!_buffer->put(r)) {
            join(std::move(r));
            return;
        }
        _buffer->evict([this](record<K, V>&& due) { join(std::move(due)); });
    }

private:
    void join(record<K, V>&& r) {
        const KL& lookup = _selector(r.key, r.value);
        join(std::move(r), lookup);
    }
    // `lookup` may refer into `r`, which is moved from only after the lookup.
    void join(record<K, V>&& r, const KL& lookup) {
        std::optional<VT> found;
        if (!is_null_value(lookup)) {
            if (_versioned != nullptr) {
                if (auto v = _versioned->get(lookup, r.timestamp)) {
                    found = std::move(v->value);
                }
            } else if (auto v = _store->get(lookup)) {
                found = std::move(v->value);
            }
        }
        if (!found && !_left) {
            return;
        }
        VR out = _joiner(r.key, r.value, found);
        this->context().forward(
            record<K, VR>{std::move(r.key), std::move(out), r.timestamp, std::move(r.headers)});
    }

    std::string _store_name;
    Selector _selector;
    Joiner _joiner;
    bool _left;
    null_record_warning _warning;
    std::optional<buffer_type> _buffer;
    timestamped_key_value_store<KL, VT>* _store = nullptr;
    versioned_key_value_store<KL, VT>* _versioned = nullptr; // _store, when versioned
};

} // namespace brook
