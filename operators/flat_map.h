#pragma once

#include "engine/processor/processor.h"

namespace brook {

// Turns each record into zero or more key_values, each forwarded with the input's
// timestamp and headers.
template <class K, class V, class K2, class V2, class F>
class flat_map_processor final : public processor<K, V, K2, V2> {
public:
    explicit flat_map_processor(F mapper) : _mapper(std::move(mapper)) {}
    void process(record<K, V>&& r) override {
        for (auto&& kv : _mapper(r.key, r.value)) {
            this->context().forward(
                record<K2, V2>{std::move(kv.key), std::move(kv.value), r.timestamp, r.headers});
        }
    }

private:
    F _mapper;
};

} // namespace brook
