#pragma once

// table<K, V>: a typed handle on a table node of the graph being built (a KTable): the
// result of an aggregation or of stream_builder.table(). Its node forwards each update of
// the table as record<K, V>; tables that can delete keys (tables read from a topic, session
// aggregations) have an optional value type and forward nullopt for a deleted key.
//
// Handles are cheap values; the builder must outlive them until build().

#include <string>
#include <utility>

#include "operators/branch.h"

namespace brook {

class stream_builder;
template <class K, class V>
class stream;

template <class K, class V>
class table {
public:
    using key_type = K;
    using value_type = V;

    table(stream_builder* builder, std::string node, std::string store_name)
        : _builder(builder), _node(std::move(node)), _store_name(std::move(store_name)) {}

    const std::string& node_name() const { return _node; }
    stream_builder& builder() const { return *_builder; }
    // The store holding the table (a timestamped store; session aggregations: a session
    // store), to look up with get_store().
    const std::string& store_name() const { return _store_name; }

    // The table's updates as a stream (Kafka Streams' toStream()).
    stream<K, V> to_stream(const std::string& name = {}) const;

private:
    stream_builder* _builder;
    std::string _node;
    std::string _store_name;
};

} // namespace brook
