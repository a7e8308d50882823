#include "state/rocksdb_window_store.h"

#include <algorithm>

#include "state/key_encoding.h"

namespace brook::state {

rocksdb_window_store::rocksdb_window_store(std::string name, int64_t retention_ms,
                                           int64_t segment_interval_ms)
    : _name(name), _segments(std::move(name), segment_policy(retention_ms, segment_interval_ms)) {}

rocksdb_window_store::~rocksdb_window_store() {
    close();
}

void rocksdb_window_store::init(const store_context& context) {
    _segments.open(context);
}

void rocksdb_window_store::close() {
    _segments.close();
}

void rocksdb_window_store::put(std::string_view key, std::optional<std::string_view> value,
                               int64_t window_start) {
    // Encoding first: it rejects a negative start before stream time moves.
    const std::string encoded = encode_window_key(key, window_start);
    _segments.write(window_start, encoded, value);
}

std::optional<std::string> rocksdb_window_store::fetch(std::string_view key, int64_t window_start) {
    if (window_start < 0) {
        return std::nullopt;
    }
    return _segments.get(window_start, encode_window_key(key, window_start));
}

void rocksdb_window_store::fetch(std::string_view key, int64_t from, int64_t to,
                                 const window_visitor& visit) {
    from = std::max<int64_t>(from, 0);
    if (to < from) {
        return;
    }
    // Every key between these two shares the [length][key] head of both, so the range
    // holds exactly this key's windows with start in [from, to].
    const std::string lower = encode_window_key(key, from);
    const std::string upper = prefix_upper_bound(encode_window_key(key, to));
    auto& db = _segments.database();
    _segments.for_each_segment(from, to, [&](rocksdb::ColumnFamilyHandle* segment) {
        auto cursor = db.iterate(segment, upper);
        for (cursor->Seek(to_slice(lower)); cursor->Valid(); cursor->Next()) {
            const std::string_view encoded = to_view(cursor->key());
            const auto start = static_cast<int64_t>(read_u64_be(encoded, encoded.size() - 8));
            if (!visit(start, to_view(cursor->value()))) {
                return false;
            }
        }
        cursor.check();
        return true;
    });
}

void rocksdb_window_store::fetch_all(int64_t from, int64_t to, const keyed_window_visitor& visit) {
    auto& db = _segments.database();
    _segments.for_each_segment(from, to, [&](rocksdb::ColumnFamilyHandle* segment) {
        auto cursor = db.iterate(segment, {});
        for (cursor->SeekToFirst(); cursor->Valid(); cursor->Next()) {
            const auto decoded = decode_window_key(to_view(cursor->key()));
            if (decoded.start < from || decoded.start > to) {
                continue;
            }
            if (!visit(decoded.key, decoded.start, to_view(cursor->value()))) {
                return false;
            }
        }
        cursor.check();
        return true;
    });
}

void rocksdb_window_store::restore_batch(std::span<const changelog_entry> batch) {
    _segments.write(batch, [](std::string_view key) { return decode_window_key(key).start; });
}

void rocksdb_window_store::end_restore() {
    _segments.flush_memtables();
}

std::optional<int64_t> rocksdb_window_store::checkpoint() {
    return _segments.checkpoint();
}

void rocksdb_window_store::write_checkpoint(int64_t next_offset) {
    _segments.write_checkpoint(next_offset);
}

void rocksdb_window_store::wipe() {
    _segments.wipe();
}

} // namespace brook::state
