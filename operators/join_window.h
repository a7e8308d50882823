#pragma once

#include <string>
#include <utility>
#include <vector>

#include "engine/processor/processor.h"
#include "engine/store/get_store.h"
#include "engine/store/window_store.h"
#include "operators/aggregation_support.h"

namespace brook {

// The first node of each side of a stream-stream join (Kafka Streams' KStreamJoinWindow):
// forwards each record to its join node, then keeps it in its side's window store under
// (key, timestamp) for the other side to find. Records of one key with equal timestamps
// share an entry as a list. Null keys and null values are not kept (they cannot join).
//
// Lifecycle: one instance per task; init() finds the store. Threading: the task's thread.
// Ownership: borrows the store.
template <class K, class V>
class join_window_processor final : public processor<K, V, K, V> {
public:
    using context_type = typename processor<K, V, K, V>::context_type;

    explicit join_window_processor(std::string store_name) : _store_name(std::move(store_name)) {}

    void init(context_type& context) override {
        _store = &get_store<window_store<K, std::vector<V>>>(context, _store_name);
    }

    void process(record<K, V>&& r) override {
        if (is_null_value(r.key) || is_null_value(r.value) || r.timestamp < 0) {
            this->context().forward(std::move(r));
            return;
        }
        std::vector<V> values = _store->fetch(r.key, r.timestamp).value_or(std::vector<V>{});
        values.push_back(r.value);
        const K key = r.key;
        const int64_t timestamp = r.timestamp;
        this->context().forward(std::move(r));
        _store->put(key, values, timestamp);
    }

private:
    std::string _store_name;
    window_store<K, std::vector<V>>* _store = nullptr;
};

} // namespace brook
