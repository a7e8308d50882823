#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "engine/processor/processor.h"
#include "operators/aggregation_support.h"
#include "operators/table_map.h"
#include "operators/value_transformer.h"

namespace brook {

// table.transform_values() (Kafka Streams' KTableTransformValues): each update of the
// parent table gives the key's new row here, the transformer's result for the parent's
// row, or nullopt when the parent has no row for the key (the transformer is not called
// for a deleted row) or the transformer returns none. The result node after it
// (table_result_processor) keeps the new table and forwards only real changes.
//
// TV is the parent's forwarded value, VT its row. Records with a null key are dropped
// (warned about once).
//
// Lifecycle: one instance per task; owns the transformer it makes in init(), which it
// closes in close(). Threading: the task's thread.
template <class K, class TV, class VT, class VR>
class table_transform_values_processor final : public processor<K, TV, K, std::optional<VR>> {
public:
    using context_type = typename processor<K, TV, K, std::optional<VR>>::context_type;
    using transformer = value_transformer_with_key<K, VT, VR>;

    table_transform_values_processor(std::string name,
                                     std::function<std::unique_ptr<transformer>()> supplier)
        : _supplier(std::move(supplier)), _warning(std::move(name)) {}

    void init(context_type& context) override {
        _transformer = _supplier();
        if (!_transformer) {
            throw topology_error("transform_values: the supplier returned no transformer");
        }
        _transformer->init(context.task());
    }

    void process(record<K, TV>&& r) override {
        detail::forward_derived_row<K, TV, VR>(
            this->context(), _warning, std::move(r),
            [this](const K& key, const VT& row) { return _transformer->transform(key, row); });
    }

    void close() override {
        if (_transformer) {
            _transformer->close();
        }
    }

private:
    std::function<std::unique_ptr<transformer>()> _supplier;
    std::unique_ptr<transformer> _transformer;
    null_record_warning _warning;
};

} // namespace brook
