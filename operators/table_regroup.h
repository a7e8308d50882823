#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "engine/processor/processor.h"
#include "engine/serde/serde.h"
#include "engine/store/get_store.h"
#include "engine/store/key_value_store.h"
#include "operators/aggregation_support.h"

namespace brook {

// One half of a table row's move between groups: the row leaves (subtract) or joins
// (add) the group it is keyed by. Kafka Streams sends Change(null, old) and
// Change(new, null) the same way.
template <class V>
struct group_change {
    bool add = true;
    V value{};
};

// group_change<V> on the wire: one byte (0 subtract, 1 add), then V's bytes as VS writes
// them. Throws serde_error for anything else.
template <class VS>
class group_change_serde {
public:
    using inner_type =
        std::remove_cvref_t<decltype(std::declval<const VS&>().deserialize(nullable_bytes{}))>;
    using value_type = group_change<inner_type>;

    group_change_serde() = default;
    explicit group_change_serde(VS inner) : _inner(std::move(inner)) {}

    nullable_bytes serialize(const value_type& c, std::string& buffer) const {
        std::string inner;
        const nullable_bytes bytes = _inner.serialize(c.value, inner);
        if (!bytes) {
            throw serde_error("a table row moving between groups cannot be written as null");
        }
        buffer.assign(1, c.add ? '\1' : '\0');
        buffer.append(*bytes);
        return std::string_view(buffer);
    }
    value_type deserialize(nullable_bytes in) const {
        if (!in || in->empty() || (in->front() != '\0' && in->front() != '\1')) {
            throw serde_error("not a table row's group change (a flag byte, then the row)");
        }
        return value_type{in->front() == '\1', _inner.deserialize(in->substr(1))};
    }

private:
    [[no_unique_address]] VS _inner{};
};

// table.group_by(selector) (Kafka Streams' KTableRepartitionMap): each update of the
// parent table moves the key's row between groups. selector(key, row) gives the group
// key and the value to aggregate; the row's previous value (kept in this node's own store,
// since updates carry no old values here) is subtracted from its old group, then the new
// one added to its new group, each as one record toward the repartition topic. A null
// group key leaves the row out of every group.
//
// Lifecycle: one instance per task; init() finds the store of previous rows. Threading:
// the task's thread. Ownership: borrows the store.
template <class K, class TV, class VT, class K2, class V2, class Selector>
class table_regroup_processor final : public processor<K, TV, K2, group_change<V2>> {
public:
    using context_type = typename processor<K, TV, K2, group_change<V2>>::context_type;

    table_regroup_processor(std::string name, std::string previous_store, Selector selector)
        : _previous_name(std::move(previous_store)), _selector(std::move(selector)),
          _warning(std::move(name)) {}

    void init(context_type& context) override {
        _previous = &get_store<timestamped_key_value_store<K, VT>>(context, _previous_name);
    }

    void process(record<K, TV>&& r) override {
        if (is_null_value(r.key)) {
            _warning.skipped(this->context(), "key");
            return;
        }
        const VT* row = nullptr;
        if constexpr (std::is_same_v<TV, VT>) {
            row = &r.value;
        } else if (r.value) {
            row = &*r.value;
        }
        if (auto old = _previous->get(r.key)) {
            send(r, false, old->value);
        }
        if (row != nullptr) {
            _previous->put(r.key, value_and_timestamp<VT>{*row, r.timestamp});
            send(r, true, *row);
        } else {
            _previous->remove(r.key);
        }
    }

private:
    void send(const record<K, TV>& r, bool add, const VT& row) {
        auto kv = _selector(r.key, row);
        if (is_null_value(kv.key)) {
            return;
        }
        this->context().forward(record<K2, group_change<V2>>{
            std::move(kv.key), group_change<V2>{add, std::move(kv.value)}, r.timestamp, {}});
    }

    std::string _previous_name;
    Selector _selector;
    null_record_warning _warning;
    timestamped_key_value_store<K, VT>* _previous = nullptr;
};

// grouped_table.aggregate / reduce / count (Kafka Streams' KTableAggregate and
// KTableReduce): each group change updates the group's aggregate, adder(key, value, agg)
// for a row that joins, subtractor(key, value, agg) for one that leaves, starting from
// initializer() for a group with none, and forwards the group's new aggregate. The
// aggregate lives in a timestamped key-value store (logged by default).
//
// A subtraction from a group with no aggregate changes nothing and forwards nothing (Kafka
// Streams' KTableAggregate subtracts only from an aggregate it holds). Reduce (VR == V2): a
// group with no aggregate takes the first value added (initializer is unused).
//
// Lifecycle: one instance per task; init() finds the store. Threading: the task's thread.
// Ownership: borrows the store.
template <bool Reduce, class K2, class V2, class VR, class Init, class Adder, class Subtractor>
class table_aggregate_processor final : public processor<K2, group_change<V2>, K2, VR> {
public:
    using context_type = typename processor<K2, group_change<V2>, K2, VR>::context_type;

    table_aggregate_processor(std::string store, Init init, Adder adder, Subtractor subtractor)
        : _store_name(std::move(store)), _init(std::move(init)), _adder(std::move(adder)),
          _subtractor(std::move(subtractor)) {}

    void init(context_type& context) override {
        _store = &get_store<timestamped_key_value_store<K2, VR>>(context, _store_name);
    }

    void process(record<K2, group_change<V2>>&& r) override {
        std::optional<value_and_timestamp<VR>> current = _store->get(r.key);
        if (!current && !r.value.add) {
            return; // nothing to subtract from
        }
        std::optional<VR> next;
        if (current) {
            next.emplace(r.value.add ? _adder(r.key, r.value.value, current->value)
                                     : _subtractor(r.key, r.value.value, current->value));
        } else if constexpr (Reduce) {
            next.emplace(std::move(r.value.value));
        } else {
            next.emplace(_adder(r.key, r.value.value, _init()));
        }
        VR agg = std::move(*next);
        const int64_t timestamp = current ? std::max(current->timestamp, r.timestamp) : r.timestamp;
        _store->put(r.key, value_and_timestamp<VR>{agg, timestamp});
        this->context().forward(record<K2, VR>{std::move(r.key), std::move(agg), timestamp, {}});
    }

private:
    std::string _store_name;
    Init _init;
    Adder _adder;
    Subtractor _subtractor;
    timestamped_key_value_store<K2, VR>* _store = nullptr;
};

} // namespace brook
