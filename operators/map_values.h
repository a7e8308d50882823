#pragma once

#include "engine/processor/processor.h"
#include "operators/callables.h"

namespace brook {

// Replaces the value; the key (and so the partitioning) stays as it is.
template <class K, class V, class V2, class F>
class map_values_processor final : public processor<K, V, K, V2> {
public:
    explicit map_values_processor(F mapper) : _mapper(std::move(mapper)) {}
    void process(record<K, V>&& r) override {
        V2 value = invoke_value_mapper(_mapper, r.key, r.value);
        this->context().forward(
            record<K, V2>{std::move(r.key), std::move(value), r.timestamp, std::move(r.headers)});
    }

private:
    F _mapper;
};

} // namespace brook
