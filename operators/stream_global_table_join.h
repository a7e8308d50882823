#pragma once

#include <optional>
#include <string>
#include <utility>

#include "engine/processor/processor.h"
#include "engine/store/get_store.h"
#include "engine/store/key_value_store.h"
#include "operators/aggregation_support.h"

namespace brook {

// stream.join(global_table, key_selector, joiner) and left_join (Kafka Streams'
// KStreamGlobalKTableJoin): each record looks up key_selector(key, value) in this
// instance's full copy of the global table and forwards joiner's value under the
// record's own key and timestamp. An inner join drops a record whose looked-up key is
// missing (or null); a left join forwards it with nullopt. Records with a null value are
// dropped (warned about once); a null record key is fine, only the looked-up key matters.
//
// Lifecycle: one instance per task; init() finds the global store by name. Threading: the
// task's thread; the global store serializes access with the updater thread. Ownership:
// borrows the store.
template <class K, class V, class KG, class VG, class VR, class Selector, class Joiner>
class stream_global_table_join_processor final : public processor<K, V, K, VR> {
public:
    using context_type = typename processor<K, V, K, VR>::context_type;

    stream_global_table_join_processor(std::string name, std::string store, Selector selector,
                                       Joiner joiner, bool left)
        : _store_name(std::move(store)), _selector(std::move(selector)), _joiner(std::move(joiner)),
          _left(left), _warning(std::move(name)) {}

    void init(context_type& context) override {
        _store = &get_store<timestamped_key_value_store<KG, VG>>(context, _store_name);
    }

    void process(record<K, V>&& r) override {
        if (is_null_value(r.value)) {
            _warning.skipped(this->context().metadata(), "value");
            return;
        }
        std::optional<VG> found;
        const KG lookup = _selector(r.key, r.value);
        if (!is_null_value(lookup)) {
            if (auto v = _store->get(lookup)) {
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

private:
    std::string _store_name;
    Selector _selector;
    Joiner _joiner;
    bool _left;
    null_record_warning _warning;
    timestamped_key_value_store<KG, VG>* _store = nullptr;
};

} // namespace brook
