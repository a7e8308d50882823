#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/processor/processor.h"

namespace brook {

// split(): sends each record to the first branch whose predicate holds, or to the
// default branch if there is one, or drops it. Branch i is the child named names[i].
template <class K, class V>
class branch_processor final : public processor<K, V> {
public:
    using predicate = std::function<bool(const K&, const V&)>;
    struct branches {
        std::vector<predicate> predicates; // empty function: the default branch
        std::vector<std::string> names;
    };

    explicit branch_processor(std::shared_ptr<const branches> b) : _branches(std::move(b)) {}
    void process(record<K, V>&& r) override {
        for (size_t i = 0; i < _branches->predicates.size(); ++i) {
            const predicate& p = _branches->predicates[i];
            if (!p || p(r.key, r.value)) {
                this->context().forward(std::move(r), _branches->names[i]);
                return;
            }
        }
    }

private:
    std::shared_ptr<const branches> _branches;
};

// Forwards every record unchanged: branch outlets and merge points.
template <class K, class V>
class pass_through_processor final : public processor<K, V> {
public:
    void process(record<K, V>&& r) override { this->context().forward(std::move(r)); }
};

} // namespace brook
