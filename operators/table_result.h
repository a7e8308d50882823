#pragma once

#include <optional>
#include <string>
#include <utility>

#include "engine/processor/processor.h"
#include "engine/store/get_store.h"
#include "engine/store/key_value_store.h"

namespace brook {

// The result table of a table operation (a table-table join, a table's filter or
// map_values), always materialized here: keeps each key's row in a timestamped key-value
// store and forwards a change only when there is one: a new row, or nullopt for a key
// whose row went away. A "no row" for a key that had none is not forwarded, so a filter
// or a join never sends a tombstone for a row that never existed (Kafka Streams does,
// unless old values are on).
//
// Lifecycle: one instance per task; init() finds the store. Threading: the task's thread.
// Ownership: borrows the store.
template <class K, class VR>
class table_result_processor final : public processor<K, std::optional<VR>, K, std::optional<VR>> {
public:
    using context_type =
        typename processor<K, std::optional<VR>, K, std::optional<VR>>::context_type;

    explicit table_result_processor(std::string store) : _store_name(std::move(store)) {}

    void init(context_type& context) override {
        _store = &get_store<timestamped_key_value_store<K, VR>>(context, _store_name);
    }

    void process(record<K, std::optional<VR>>&& r) override {
        if (r.value) {
            _store->put(r.key, value_and_timestamp<VR>{*r.value, r.timestamp});
        } else if (!_store->remove(r.key)) {
            return;
        }
        this->context().forward(std::move(r));
    }

private:
    std::string _store_name;
    timestamped_key_value_store<K, VR>* _store = nullptr;
};

} // namespace brook
