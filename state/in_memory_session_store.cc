#include "state/in_memory_session_store.h"

#include <algorithm>
#include <limits>
#include <stdexcept>

#include <fmt/format.h>

#include "state/key_encoding.h"

namespace brook::state {

in_memory_session_store::in_memory_session_store(std::string name, int64_t retention_ms,
                                                 int64_t segment_interval_ms)
    : _name(std::move(name)), _segments(segment_policy(retention_ms, segment_interval_ms)) {}

void in_memory_session_store::put(std::string_view key, int64_t start, int64_t end,
                                  std::optional<std::string_view> value) {
    if (start < 0 || start > end) {
        throw std::invalid_argument(fmt::format(
            "session [{}, {}] is invalid: a session needs 0 <= start <= end", start, end));
    }
    _segments.write(end, encode_session_key(key, start, end), value);
}

std::optional<std::string> in_memory_session_store::fetch(std::string_view key, int64_t start,
                                                          int64_t end) {
    if (start < 0 || start > end) {
        return std::nullopt;
    }
    const std::string* value = _segments.get(end, encode_session_key(key, start, end));
    if (value == nullptr) {
        return std::nullopt;
    }
    return *value;
}

void in_memory_session_store::find_sessions(std::string_view key, int64_t earliest_end,
                                            int64_t latest_start, const session_visitor& visit) {
    earliest_end = std::max<int64_t>(earliest_end, 0);
    if (latest_start < 0) {
        return;
    }
    // Ends are not bounded by latest_start: search every segment from earliest_end on,
    // and filter starts one by one (as the RocksDB bottom and Kafka Streams do).
    const std::string lower = encode_session_key(key, 0, earliest_end);
    const std::string prefix = encode_key_prefix(key);
    _segments.for_each_segment(
        earliest_end, std::numeric_limits<int64_t>::max(),
        [&](const in_memory_segments::segment& segment) {
            for (auto it = segment.lower_bound(lower);
                 it != segment.end() && std::string_view(it->first).starts_with(prefix); ++it) {
                const std::string_view encoded = it->first;
                const auto end = static_cast<int64_t>(read_u64_be(encoded, encoded.size() - 16));
                const auto start = static_cast<int64_t>(read_u64_be(encoded, encoded.size() - 8));
                if (start > latest_start) {
                    continue;
                }
                if (!visit(start, end, it->second)) {
                    return false;
                }
            }
            return true;
        });
}

void in_memory_session_store::fetch_all(int64_t earliest_end, int64_t latest_end,
                                        const keyed_session_visitor& visit) {
    _segments.for_each_segment(earliest_end, latest_end,
                               [&](const in_memory_segments::segment& segment) {
                                   for (const auto& [encoded, value] : segment) {
                                       const auto decoded = decode_session_key(encoded);
                                       if (decoded.end < earliest_end || decoded.end > latest_end) {
                                           continue;
                                       }
                                       if (!visit(decoded.key, decoded.start, decoded.end, value)) {
                                           return false;
                                       }
                                   }
                                   return true;
                               });
}

void in_memory_session_store::restore_batch(std::span<const changelog_entry> batch) {
    _segments.write(batch, [](std::string_view key) { return decode_session_key(key).end; });
}

} // namespace brook::state
