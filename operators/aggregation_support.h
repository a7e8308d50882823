#pragma once

// Helpers the aggregation and table processors share.
//
// Null keys and values: Kafka nulls reach a processor only as std::optional keys or values
// (a plain std::string reads a null as ""). As in Kafka Streams, an aggregation skips a
// record whose key or value is null, and a table skips a record whose key is null: the
// record is dropped and a warning is logged, once per processor instance (Kafka
// Streams warns per record; once keeps a stream of nulls from flooding the log).

#include <cstdint>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "base/log.h"
#include "engine/processor/processor.h"
#include "engine/processor/task_context.h"
#include "engine/record.h"

namespace brook {

template <class T>
bool is_null_value(const T& /*v*/) {
    return false;
}
template <class T>
bool is_null_value(const std::optional<T>& v) {
    return !v.has_value();
}

// A table's row in what its node forwards: the value itself, or for tables that can
// delete (they forward std::optional<V>) the contained value, nullptr for a delete.
namespace detail {
// A table's row as its store holds it: tables read from a topic forward std::optional<V>,
// and a stream of std::optional<V> becomes such a table (to_table()).
template <class T>
struct table_row {
    using type = T;
};
template <class T>
struct table_row<std::optional<T>> {
    using type = T;
};
} // namespace detail

template <class T>
const T* row_of(const T& v) {
    return &v;
}
template <class T>
const T* row_of(const std::optional<T>& v) {
    return v ? &*v : nullptr;
}

// Counts a record dropped because its window had closed (one count per closed window the
// record belonged to, as Kafka Streams' dropped-records metric counts).
inline void count_late_record(task_context& task) {
    task.counters().late_records_dropped.fetch_add(1, std::memory_order_relaxed);
}

// Counts every record a processor skips for a null key or value
// (brook_null_records_skipped_total) and warns about the first one.
class null_record_warning {
public:
    explicit null_record_warning(std::string processor) : _processor(std::move(processor)) {}
    template <class KOut, class VOut>
    void skipped(processor_context<KOut, VOut>& context, const char* what) {
        detail::runtime_task(context).counters().null_records_skipped.fetch_add(
            1, std::memory_order_relaxed);
        if (_warned) {
            return;
        }
        const record_metadata* where = context.metadata();
        _warned = true;
        if (where != nullptr) {
            log_warn(fmt::format("{}: skipping a record with a null {} (topic {} "
                                 "partition {} offset {}); further ones are only "
                                 "counted (brook_null_records_skipped_total)",
                                 _processor, what, where->topic, where->partition, where->offset));
        } else {
            log_warn(fmt::format("{}: skipping a record with a null {}; further ones "
                                 "are only counted (brook_null_records_skipped_total)",
                                 _processor, what));
        }
    }

private:
    std::string _processor;
    bool _warned = false;
};

} // namespace brook
