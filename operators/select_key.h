#pragma once

#include "engine/processor/processor.h"

namespace brook {

// Replaces the key with one computed from key and value; marks the stream for
// repartitioning before a grouping.
template <class K, class V, class K2, class F>
class select_key_processor final : public processor<K, V, K2, V> {
public:
    explicit select_key_processor(F selector) : _selector(std::move(selector)) {}
    void process(record<K, V>&& r) override {
        K2 key = _selector(r.key, r.value);
        this->context().forward(
            record<K2, V>{std::move(key), std::move(r.value), r.timestamp, std::move(r.headers)});
    }

private:
    F _selector;
};

} // namespace brook
