#pragma once

#include <algorithm>
#include <optional>
#include <string>
#include <utility>

#include "engine/processor/processor.h"
#include "engine/store/get_store.h"
#include "engine/store/key_value_store.h"
#include "operators/aggregation_support.h"
#include "operators/join_values.h"
#include "operators/joined.h"
#include "operators/table_result.h"

namespace brook {

// One side of a table-table join (Kafka Streams' KTableKTable{Inner,Left,Outer}Join and
// their right-side processors). Each update of this side's table recomputes the join's
// row for the key from the update and the other table's current row:
//   inner: both present; left: the left present; outer: either present.
// It forwards the new row (nullopt: the key has no row now) at the later of the two
// rows' timestamps to the result node (table_result_processor), which keeps the
// result table and forwards only real changes.
//
// TV is this table's forwarded value (V, or std::optional<V> for tables that can delete);
// VT and VO are the rows as the stores hold them. The joiner is called as
// joiner(key, const VLeft*, const VRight*), nullptr for a missing row. Records with a
// null key are dropped (warned about once).
//
// Lifecycle: one instance per task; init() finds the other table's store. Threading: the
// task's thread. Ownership: borrows the store.
template <join_side Side, join_kind Kind, class K, class TV, class VT, class VO, class VR,
          class Joiner>
class table_table_join_processor final : public processor<K, TV, K, std::optional<VR>> {
public:
    using context_type = typename processor<K, TV, K, std::optional<VR>>::context_type;

    table_table_join_processor(std::string name, std::string other_store, Joiner joiner)
        : _other_store(std::move(other_store)), _joiner(std::move(joiner)),
          _warning(std::move(name)) {}

    void init(context_type& context) override {
        _other = &get_store<timestamped_key_value_store<K, VO>>(context, _other_store);
    }

    void process(record<K, TV>&& r) override {
        if (is_null_value(r.key)) {
            _warning.skipped(this->context(), "key");
            return;
        }
        const VT* mine = row_of(r.value);
        const std::optional<value_and_timestamp<VO>> other = _other->get(r.key);
        const VO* theirs = other ? &other->value : nullptr;
        const bool left_present = Side == join_side::left ? mine != nullptr : theirs != nullptr;
        const bool right_present = Side == join_side::left ? theirs != nullptr : mine != nullptr;
        bool row_exists = false;
        switch (Kind) {
        case join_kind::inner:
            row_exists = left_present && right_present;
            break;
        case join_kind::left:
            row_exists = left_present;
            break;
        case join_kind::outer:
            row_exists = left_present || right_present;
            break;
        }
        std::optional<VR> out;
        if (row_exists) {
            if constexpr (Side == join_side::left) {
                out = _joiner(r.key, mine, theirs);
            } else {
                out = _joiner(r.key, theirs, mine);
            }
        }
        const int64_t timestamp = other ? std::max(r.timestamp, other->timestamp) : r.timestamp;
        this->context().forward(
            record<K, std::optional<VR>>{std::move(r.key), std::move(out), timestamp, {}});
    }

private:
    std::string _other_store;
    Joiner _joiner;
    null_record_warning _warning;
    timestamped_key_value_store<K, VO>* _other = nullptr;
};

} // namespace brook
