#include "state/rocksdb_key_value_store.h"

#include <fmt/format.h>
#include <rocksdb/write_batch.h>

#include "state/key_encoding.h"
#include "state/rocksdb_environment.h"

namespace brook::state {

rocksdb_key_value_store::rocksdb_key_value_store(std::string name) : _name(std::move(name)) {}

rocksdb_key_value_store::~rocksdb_key_value_store() {
    close();
}

void rocksdb_key_value_store::init(const store_context& context) {
    if (context.directory.empty()) {
        throw state_error(fmt::format("store '{}': a RocksDB store needs a state directory "
                                      "(store_context::directory is empty)",
                                      _name));
    }
    if (_db && _db->is_open()) {
        throw state_error(
            fmt::format("store '{}' is already open: init() was called twice", _name));
    }
    auto& environment = context.rocksdb ? *context.rocksdb : rocksdb_environment::process_default();
    auto db = std::make_unique<rocksdb_database>(_name, environment);
    db->open(context.directory / _name);
    _db = std::move(db);
}

void rocksdb_key_value_store::close() {
    if (_db) {
        _db->close();
    }
}

const std::filesystem::path& rocksdb_key_value_store::path() const {
    static const std::filesystem::path none;
    return _db ? _db->path() : none;
}

rocksdb_database& rocksdb_key_value_store::open_db() {
    if (!_db || !_db->is_open()) {
        throw state_error(fmt::format(
            "store '{}' is not open: call init() before using it, and do not use it after close()",
            _name));
    }
    return *_db;
}

std::optional<std::string> rocksdb_key_value_store::get(std::string_view key) {
    auto& db = open_db();
    return db.get(db.default_family(), key);
}

void rocksdb_key_value_store::put(std::string_view key, std::string_view value) {
    auto& db = open_db();
    db.put(db.default_family(), key, value);
}

void rocksdb_key_value_store::remove(std::string_view key) {
    auto& db = open_db();
    db.remove(db.default_family(), key);
}

void rocksdb_key_value_store::range(std::string_view from, std::string_view to,
                                    const kv_visitor& visit) {
    if (!to.empty() && to <= from) {
        return;
    }
    auto& db = open_db();
    auto cursor = db.iterate(db.default_family(), to);
    for (cursor->Seek(to_slice(from)); cursor->Valid(); cursor->Next()) {
        if (!visit(to_view(cursor->key()), to_view(cursor->value()))) {
            return;
        }
    }
    cursor.check();
}

void rocksdb_key_value_store::reverse_range(std::string_view from, std::string_view to,
                                            const kv_visitor& visit) {
    if (!to.empty() && to <= from) {
        return;
    }
    auto& db = open_db();
    auto cursor = db.iterate(db.default_family(), to);
    for (cursor->SeekToLast(); cursor->Valid() && to_view(cursor->key()) >= from; cursor->Prev()) {
        if (!visit(to_view(cursor->key()), to_view(cursor->value()))) {
            return;
        }
    }
    cursor.check();
}

void rocksdb_key_value_store::prefix_scan(std::string_view prefix, const kv_visitor& visit) {
    range(prefix, prefix_upper_bound(prefix), visit);
}

size_t rocksdb_key_value_store::approximate_size() {
    auto& db = open_db();
    return static_cast<size_t>(db.estimate_num_keys(db.default_family()));
}

void rocksdb_key_value_store::restore_batch(std::span<const changelog_entry> batch) {
    auto& db = open_db();
    rocksdb::WriteBatch write_batch;
    for (const auto& entry : batch) {
        const rocksdb::Status added =
            entry.value
                ? write_batch.Put(db.default_family(), to_slice(entry.key), to_slice(*entry.value))
                : write_batch.Delete(db.default_family(), to_slice(entry.key));
        if (!added.ok()) {
            db.fail("prepare a restore batch for", added);
        }
    }
    db.write_direct(write_batch);
}

void rocksdb_key_value_store::stage_writes() {
    open_db().stage_writes();
}

void rocksdb_key_value_store::seal() {
    open_db().seal_staged();
}

void rocksdb_key_value_store::commit_sealed(std::optional<int64_t> checkpoint) {
    open_db().commit_sealed(checkpoint);
}

void rocksdb_key_value_store::end_restore() {
    open_db().flush_memtables();
}

std::optional<int64_t> rocksdb_key_value_store::checkpoint() {
    return open_db().read_meta(rocksdb_database::checkpoint_key);
}

void rocksdb_key_value_store::write_checkpoint(int64_t next_offset) {
    open_db().write_meta(rocksdb_database::checkpoint_key, next_offset);
}

void rocksdb_key_value_store::wipe() {
    auto& db = open_db();
    const std::filesystem::path path = db.path();
    db.destroy();
    db.open(path);
}

} // namespace brook::state
