#include "state/rocksdb_segments.h"

#include <algorithm>
#include <charconv>
#include <vector>

#include <fmt/format.h>
#include <rocksdb/write_batch.h>

#include "state/rocksdb_environment.h"

namespace brook::state {

namespace {

constexpr std::string_view stream_time_key = "observed-stream-time";
constexpr std::string_view segment_prefix = "seg-";

std::string segment_name(int64_t id) {
    return fmt::format("{}{}", segment_prefix, id);
}

// The id in "seg-<id>", or nullopt for a family that is not a segment.
std::optional<int64_t> parse_segment_name(std::string_view name) {
    if (!name.starts_with(segment_prefix)) {
        return std::nullopt;
    }
    name.remove_prefix(segment_prefix.size());
    int64_t id = -1;
    const auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), id);
    if (ec != std::errc() || end != name.data() + name.size() || id < 0) {
        return std::nullopt;
    }
    return id;
}

} // namespace

rocksdb_segments::rocksdb_segments(std::string store_name, segment_policy policy)
    : _store_name(std::move(store_name)), _policy(policy) {}

void rocksdb_segments::open(const store_context& context) {
    _cap.bind(context.stream_time);
    if (context.directory.empty()) {
        throw state_error(fmt::format("store '{}': a RocksDB store needs a state directory "
                                      "(store_context::directory is empty)",
                                      _store_name));
    }
    if (is_open()) {
        throw state_error(
            fmt::format("store '{}' is already open: init() was called twice", _store_name));
    }
    auto& environment = context.rocksdb ? *context.rocksdb : rocksdb_environment::process_default();
    auto db = std::make_unique<rocksdb_database>(_store_name, environment);
    db->open(context.directory / _store_name);
    _db = std::move(db);

    _segments.clear();
    for (const auto& name : _db->family_names()) {
        if (auto id = parse_segment_name(name)) {
            _segments.emplace(*id, _db->find_family(name));
        }
    }
    _observed_stream_time = _db->read_meta(stream_time_key).value_or(-1);
    // A store reopened with a shorter retention drops what the new one no longer keeps.
    drop_expired();
}

void rocksdb_segments::close() noexcept {
    _segments.clear();
    if (_db) {
        _db->close();
    }
}

rocksdb_database& rocksdb_segments::database() {
    if (!is_open()) {
        throw state_error(fmt::format(
            "store '{}' is not open: call init() before using it, and do not use it after close()",
            _store_name));
    }
    return *_db;
}

void rocksdb_segments::advance(int64_t time, rocksdb::WriteBatch& batch) {
    if (time <= _observed_stream_time) {
        return;
    }
    _observed_stream_time = time;
    _db->put_meta(batch, stream_time_key, time);
    drop_expired();
}

void rocksdb_segments::drop_expired() {
    const int64_t min_live = _policy.min_live_segment(_observed_stream_time);
    while (!_segments.empty() && _segments.begin()->first < min_live) {
        const int64_t id = _segments.begin()->first;
        _segments.erase(_segments.begin());
        _db->drop_family(segment_name(id));
    }
}

rocksdb::ColumnFamilyHandle* rocksdb_segments::get_or_create(int64_t segment_id) {
    auto it = _segments.find(segment_id);
    if (it != _segments.end()) {
        return it->second;
    }
    auto* handle = _db->create_family(segment_name(segment_id));
    _segments.emplace(segment_id, handle);
    return handle;
}

void rocksdb_segments::write(int64_t time, std::string_view key,
                             std::optional<std::string_view> value) {
    auto& db = database();
    rocksdb::WriteBatch batch;
    advance(_cap.apply(time), batch);
    const int64_t id = _policy.segment_id(time);
    if (!_policy.is_live(id, _observed_stream_time)) {
        ++_expired_puts;
        return; // `time` is behind stream time, so the batch is empty
    }
    if (value) {
        auto* segment = get_or_create(id);
        if (const auto added = batch.Put(segment, to_slice(key), to_slice(*value)); !added.ok()) {
            db.fail("prepare a write to", added);
        }
    } else if (auto it = _segments.find(id); it != _segments.end()) {
        if (const auto added = batch.Delete(it->second, to_slice(key)); !added.ok()) {
            db.fail("prepare a delete from", added);
        }
    }
    if (batch.Count() > 0) {
        db.write(batch);
    }
}

void rocksdb_segments::write(std::span<const changelog_entry> entries,
                             const std::function<int64_t(std::string_view key)>& time_of) {
    auto& db = database();
    // First pass: decode every key (a malformed one fails the batch before any write) and
    // replay stream time as a sequence of puts would, counting entries already expired
    // when they came. Entries that expire later in the batch would be written and then
    // dropped; the second pass simply leaves them out.
    std::vector<int64_t> times;
    times.reserve(entries.size());
    int64_t stream_time = _observed_stream_time;
    for (const auto& entry : entries) {
        const int64_t time = time_of(entry.key);
        stream_time = std::max(stream_time, _cap.apply(time));
        if (!_policy.is_live(_policy.segment_id(time), stream_time)) {
            ++_expired_puts;
        }
        times.push_back(time);
    }

    rocksdb::WriteBatch batch;
    advance(stream_time, batch);
    for (size_t i = 0; i < entries.size(); ++i) {
        const int64_t id = _policy.segment_id(times[i]);
        if (!_policy.is_live(id, _observed_stream_time)) {
            continue;
        }
        const auto& entry = entries[i];
        rocksdb::Status added;
        if (entry.value) {
            added = batch.Put(get_or_create(id), to_slice(entry.key), to_slice(*entry.value));
        } else if (auto it = _segments.find(id); it != _segments.end()) {
            added = batch.Delete(it->second, to_slice(entry.key));
        }
        if (!added.ok()) {
            db.fail("prepare a restore batch for", added);
        }
    }
    if (batch.Count() > 0) {
        db.write_direct(batch);
    }
}

std::optional<std::string> rocksdb_segments::get(int64_t time, std::string_view key) {
    auto& db = database();
    auto it = _segments.find(_policy.segment_id(time));
    if (it == _segments.end()) {
        return std::nullopt;
    }
    return db.get(it->second, key);
}

void rocksdb_segments::for_each_segment(
    int64_t from, int64_t to, const std::function<bool(rocksdb::ColumnFamilyHandle*)>& visit) {
    database();
    from = std::max<int64_t>(from, 0);
    if (to < from) {
        return;
    }
    const auto end = _segments.upper_bound(_policy.segment_id(to));
    for (auto it = _segments.lower_bound(_policy.segment_id(from)); it != end; ++it) {
        if (!visit(it->second)) {
            return;
        }
    }
}

std::optional<int64_t> rocksdb_segments::checkpoint() {
    return database().read_meta(rocksdb_database::checkpoint_key);
}

void rocksdb_segments::write_checkpoint(int64_t next_offset) {
    database().write_meta(rocksdb_database::checkpoint_key, next_offset);
}

void rocksdb_segments::flush_memtables() {
    database().flush_memtables();
}

void rocksdb_segments::wipe() {
    auto& db = database();
    const std::filesystem::path path = db.path();
    _segments.clear();
    _observed_stream_time = -1;
    db.destroy();
    db.open(path);
}

} // namespace brook::state
