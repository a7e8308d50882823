#pragma once

#include <functional>
#include <string>

#include "engine/processor/processor.h"

namespace brook {

// Marks a record for a dead-letter topic: adds the headers `error` (from reason(key,
// value)), `source-topic`, `source-partition` and `source-offset`, and forwards it
// otherwise unchanged, and counts it in the task's dead_lettered counter (the apps'
// /metrics). Put it right before the sink of the dead-letter topic.
template <class K, class V, class F>
class dead_letter_processor final : public processor<K, V> {
public:
    explicit dead_letter_processor(F reason) : _reason(std::move(reason)) {}
    void process(record<K, V>&& r) override {
        r.headers.set("error", std::string(_reason(r.key, r.value)));
        if (const record_metadata* m = this->context().metadata()) {
            r.headers.set("source-topic", std::string(m->topic));
            r.headers.set("source-partition", std::to_string(m->partition));
            r.headers.set("source-offset", std::to_string(m->offset));
        }
        this->context().task().count_dead_letter();
        this->context().forward(std::move(r));
    }

private:
    F _reason;
};

} // namespace brook
