#include "state/in_memory_key_value_store.h"

#include "state/key_encoding.h"

namespace brook::state {

std::optional<std::string> in_memory_key_value_store::get(std::string_view key) {
    auto it = _data.find(key);
    if (it == _data.end()) {
        return std::nullopt;
    }
    return it->second;
}

void in_memory_key_value_store::put(std::string_view key, std::string_view value) {
    auto it = _data.find(key);
    if (it == _data.end()) {
        _data.emplace(std::string(key), std::string(value));
    } else {
        it->second.assign(value);
    }
}

void in_memory_key_value_store::remove(std::string_view key) {
    auto it = _data.find(key);
    if (it != _data.end()) {
        _data.erase(it);
    }
}

void in_memory_key_value_store::range(std::string_view from, std::string_view to,
                                      const kv_visitor& visit) {
    for (auto it = _data.lower_bound(from); it != _data.end(); ++it) {
        if (!to.empty() && std::string_view(it->first) >= to) {
            break;
        }
        if (!visit(it->first, it->second)) {
            break;
        }
    }
}

void in_memory_key_value_store::reverse_range(std::string_view from, std::string_view to,
                                              const kv_visitor& visit) {
    auto it = to.empty() ? _data.end() : _data.lower_bound(to);
    while (it != _data.begin()) {
        --it;
        if (std::string_view(it->first) < from) {
            break;
        }
        if (!visit(it->first, it->second)) {
            break;
        }
    }
}

void in_memory_key_value_store::prefix_scan(std::string_view prefix, const kv_visitor& visit) {
    range(prefix, prefix_upper_bound(prefix), visit);
}

void in_memory_key_value_store::restore_batch(std::span<const changelog_entry> batch) {
    for (const auto& entry : batch) {
        if (entry.value) {
            put(entry.key, *entry.value);
        } else {
            remove(entry.key);
        }
    }
}

} // namespace brook::state
