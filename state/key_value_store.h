#pragma once

// key_value_store: a byte-level key-value store, ordered by key bytes (lexicographic,
// unsigned), as RocksDB orders them. Layers and bottoms implement it.
//
// Threading: a store belongs to one task and is used from that task's thread only.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "state/state_store.h"

namespace brook::state {

// Called for each entry in order; return false to stop.
using kv_visitor = std::function<bool(std::string_view key, std::string_view value)>;

class key_value_store : public state_store {
public:
    virtual std::optional<std::string> get(std::string_view key) = 0;
    virtual void put(std::string_view key, std::string_view value) = 0;
    virtual void remove(std::string_view key) = 0;
    // Visits keys in [from, to) in order; an empty `to` means no upper bound.
    virtual void range(std::string_view from, std::string_view to, const kv_visitor& visit) = 0;
    // Visits keys in [from, to) in descending order; an empty `to` means no upper bound.
    // This default reads forward and replays backwards; the bottoms seek backwards.
    virtual void reverse_range(std::string_view from, std::string_view to,
                               const kv_visitor& visit) {
        std::vector<std::pair<std::string, std::string>> entries;
        range(from, to, [&](std::string_view k, std::string_view v) {
            entries.emplace_back(k, v);
            return true;
        });
        for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
            if (!visit(it->first, it->second)) {
                return;
            }
        }
    }
    // Visits keys that start with `prefix`, in order.
    virtual void prefix_scan(std::string_view prefix, const kv_visitor& visit) = 0;
    void all(const kv_visitor& visit) { range({}, {}, visit); }
    // Number of entries; exact for in-memory stores, an estimate for RocksDB.
    virtual size_t approximate_size() = 0;
};

} // namespace brook::state
