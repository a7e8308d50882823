#include "state/rocksdb_session_store.h"

#include <algorithm>
#include <limits>
#include <stdexcept>

#include <fmt/format.h>

#include "state/key_encoding.h"

namespace brook::state {

namespace {

void check_session(int64_t start, int64_t end) {
    if (start < 0 || start > end) {
        throw std::invalid_argument(fmt::format(
            "session [{}, {}] is invalid: a session needs 0 <= start <= end", start, end));
    }
}

} // namespace

rocksdb_session_store::rocksdb_session_store(std::string name, int64_t retention_ms,
                                             int64_t segment_interval_ms)
    : _name(name), _segments(std::move(name), segment_policy(retention_ms, segment_interval_ms)) {}

rocksdb_session_store::~rocksdb_session_store() {
    close();
}

void rocksdb_session_store::init(const store_context& context) {
    _segments.open(context);
}

void rocksdb_session_store::close() {
    _segments.close();
}

void rocksdb_session_store::put(std::string_view key, int64_t start, int64_t end,
                                std::optional<std::string_view> value) {
    check_session(start, end);
    _segments.write(end, encode_session_key(key, start, end), value);
}

std::optional<std::string> rocksdb_session_store::fetch(std::string_view key, int64_t start,
                                                        int64_t end) {
    if (start < 0 || start > end) {
        return std::nullopt;
    }
    return _segments.get(end, encode_session_key(key, start, end));
}

void rocksdb_session_store::find_sessions(std::string_view key, int64_t earliest_end,
                                          int64_t latest_start, const session_visitor& visit) {
    earliest_end = std::max<int64_t>(earliest_end, 0);
    if (latest_start < 0) {
        return;
    }
    // A session's end is not bounded by latest_start, so every segment from earliest_end
    // on may hold a match (as in Kafka Streams' SessionKeySchema); within this key's
    // entries, ends only grow, and starts are filtered one by one.
    const std::string lower = encode_session_key(key, 0, earliest_end);
    const std::string upper = prefix_upper_bound(encode_key_prefix(key));
    auto& db = _segments.database();
    _segments.for_each_segment(
        earliest_end, std::numeric_limits<int64_t>::max(),
        [&](rocksdb::ColumnFamilyHandle* segment) {
            auto cursor = db.iterate(segment, upper);
            for (cursor->Seek(to_slice(lower)); cursor->Valid(); cursor->Next()) {
                const std::string_view encoded = to_view(cursor->key());
                const auto end = static_cast<int64_t>(read_u64_be(encoded, encoded.size() - 16));
                const auto start = static_cast<int64_t>(read_u64_be(encoded, encoded.size() - 8));
                if (start > latest_start) {
                    continue;
                }
                if (!visit(start, end, to_view(cursor->value()))) {
                    return false;
                }
            }
            cursor.check();
            return true;
        });
}

void rocksdb_session_store::fetch_all(int64_t earliest_end, int64_t latest_end,
                                      const keyed_session_visitor& visit) {
    auto& db = _segments.database();
    _segments.for_each_segment(earliest_end, latest_end, [&](rocksdb::ColumnFamilyHandle* segment) {
        auto cursor = db.iterate(segment, {});
        for (cursor->SeekToFirst(); cursor->Valid(); cursor->Next()) {
            const auto decoded = decode_session_key(to_view(cursor->key()));
            if (decoded.end < earliest_end || decoded.end > latest_end) {
                continue;
            }
            if (!visit(decoded.key, decoded.start, decoded.end, to_view(cursor->value()))) {
                return false;
            }
        }
        cursor.check();
        return true;
    });
}

void rocksdb_session_store::restore_batch(std::span<const changelog_entry> batch) {
    _segments.write(batch, [](std::string_view key) { return decode_session_key(key).end; });
}

void rocksdb_session_store::end_restore() {
    _segments.flush_memtables();
}

std::optional<int64_t> rocksdb_session_store::checkpoint() {
    return _segments.checkpoint();
}

void rocksdb_session_store::write_checkpoint(int64_t next_offset) {
    _segments.write_checkpoint(next_offset);
}

void rocksdb_session_store::wipe() {
    _segments.wipe();
}

} // namespace brook::state
