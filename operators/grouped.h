#pragma once

// grouped<K, V, KS, VS>: options of stream.group_by_key() and stream.group_by(), as Kafka
// Streams' Grouped: the serdes of the grouped records (used for the repartition topic,
// and as the key serde of the aggregation's store) and a name for the repartition topic.
//
//   s.group_by_key(grouped<std::string, int64_t>::as("by-user"))
//
// When the grouping repartitions, the topic is "<application.id>-<name>-repartition" with
// `name` this name, else the aggregation's store name, else a generated one.

#include <string>

#include "engine/serde/serdes.h"

namespace brook {

template <class K, class V, class KS = default_serde<K>, class VS = default_serde<V>>
struct grouped {
    std::string name{}; // empty: named after the store (see above)
    KS key_serde{};
    VS value_serde{};

    static grouped as(std::string name) { return grouped{std::move(name)}; }
    grouped& with_name(std::string n) {
        name = std::move(n);
        return *this;
    }
};

} // namespace brook
