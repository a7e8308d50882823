#pragma once

// What a store gets from its task when it is opened, and the small interfaces the
// runtime implements for stores (changelog_writer) or stores implement for the runtime
// (restorable). Nothing here knows about Kafka.

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

#include "state/infrastructure_failure.h"

namespace brook::state {

class rocksdb_environment;
class cache_budget;

// A store failed in a way the task cannot survive (RocksDB I/O error, a locked
// directory, corrupt data). The message names the store and the path.
class state_error : public std::runtime_error, public infrastructure_failure {
public:
    using std::runtime_error::runtime_error;
};

// Where change-logging layers send each write. The runtime's implementation produces
// to "<application.id>-<store>-changelog", partition = the task's partition, through the
// task's producer; the test driver keeps the records. `value` nullopt is a tombstone.
// `key` is the store's own encoded key (for window and session stores: see key_encoding.h).
class changelog_writer {
public:
    virtual ~changelog_writer() = default;
    virtual void log(std::string_view store, std::string_view key,
                     std::optional<std::string_view> value, int64_t timestamp) = 0;
};

// One changelog record, as restore hands it to a store's bottom.
struct changelog_entry {
    std::string_view key;                  // the store's encoded key
    std::optional<std::string_view> value; // nullopt: delete
};

// The bottom of a store stack (RocksDB or in-memory), seen by the runtime's restore.
// Restore writes bypass caching and logging: they come from the changelog.
class restorable {
public:
    virtual ~restorable() = default;
    // Before the first restore_batch: a persistent store may turn its write-ahead log
    // off, since the changelog is the source of truth.
    virtual void begin_restore() {}
    virtual void restore_batch(std::span<const changelog_entry> batch) = 0;
    // After the last batch: make restored data durable (flush memtables) and go back to
    // normal writes.
    virtual void end_restore() {}
    // The changelog offset (next offset to read) the local data reflects, if known.
    // In-memory stores start empty, so they have none.
    virtual std::optional<int64_t> checkpoint() = 0;
    // Records that the local data reflects the changelog up to (not including)
    // `next_offset`. Persistent stores keep it inside their own data (RocksDB), so data
    // and checkpoint cannot disagree after a crash.
    virtual void write_checkpoint(int64_t next_offset) = 0;
    // Drops every record and the checkpoint (before a restore from scratch).
    virtual void wipe() = 0;
    // Exactly-once: from now on, writes (not restores) are staged in memory and reach the
    // data only through commit(); reads see them. An abort or a crash therefore leaves the
    // store at its last commit. Stores that keep nothing across a restart (in-memory ones,
    // rebuilt from the changelog) need not stage.
    virtual void stage_writes() {}
    // The transaction's writes are complete (it is being committed): writes from now on
    // are staged apart, for the next transaction. Only one transaction may be sealed and
    // not yet committed.
    virtual void seal() {}
    // The sealed transaction committed: applies its writes (if staging) together with
    // `checkpoint` (if given), atomically. Writes staged after the seal stay staged.
    virtual void commit_sealed(std::optional<int64_t> checkpoint) {
        if (checkpoint) {
            write_checkpoint(*checkpoint);
        }
    }
    // The transaction committed: applies everything staged so far with `checkpoint`.
    void commit(std::optional<int64_t> checkpoint) {
        seal();
        commit_sealed(checkpoint);
    }
};

struct store_context {
    // The task's state directory; a persistent store keeps its files in
    // <directory>/<store name>/. Empty for stores that are only in memory.
    std::filesystem::path directory;
    // Shared RocksDB block cache and write-buffer manager (one per application); null:
    // the store uses RocksDB's defaults, sized for tests.
    rocksdb_environment* rocksdb = nullptr;
    // Null: nothing is logged (a logging layer then throws at init, since its changelog
    // would silently be lost).
    changelog_writer* changelog = nullptr;
    // The memory budget caching layers share (one per stream thread); null: no caching
    // (caching layers pass writes straight through).
    cache_budget* cache = nullptr;
    // Timestamp for changelog records: the current record's, or stream time inside a
    // punctuator. Must be set when `changelog` is.
    std::function<int64_t()> timestamp;
    // The task's stream time (-1 while unknown), or empty. Segmented stores never move
    // their own stream time past it (stream_time_cap), so they drop a segment only once
    // the task's stream time has left it behind, not because one record ran ahead: a
    // window still open for a slower upstream task's records (see the runtime's
    // fan_in_watermark) keeps its data.
    std::function<int64_t()> stream_time;
};

// How far a segmented store may move its observed stream time for an entry of `time`: to
// the entry's time, but never past the task's stream time (store_context::stream_time).
// Without a task time (tools, unit tests of stores) entries move it as they come, as in
// Kafka Streams.
class stream_time_cap {
public:
    void bind(std::function<int64_t()> task_time) { _task_time = std::move(task_time); }
    int64_t apply(int64_t time) const { return _task_time ? std::min(time, _task_time()) : time; }

private:
    std::function<int64_t()> _task_time;
};

} // namespace brook::state
