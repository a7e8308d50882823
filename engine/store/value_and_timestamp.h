#pragma once

// value_and_timestamp<V>: an aggregate (or table value) together with the timestamp of the
// newest record that contributed to it, as Kafka Streams' ValueAndTimestamp. The DSL's
// aggregations and tables keep these in "timestamped" stores, so that a result carries the
// largest input timestamp (what Kafka Streams users see since 2.3) and final results
// emitted when a window closes carry the timestamp of their newest record.
//
// value_and_timestamp_serde<VS> writes [u64 big-endian timestamp][value bytes as VS writes
// them], the layout of Kafka Streams' ValueAndTimestampSerializer, so a changelog written by
// Brook reads the same as one written by Java for the same value serde. A null value makes
// the whole entry null.

#include <cstdint>
#include <string>
#include <utility>

#include "engine/serde/serdes.h"
#include "engine/store/windowed.h"

namespace brook {

template <class V>
struct value_and_timestamp {
    V value{};
    int64_t timestamp = 0;
    bool operator==(const value_and_timestamp&) const = default;
};

// Throws serde_error for fewer than 8 bytes and for null, and what VS throws for the value.
template <class VS>
class value_and_timestamp_serde {
public:
    using inner_value_type = std::remove_cvref_t<decltype(std::declval<const VS&>().deserialize(
        std::declval<nullable_bytes>()))>;
    using value_type = value_and_timestamp<inner_value_type>;

    value_and_timestamp_serde() = default;
    explicit value_and_timestamp_serde(VS inner) : _inner(std::move(inner)) {}

    nullable_bytes serialize(const value_type& v, std::string& buffer) const {
        const nullable_bytes value = _inner.serialize(v.value, buffer);
        if (!value) {
            return std::nullopt;
        }
        char ts[8];
        detail::write_u64_be(ts, static_cast<uint64_t>(v.timestamp));
        return detail::prepend_or_append(buffer, *value, std::string_view(ts, 8), {});
    }

    value_type deserialize(nullable_bytes in) const {
        if (!in || in->size() < 8) {
            throw serde_error("value and timestamp needs at least 8 bytes, got " +
                              (in ? std::to_string(in->size()) + " bytes" : std::string("null")));
        }
        value_type out;
        out.timestamp = static_cast<int64_t>(detail::read_u64_be(*in, 0));
        out.value = _inner.deserialize(in->substr(8));
        return out;
    }

private:
    [[no_unique_address]] VS _inner{};
};

template <class V>
struct default_serde<value_and_timestamp<V>> : value_and_timestamp_serde<default_serde<V>> {};

} // namespace brook
