#include "state/in_memory_window_store.h"

#include <algorithm>

#include "state/key_encoding.h"

namespace brook::state {

in_memory_window_store::in_memory_window_store(std::string name, int64_t retention_ms,
                                               int64_t segment_interval_ms)
    : _name(std::move(name)), _segments(segment_policy(retention_ms, segment_interval_ms)) {}

void in_memory_window_store::put(std::string_view key, std::optional<std::string_view> value,
                                 int64_t window_start) {
    const std::string encoded = encode_window_key(key, window_start);
    _segments.write(window_start, encoded, value);
}

std::optional<std::string> in_memory_window_store::fetch(std::string_view key,
                                                         int64_t window_start) {
    if (window_start < 0) {
        return std::nullopt;
    }
    const std::string* value = _segments.get(window_start, encode_window_key(key, window_start));
    if (value == nullptr) {
        return std::nullopt;
    }
    return *value;
}

void in_memory_window_store::fetch(std::string_view key, int64_t from, int64_t to,
                                   const window_visitor& visit) {
    from = std::max<int64_t>(from, 0);
    if (to < from) {
        return;
    }
    // Between these two bounds lie exactly this key's windows with start in [from, to].
    const std::string lower = encode_window_key(key, from);
    const std::string upper = encode_window_key(key, to);
    _segments.for_each_segment(from, to, [&](const in_memory_segments::segment& segment) {
        const auto end = segment.upper_bound(upper);
        for (auto it = segment.lower_bound(lower); it != end; ++it) {
            const auto start = static_cast<int64_t>(read_u64_be(it->first, it->first.size() - 8));
            if (!visit(start, it->second)) {
                return false;
            }
        }
        return true;
    });
}

void in_memory_window_store::fetch_all(int64_t from, int64_t to,
                                       const keyed_window_visitor& visit) {
    _segments.for_each_segment(from, to, [&](const in_memory_segments::segment& segment) {
        for (const auto& [encoded, value] : segment) {
            const auto decoded = decode_window_key(encoded);
            if (decoded.start < from || decoded.start > to) {
                continue;
            }
            if (!visit(decoded.key, decoded.start, value)) {
                return false;
            }
        }
        return true;
    });
}

void in_memory_window_store::restore_batch(std::span<const changelog_entry> batch) {
    _segments.write(batch, [](std::string_view key) { return decode_window_key(key).start; });
}

} // namespace brook::state
