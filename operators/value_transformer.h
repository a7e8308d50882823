#pragma once

// value_transformer_with_key<K, V, VR>: what table.transform_values() runs on each row, as
// Kafka Streams' ValueTransformerWithKey: a stateful map of a table's rows that may read
// and write the stores it names, and schedule punctuations.
//
//   class ranked final : public value_transformer_with_key<std::string, int64_t, std::string> {
//   public:
//       void init(processor_task& task) override {
//           _seen = &get_store<key_value_store<std::string, int64_t>>(task, "seen");
//       }
//       std::optional<std::string> transform(const std::string& key, const int64_t& row) override {
//           ...
//       }
//   private:
//       key_value_store<std::string, int64_t>* _seen = nullptr;
//   };
//
// Lifecycle: one instance per task, made by the supplier given to transform_values();
// init() once before the first row, close() when the task closes. It must not forward:
// its result is what transform() returns. Threading: the task's thread.

#include <optional>

#include "engine/processor/task_context.h"

namespace brook {

template <class K, class V, class VR>
class value_transformer_with_key {
public:
    using key_type = K;
    using row_type = V;
    using result_type = VR;

    virtual ~value_transformer_with_key() = default;
    virtual void init(processor_task& /*task*/) {}
    // The derived row for `row` under `key`; nullopt: the derived table has no row for it.
    virtual std::optional<VR> transform(const K& key, const V& row) = 0;
    virtual void close() {}
};

} // namespace brook
