#pragma once

// global_table<K, V>: a typed handle on a global table (Kafka Streams' GlobalKTable),
// made by stream_builder.global_table(). Every instance keeps a full copy of the topic in
// its own store, read to its end before any task processes and updated as the topic
// changes, so a stream can join it on any key, whatever its partitioning
// (stream.join(global_table, key_selector, joiner)). Rows are V; a null value deletes.
//
// Handles are cheap values; the builder must outlive them until build().

#include <string>
#include <utility>

namespace brook {

class stream_builder;

template <class K, class V>
class global_table {
public:
    using key_type = K;
    using value_type = V;

    global_table(stream_builder* builder, std::string store_name, std::string topic)
        : _builder(builder), _store_name(std::move(store_name)), _topic(std::move(topic)) {}

    stream_builder& builder() const { return *_builder; }
    // The store holding the table (timestamped_key_value_store<K, V>), to query with
    // get_store().
    const std::string& store_name() const { return _store_name; }
    const std::string& topic() const { return _topic; }

private:
    stream_builder* _builder;
    std::string _store_name;
    std::string _topic;
};

} // namespace brook
