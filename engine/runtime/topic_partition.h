#pragma once

// Strong types for where records live: a topic partition, an offset in it, and a committed
// position with its metadata. The runtime passes these instead of pairs and tuples, so a
// partition number is never taken for an offset, nor a topic for a store.
//
// Value types; no threading or ownership concerns.

#include <compare>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace brook {

struct topic_partition {
    std::string topic;
    int32_t partition = 0;

    friend auto operator<=>(const topic_partition&, const topic_partition&) = default;
    std::string to_string() const { return topic + "-" + std::to_string(partition); }
};

// A topic partition by view, for lookups that must not build a string.
struct topic_partition_ref {
    std::string_view topic;
    int32_t partition = 0;
};

// Orders topic_partition keys and lets maps find them by topic_partition_ref too.
struct topic_partition_less {
    using is_transparent = void;
    template <class A, class B>
    bool operator()(const A& a, const B& b) const {
        const std::string_view at(a.topic);
        const std::string_view bt(b.topic);
        return at < bt || (at == bt && a.partition < b.partition);
    }
};

template <class V>
using partition_map = std::map<topic_partition, V, topic_partition_less>;

// An offset in a partition. Where it names a position (committed offsets, positions,
// ends) it is the offset of the next record to read; -1 is "none".
struct record_offset {
    int64_t value = -1;

    constexpr record_offset() = default;
    constexpr explicit record_offset(int64_t v) : value(v) {}
    friend constexpr auto operator<=>(record_offset, record_offset) = default;
    constexpr bool valid() const { return value >= 0; }
};

// What is committed for an input partition: the next offset to read, and the metadata
// committed with it (commit_metadata.h: the partition's time and watermark).
struct committed_position {
    record_offset next;
    std::string metadata;

    friend bool operator==(const committed_position&, const committed_position&) = default;
};

using offset_map = partition_map<committed_position>;

} // namespace brook
