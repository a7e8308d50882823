#pragma once

// rocksdb_segments: the time-segmented RocksDB DB under a window or session store. Each
// segment is a column family "seg-<id>" (id = time / segment interval); retention drops
// a segment whole (DropColumnFamily) once the observed stream time has moved past it
// (segment_policy), which costs one metadata operation rather than a delete per record.
// Observed stream time and the changelog checkpoint are kept in the "brook-meta" family,
// so a reopened store keeps dropping where it left off; open() rediscovers the segment
// families from the DB itself.
//
// The store above decides what `time` an entry belongs to (window start, session end) and
// how keys are encoded; this class only routes encoded keys to segments.
//
// Lifecycle: constructed closed -> open() -> used -> close() (flushes; idempotent) or
// wipe() (delete everything, reopen empty).
// Threading: one task's thread only.
// Ownership: owned by its store; owns the DB (and through it every segment handle).

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "state/rocksdb_database.h"
#include "state/segment_policy.h"
#include "state/store_context.h"

namespace brook::state {

class rocksdb_segments {
public:
    rocksdb_segments(std::string store_name, segment_policy policy);

    // Opens <context.directory>/<store name>/; throws state_error when it cannot.
    void open(const store_context& context);
    bool is_open() const { return _db && _db->is_open(); }
    void close() noexcept;
    // Throws state_error naming the store when it is not open.
    rocksdb_database& database();

    const segment_policy& policy() const { return _policy; }
    int64_t observed_stream_time() const { return _observed_stream_time; }
    uint64_t expired_puts() const { return _expired_puts; }
    size_t segment_count() const { return _segments.size(); }

    // Puts (or, with no value, deletes) `key` in the segment of `time`, first advancing
    // observed stream time to `time` and dropping segments that expire with it. A write
    // into an expired segment is ignored and counted. Throws state_error.
    void write(int64_t time, std::string_view key, std::optional<std::string_view> value);
    // The same for a restore batch, in one WriteBatch: `time_of` gives an encoded key's
    // time (and throws state_error if the key is malformed, before anything is written).
    void write(std::span<const changelog_entry> batch,
               const std::function<int64_t(std::string_view key)>& time_of);
    // Point read in the segment of `time`.
    std::optional<std::string> get(int64_t time, std::string_view key);

    // Visits the segments whose ids lie in [segment_id(from), segment_id(to)], oldest
    // first, until `visit` returns false.
    void for_each_segment(int64_t from, int64_t to,
                          const std::function<bool(rocksdb::ColumnFamilyHandle*)>& visit);

    std::optional<int64_t> checkpoint();
    void write_checkpoint(int64_t next_offset);
    // Exactly-once staging: see rocksdb_database::stage_writes()/seal_staged().
    void stage_writes() { database().stage_writes(); }
    void seal() { database().seal_staged(); }
    void commit_sealed(std::optional<int64_t> checkpoint) { database().commit_sealed(checkpoint); }
    void flush_memtables();
    // Deletes every segment, the checkpoint and stream time; reopens empty.
    void wipe();

private:
    // Advances stream time (adding its new value to `batch`) and drops expired segments.
    void advance(int64_t time, rocksdb::WriteBatch& batch);
    void drop_expired();
    rocksdb::ColumnFamilyHandle* get_or_create(int64_t segment_id);

    std::string _store_name;
    segment_policy _policy;
    std::unique_ptr<rocksdb_database> _db;
    // Live segments by id; the handles belong to _db.
    std::map<int64_t, rocksdb::ColumnFamilyHandle*> _segments;
    int64_t _observed_stream_time = -1;
    stream_time_cap _cap;
    uint64_t _expired_puts = 0;
};

} // namespace brook::state
