#pragma once

#include "engine/processor/processor.h"

namespace brook {

// Forwards the records for which the predicate holds (or, negated, does not hold).
template <class K, class V, class F>
class filter_processor final : public processor<K, V> {
public:
    filter_processor(F predicate, bool negate)
        : _predicate(std::move(predicate)), _negate(negate) {}
    void process(record<K, V>&& r) override {
        if (static_cast<bool>(_predicate(r.key, r.value)) != _negate) {
            this->context().forward(std::move(r));
        }
    }

private:
    F _predicate;
    bool _negate;
};

} // namespace brook
