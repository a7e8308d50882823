#pragma once

// in_memory_segments: the in-memory twin of rocksdb_segments, under the in-memory window
// and session stores. Segments are std::maps of encoded key -> value, themselves in a
// map by segment id, so retention drops a whole segment at once exactly as the RocksDB
// bottom does (same segment_policy, same expired-put rule), and both bottoms pass the
// same contract tests.
//
// Lifecycle: created empty with its store; clear() empties it. Nothing is persisted.
// Threading: one task's thread only.
// Ownership: owned by its store; owns every entry.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "state/segment_policy.h"
#include "state/store_context.h"

namespace brook::state {

class in_memory_segments {
public:
    // Encoded key -> value, in unsigned byte order (std::string compares as unsigned char).
    using segment = std::map<std::string, std::string, std::less<>>;

    explicit in_memory_segments(segment_policy policy) : _policy(policy) {}
    // The task's stream time, which observed stream time never passes (stream_time_cap).
    void bind(std::function<int64_t()> task_time) { _cap.bind(std::move(task_time)); }

    const segment_policy& policy() const { return _policy; }
    int64_t observed_stream_time() const { return _observed_stream_time; }
    uint64_t expired_puts() const { return _expired_puts; }
    size_t segment_count() const { return _segments.size(); }

    // Puts (or, with no value, deletes) `key` in the segment of `time`, first advancing
    // observed stream time and dropping segments that expire with it. A write into an
    // expired segment is ignored and counted.
    void write(int64_t time, std::string_view key, std::optional<std::string_view> value);
    // The same for each entry of a restore batch; `time_of` decodes an entry's time and
    // throws state_error for a malformed key (before anything is written).
    void write(std::span<const changelog_entry> batch,
               const std::function<int64_t(std::string_view key)>& time_of);
    // The value of `key` in the segment of `time`; null if absent. Valid until the next write.
    const std::string* get(int64_t time, std::string_view key) const;
    // Visits the segments with ids in [segment_id(from), segment_id(to)], oldest first,
    // until `visit` returns false.
    void for_each_segment(int64_t from, int64_t to,
                          const std::function<bool(const segment&)>& visit) const;
    // Drops every entry and forgets stream time.
    void clear();

private:
    void advance(int64_t time);

    segment_policy _policy;
    std::map<int64_t, segment> _segments;
    int64_t _observed_stream_time = -1;
    stream_time_cap _cap;
    uint64_t _expired_puts = 0;
};

} // namespace brook::state
