#pragma once

// Records as processors see them: a typed key and value, a timestamp and headers, and
// (for records that came from a topic) the metadata of where they came from.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/nullable_bytes.h"

namespace brook {

// Kafka record headers: an ordered list in which a key may repeat and a value may be null.
class headers {
public:
    using entry = std::pair<std::string, std::optional<std::string>>;

    void add(std::string key, std::optional<std::string> value) {
        _entries.emplace_back(std::move(key), std::move(value));
    }
    // Replaces every header named `key` with one entry.
    void set(std::string_view key, std::optional<std::string> value) {
        remove(key);
        add(std::string(key), std::move(value));
    }
    void remove(std::string_view key) {
        std::erase_if(_entries, [&](const entry& e) { return e.first == key; });
    }
    // The value of the last header named `key`; nullopt if absent or null.
    std::optional<std::string_view> last(std::string_view key) const {
        for (auto it = _entries.rbegin(); it != _entries.rend(); ++it) {
            if (it->first == key) {
                return it->second ? std::optional<std::string_view>(*it->second) : std::nullopt;
            }
        }
        return std::nullopt;
    }
    bool contains(std::string_view key) const {
        for (const auto& e : _entries) {
            if (e.first == key) {
                return true;
            }
        }
        return false;
    }
    bool empty() const noexcept { return _entries.empty(); }
    size_t size() const noexcept { return _entries.size(); }
    auto begin() const noexcept { return _entries.begin(); }
    auto end() const noexcept { return _entries.end(); }
    bool operator==(const headers&) const = default;

private:
    std::vector<entry> _entries;
};

// Where a consumed record came from. Absent for records created in a punctuator.
struct record_metadata {
    std::string_view topic;
    int32_t partition = -1;
    int64_t offset = -1;
};

// A typed record flowing between processors. Processors receive it by rvalue reference
// and may move from it; forwarding to several children hands each its own copy.
template <class K, class V>
struct record {
    K key{};
    V value{};
    int64_t timestamp = 0;
    brook::headers headers;

    template <class K2>
    record<K2, V> with_key(K2 k) && {
        return {std::move(k), std::move(value), timestamp, std::move(headers)};
    }
    template <class V2>
    record<K, V2> with_value(V2 v) && {
        return {std::move(key), std::move(v), timestamp, std::move(headers)};
    }
    bool operator==(const record&) const = default;
};

// A key and value pair, as returned by map() and flat_map() callables.
template <class K, class V>
struct key_value {
    K key;
    V value;
    bool operator==(const key_value&) const = default;
};

template <class K, class V>
key_value<K, V> make_key_value(K k, V v) {
    return {std::move(k), std::move(v)};
}

// Bytes of one consumed record, valid while the record's batch is alive. The source node
// turns it into a typed record with its serdes.
struct raw_record {
    nullable_bytes key;
    nullable_bytes value;
    int64_t timestamp = 0;
    const brook::headers* headers = nullptr; // null when the record has none
    record_metadata metadata;
};

} // namespace brook
