#pragma once

#include <optional>
#include <string>
#include <utility>

#include "engine/processor/processor.h"
#include "engine/store/get_store.h"
#include "engine/store/key_value_store.h"
#include "operators/aggregation_support.h"

namespace brook {

// stream.join(table) and stream.left_join(table) (Kafka Streams' KStreamKTableJoin): each
// stream record looks its key up in the table's store as the table stands when the record
// is processed, and forwards joiner(key, value, table value) under the record's key and
// timestamp. Table updates produce nothing. An inner join drops records whose key is
// missing from the table; a left join forwards them with nullopt as the table value.
//
// Nulls (Kafka Streams 3.7+, KIP-962): a record with a null value is dropped; a record
// with a null key is dropped by an inner join and, by a left join, forwarded with nullopt
// (a null key cannot be looked up). Dropped records are counted as skipped and warned
// about once per processor.
//
// Joiner: callable as VR(const K&, const V&, const std::optional<VT>&); the DSL adapts
// the user's shapes to it. Lifecycle: one instance per task; init() finds the table's
// store (a timestamped key-value store, connected to this node). Threading: the task's
// thread. Ownership: borrows the store.
template <class K, class V, class VT, class VR, class Joiner>
class stream_table_join_processor final : public processor<K, V, K, VR> {
public:
    using context_type = typename processor<K, V, K, VR>::context_type;

    stream_table_join_processor(std::string name, std::string store_name, Joiner joiner, bool left)
        : _store_name(std::move(store_name)), _joiner(std::move(joiner)), _left(left),
          _warning(std::move(name)) {}

    void init(context_type& context) override {
        _store = &get_store<timestamped_key_value_store<K, VT>>(context, _store_name);
    }

    void process(record<K, V>&& r) override {
        if (is_null_value(r.value)) {
            _warning.skipped(this->context().metadata(), "value");
            return;
        }
        std::optional<VT> found;
        if (is_null_value(r.key)) {
            if (!_left) {
                _warning.skipped(this->context().metadata(), "key");
                return;
            }
        } else if (auto v = _store->get(r.key)) {
            found = std::move(v->value);
        }
        if (!found && !_left) {
            return;
        }
        VR out = _joiner(r.key, r.value, found);
        this->context().forward(
            record<K, VR>{std::move(r.key), std::move(out), r.timestamp, std::move(r.headers)});
    }

private:
    std::string _store_name;
    Joiner _joiner;
    bool _left;
    null_record_warning _warning;
    timestamped_key_value_store<K, VT>* _store = nullptr;
};

} // namespace brook
