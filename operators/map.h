#pragma once

#include "engine/processor/processor.h"

namespace brook {

// Replaces key and value with the mapper's key_value; keeps timestamp and headers.
template <class K, class V, class K2, class V2, class F>
class map_processor final : public processor<K, V, K2, V2> {
public:
    explicit map_processor(F mapper) : _mapper(std::move(mapper)) {}
    void process(record<K, V>&& r) override {
        key_value<K2, V2> kv = _mapper(r.key, r.value);
        this->context().forward(record<K2, V2>{std::move(kv.key), std::move(kv.value), r.timestamp,
                                               std::move(r.headers)});
    }

private:
    F _mapper;
};

} // namespace brook
