#pragma once

#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "engine/processor/processor.h"
#include "operators/aggregation_support.h"
#include "operators/callables.h"

namespace brook {

namespace detail {
// What the derived-table nodes (map, filter, transform_values) do with one update of their
// parent: forward the key's new row, derive(key, row) for the parent's row, or nullopt when
// the parent has none; a null key is dropped (counted, and warned about once).
template <class K, class TV, class VR, class Context, class Derive>
void forward_derived_row(Context& context, null_record_warning& warning, record<K, TV>&& r,
                         Derive&& derive) {
    if (is_null_value(r.key)) {
        warning.skipped(context, "key");
        return;
    }
    std::optional<VR> out;
    if (const auto* row = row_of(r.value)) {
        out = derive(r.key, *row);
    }
    context.forward(record<K, std::optional<VR>>{std::move(r.key), std::move(out), r.timestamp,
                                                 std::move(r.headers)});
}
} // namespace detail

// A table's filter, filter_not and map_values (Kafka Streams' KTableFilter and
// KTableMapValues): each update of the parent table gives the key's new row here, the
// parent's row transformed by `step`, or nullopt when the parent has no row for the key
// or (filters) the row does not pass. The result node after it (table_result_processor)
// keeps the new table and forwards only real changes.
//
// TV is the parent's forwarded value (V, or std::optional<V> for tables that can delete),
// VT the parent's row; Step is callable as std::optional<VR>(const K&, const VT&). Records
// with a null key are dropped (counted, and warned about once).
//
// Lifecycle: one instance per task, stateless. Threading: the task's thread.
template <class K, class TV, class VT, class VR, class Step>
class table_map_processor final : public processor<K, TV, K, std::optional<VR>> {
public:
    table_map_processor(std::string name, Step step)
        : _step(std::move(step)), _warning(std::move(name)) {}

    void process(record<K, TV>&& r) override {
        detail::forward_derived_row<K, TV, VR>(this->context(), _warning, std::move(r), _step);
    }

private:
    Step _step;
    null_record_warning _warning;
};

} // namespace brook
