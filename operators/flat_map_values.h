#pragma once

#include "engine/processor/processor.h"
#include "operators/callables.h"

namespace brook {

// Turns each value into zero or more values under the same key.
template <class K, class V, class V2, class F>
class flat_map_values_processor final : public processor<K, V, K, V2> {
public:
    explicit flat_map_values_processor(F mapper) : _mapper(std::move(mapper)) {}
    void process(record<K, V>&& r) override {
        for (auto&& v : invoke_value_mapper(_mapper, r.key, r.value)) {
            this->context().forward(record<K, V2>{r.key, V2(std::move(v)), r.timestamp, r.headers});
        }
    }

private:
    F _mapper;
};

} // namespace brook
