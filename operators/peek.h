#pragma once

#include "engine/processor/processor.h"

namespace brook {

// Calls an action for each record and forwards it unchanged (peek), or only calls it
// (foreach, a terminal node with no children).
template <class K, class V, class F>
class peek_processor final : public processor<K, V> {
public:
    peek_processor(F action, bool forward) : _action(std::move(action)), _forward(forward) {}
    void process(record<K, V>&& r) override {
        _action(r.key, r.value);
        if (_forward) {
            this->context().forward(std::move(r));
        }
    }

private:
    F _action;
    bool _forward;
};

} // namespace brook
