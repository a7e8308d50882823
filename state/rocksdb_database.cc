#include "state/rocksdb_database.h"

#include <algorithm>
#include <stdexcept>
#include <system_error>
#include <utility>

#include <fmt/format.h>
#include <rocksdb/options.h>

#include "base/log.h"
#include "state/key_encoding.h"
#include "state/rocksdb_environment.h"
#include "state/store_context.h"

namespace brook::state {

namespace {

// Keeps an iterator over staged (or sealed) writes inside an upper bound. RocksDB 7.8's
// iterator over a WriteBatchWithIndex applies iterate_upper_bound to the base data only,
// not to the batch's own entries, so a range read under exactly-once saw the staged
// writes of every later key (a window fetch for one key returned other keys' windows).
class bounded_iterator final : public rocksdb::Iterator {
public:
    bounded_iterator(std::unique_ptr<rocksdb::Iterator> inner, const rocksdb::Slice* bound)
        : _inner(std::move(inner)), _bound(bound) {}

    bool Valid() const override { return _inner->Valid() && _inner->key().compare(*_bound) < 0; }
    void SeekToFirst() override { _inner->SeekToFirst(); }
    void SeekToLast() override {
        // The last key below the bound.
        _inner->SeekForPrev(*_bound);
        if (_inner->Valid() && _inner->key().compare(*_bound) >= 0) {
            _inner->Prev();
        }
    }
    void Seek(const rocksdb::Slice& target) override { _inner->Seek(target); }
    void SeekForPrev(const rocksdb::Slice& target) override {
        if (target.compare(*_bound) >= 0) {
            SeekToLast();
            return;
        }
        _inner->SeekForPrev(target);
    }
    void Next() override { _inner->Next(); }
    void Prev() override { _inner->Prev(); }
    rocksdb::Slice key() const override { return _inner->key(); }
    rocksdb::Slice value() const override { return _inner->value(); }
    rocksdb::Status status() const override { return _inner->status(); }

private:
    std::unique_ptr<rocksdb::Iterator> _inner;
    const rocksdb::Slice* _bound; // owned by the cursor, which outlives this iterator
};

// What the operator should do about a failed status, in the words of the usual causes.
std::string_view hint_for(const rocksdb::Status& status) {
    const std::string text = status.ToString();
    if (status.IsIOError() &&
        (text.find("lock") != std::string::npos || text.find("LOCK") != std::string::npos)) {
        return "another process (or another instance of this store in this process) holds the "
               "lock: is a second instance running with the same state.dir?";
    }
    if (status.IsCorruption()) {
        return "the local state is corrupt: stop the instance and delete this store's "
               "directory; it is rebuilt from the changelog";
    }
    if (status.IsIOError()) {
        return "check that state.dir is writable and the disk is not full";
    }
    if (status.IsInvalidArgument() || status.IsNotSupported()) {
        return "the directory holds files not written by this Brook store: delete it to "
               "restore from the changelog";
    }
    return "see RocksDB's LOG file in the store directory";
}

} // namespace

rocksdb_database::rocksdb_database(std::string store_name, rocksdb_environment& environment)
    : _store_name(std::move(store_name)), _environment(environment) {
    // The changelog is the source of truth and atomic flush keeps what is on disk a
    // consistent prefix, so a write-ahead log would only cost time.
    _write_options.disableWAL = true;
}

rocksdb_database::~rocksdb_database() {
    close();
}

void rocksdb_database::open(const std::filesystem::path& path) {
    if (is_open()) {
        throw state_error(fmt::format("store '{}' at {} is already open: init() was called twice",
                                      _store_name, path.string()));
    }
    _path = path;
    std::error_code ec;
    std::filesystem::create_directories(_path, ec);
    if (ec) {
        throw state_error(fmt::format("store '{}': cannot create directory {}: {}; check that "
                                      "state.dir is writable",
                                      _store_name, _path.string(), ec.message()));
    }

    rocksdb::DBOptions options;
    _environment.configure(options);
    options.create_if_missing = true;
    options.create_missing_column_families = true;
    options.atomic_flush = true;

    std::vector<std::string> names;
    if (std::filesystem::exists(_path / "CURRENT")) {
        const rocksdb::Status listed = rocksdb::DB::ListColumnFamilies(options, _path, &names);
        if (!listed.ok()) {
            fail("list the column families of", listed);
        }
    } else {
        names.push_back(rocksdb::kDefaultColumnFamilyName);
    }
    if (std::find(names.begin(), names.end(), meta_family_name) == names.end()) {
        names.emplace_back(meta_family_name);
    }

    rocksdb::ColumnFamilyOptions family_options;
    _environment.configure(family_options);
    std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
    descriptors.reserve(names.size());
    for (const auto& name : names) {
        descriptors.emplace_back(name, family_options);
    }

    rocksdb::DB* raw = nullptr;
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    const rocksdb::Status opened = rocksdb::DB::Open(options, _path, descriptors, &handles, &raw);
    if (!opened.ok()) {
        fail("open", opened);
    }
    _db.reset(raw);
    for (size_t i = 0; i < handles.size(); ++i) {
        handle_ptr handle(handles[i]);
        if (names[i] == rocksdb::kDefaultColumnFamilyName) {
            _default = std::move(handle);
        } else if (names[i] == meta_family_name) {
            _meta = std::move(handle);
        } else {
            _families.emplace(names[i], std::move(handle));
        }
    }
    if (_staging) {
        _staged =
            std::make_unique<rocksdb::WriteBatchWithIndex>(rocksdb::BytewiseComparator(), 0, true);
    }
}

void rocksdb_database::release() noexcept {
    // What is staged and not committed is dropped: the store stays at its last commit.
    _staged.reset();
    _sealed.reset();
    _pending_drops.clear();
    _sealed_drops.clear();
    _families.clear();
    _meta.reset();
    _default.reset();
    if (_db) {
        const rocksdb::Status closed = _db->Close();
        if (!closed.ok()) {
            log_error(fmt::format("store '{}' at {}: closing RocksDB failed: {}", _store_name,
                                  _path.string(), closed.ToString()));
        }
        _db.reset();
    }
}

void rocksdb_database::close() noexcept {
    if (!is_open()) {
        return;
    }
    try {
        flush_memtables();
    } catch (const std::exception& e) {
        // Unflushed writes are lost, but the checkpoint is lost with them (atomic flush),
        // so the next restore replays them from the changelog.
        log_error(e.what());
    }
    release();
}

void rocksdb_database::destroy() {
    if (is_open()) {
        // Everything is about to be deleted: skip the flush RocksDB would do at shutdown.
        // Best effort: a failure here only costs the time of that flush.
        (void)_db->SetDBOptions({{"avoid_flush_during_shutdown", "true"}});
        release();
    }
    if (_path.empty()) {
        return;
    }
    rocksdb::Options options;
    _environment.configure(options);
    const rocksdb::Status destroyed = rocksdb::DestroyDB(_path, options);
    if (!destroyed.ok()) {
        fail("delete the files of", destroyed);
    }
    std::error_code ec;
    std::filesystem::remove_all(_path, ec);
    if (ec) {
        throw state_error(fmt::format("store '{}': cannot delete directory {}: {}; delete it by "
                                      "hand before restarting",
                                      _store_name, _path.string(), ec.message()));
    }
}

std::vector<std::string> rocksdb_database::family_names() const {
    std::vector<std::string> names;
    names.reserve(_families.size());
    for (const auto& [name, handle] : _families) {
        names.push_back(name);
    }
    return names;
}

rocksdb::ColumnFamilyHandle* rocksdb_database::find_family(const std::string& name) const {
    auto it = _families.find(name);
    return it == _families.end() ? nullptr : it->second.get();
}

rocksdb::ColumnFamilyHandle* rocksdb_database::create_family(const std::string& name) {
    rocksdb::ColumnFamilyOptions options;
    _environment.configure(options);
    rocksdb::ColumnFamilyHandle* raw = nullptr;
    const rocksdb::Status created = _db->CreateColumnFamily(options, name, &raw);
    if (!created.ok()) {
        fail(fmt::format("create column family '{}' in", name), created);
    }
    handle_ptr handle(raw);
    auto* result = handle.get();
    _families[name] = std::move(handle);
    return result;
}

void rocksdb_database::drop_family(const std::string& name) {
    auto it = _families.find(name);
    if (it == _families.end()) {
        return;
    }
    if (_staging) {
        // Dropped with the commit of the transaction that expired it: an abort keeps the
        // segment, like the stream time it belongs to.
        _pending_drops.push_back(std::move(it->second));
        _families.erase(it);
        return;
    }
    const rocksdb::Status dropped = _db->DropColumnFamily(it->second.get());
    if (!dropped.ok()) {
        fail(fmt::format("drop column family '{}' of", name), dropped);
    }
    // RocksDB deletes the family's files once its last handle is gone.
    _families.erase(it);
}

rocksdb::ColumnFamilyHandle* rocksdb_database::family_by_id(uint32_t id) const {
    if (_default && _default->GetID() == id) {
        return _default.get();
    }
    if (_meta && _meta->GetID() == id) {
        return _meta.get();
    }
    for (const auto& [name, handle] : _families) {
        if (handle->GetID() == id) {
            return handle.get();
        }
    }
    return nullptr;
}

// Replays a WriteBatch into the staged batch.
class rocksdb_database::stage_handler final : public rocksdb::WriteBatch::Handler {
public:
    explicit stage_handler(rocksdb_database& db) : _db(db) {}
    rocksdb::Status PutCF(uint32_t id, const rocksdb::Slice& key,
                          const rocksdb::Slice& value) override {
        auto* family = _db.family_by_id(id);
        return family == nullptr ? rocksdb::Status::InvalidArgument("unknown column family")
                                 : _db._staged->Put(family, key, value);
    }
    rocksdb::Status DeleteCF(uint32_t id, const rocksdb::Slice& key) override {
        auto* family = _db.family_by_id(id);
        return family == nullptr ? rocksdb::Status::InvalidArgument("unknown column family")
                                 : _db._staged->Delete(family, key);
    }

private:
    rocksdb_database& _db;
};

void rocksdb_database::stage_writes() {
    _staging = true;
    if (is_open() && !_staged) {
        _staged =
            std::make_unique<rocksdb::WriteBatchWithIndex>(rocksdb::BytewiseComparator(), 0, true);
    }
}

void rocksdb_database::seal_staged() {
    if (!_staged) {
        return;
    }
    if (_sealed) {
        throw std::logic_error(fmt::format(
            "store '{}': a transaction was sealed while the last sealed one is not committed",
            _store_name));
    }
    if (_staged->GetWriteBatch()->Count() == 0 && _pending_drops.empty()) {
        return; // nothing to seal
    }
    _sealed = std::exchange(_staged, std::make_unique<rocksdb::WriteBatchWithIndex>(
                                         rocksdb::BytewiseComparator(), 0, true));
    _sealed_drops = std::exchange(_pending_drops, {});
}

void rocksdb_database::commit_sealed(std::optional<int64_t> checkpoint) {
    if (!_staging) {
        if (checkpoint) {
            write_meta(checkpoint_key, *checkpoint);
        }
        return;
    }
    rocksdb::WriteBatch checkpoint_only;
    rocksdb::WriteBatch* batch = _sealed ? _sealed->GetWriteBatch() : &checkpoint_only;
    if (checkpoint) {
        std::string encoded;
        append_u64_be(encoded, static_cast<uint64_t>(*checkpoint));
        const rocksdb::Status added = batch->Put(_meta.get(), to_slice(checkpoint_key), encoded);
        if (!added.ok()) {
            fail("stage the checkpoint of", added);
        }
    }
    if (batch->Count() > 0) {
        // The one write per transaction goes through the write-ahead log (not synced), so
        // a killed process keeps every committed transaction and its restart replays only
        // the changelog after the last one. Writes without the log would be lost back to
        // the last memtable flush, and the restart would replay far more.
        rocksdb::WriteOptions durable = _write_options;
        durable.disableWAL = false;
        const rocksdb::Status written = _db->Write(durable, batch);
        if (!written.ok()) {
            fail("commit staged writes to", written);
        }
    }
    _sealed.reset();
    for (auto& handle : _sealed_drops) {
        const rocksdb::Status dropped = _db->DropColumnFamily(handle.get());
        if (!dropped.ok()) {
            fail("drop an expired segment of", dropped);
        }
    }
    _sealed_drops.clear();
}

void rocksdb_database::commit_staged(std::optional<int64_t> checkpoint) {
    seal_staged();
    commit_sealed(checkpoint);
}

std::optional<std::string> rocksdb_database::get(rocksdb::ColumnFamilyHandle* family,
                                                 std::string_view key) {
    std::string value;
    if (_sealed && _staged->GetWriteBatch()->Count() > 0) {
        // The next transaction's writes first: an index seek, since GetFromBatch() does not
        // tell a removed key from an absent one.
        const std::unique_ptr<rocksdb::WBWIIterator> newer(_staged->NewIterator(family));
        newer->Seek(to_slice(key));
        if (newer->Valid() && to_view(newer->Entry().key) == key) {
            const rocksdb::WriteEntry entry = newer->Entry();
            if (entry.type == rocksdb::kPutRecord) {
                return std::string(to_view(entry.value));
            }
            if (entry.type == rocksdb::kDeleteRecord) {
                return std::nullopt;
            }
            fail("read from", rocksdb::Status::NotSupported("unexpected staged entry type"));
        }
    }
    rocksdb::WriteBatchWithIndex* staged = _sealed ? _sealed.get() : _staged.get();
    const rocksdb::Status read =
        staged ? staged->GetFromBatchAndDB(_db.get(), rocksdb::ReadOptions(), family, to_slice(key),
                                           &value)
               : _db->Get(rocksdb::ReadOptions(), family, to_slice(key), &value);
    if (read.IsNotFound()) {
        return std::nullopt;
    }
    if (!read.ok()) {
        fail("read from", read);
    }
    return value;
}

void rocksdb_database::write(rocksdb::WriteBatch& batch) {
    if (_staged) {
        stage_handler handler(*this);
        const rocksdb::Status staged = batch.Iterate(&handler);
        if (!staged.ok()) {
            fail("stage a write to", staged);
        }
        return;
    }
    write_direct(batch);
}

void rocksdb_database::write_direct(rocksdb::WriteBatch& batch) {
    const rocksdb::Status written = _db->Write(_write_options, &batch);
    if (!written.ok()) {
        fail("write to", written);
    }
}

void rocksdb_database::put(rocksdb::ColumnFamilyHandle* family, std::string_view key,
                           std::string_view value) {
    const rocksdb::Status written =
        _staged ? _staged->Put(family, to_slice(key), to_slice(value))
                : _db->Put(_write_options, family, to_slice(key), to_slice(value));
    if (!written.ok()) {
        fail("write to", written);
    }
}

void rocksdb_database::remove(rocksdb::ColumnFamilyHandle* family, std::string_view key) {
    const rocksdb::Status written = _staged ? _staged->Delete(family, to_slice(key))
                                            : _db->Delete(_write_options, family, to_slice(key));
    if (!written.ok()) {
        fail("delete from", written);
    }
}

rocksdb_database::cursor rocksdb_database::iterate(rocksdb::ColumnFamilyHandle* family,
                                                   std::string_view upper_bound) {
    rocksdb::ReadOptions options;
    std::unique_ptr<std::string> bound;
    std::unique_ptr<rocksdb::Slice> bound_slice;
    if (!upper_bound.empty()) {
        bound = std::make_unique<std::string>(upper_bound);
        bound_slice = std::make_unique<rocksdb::Slice>(*bound);
        options.iterate_upper_bound = bound_slice.get();
    }
    std::unique_ptr<rocksdb::Iterator> iterator(_db->NewIterator(options, family));
    // Staged writes over sealed ones over the committed data; each base iterator is owned
    // by the iterator over it.
    if (_sealed) {
        iterator.reset(_sealed->NewIteratorWithBase(family, iterator.release(), &options));
    }
    if (_staged && _staged->GetWriteBatch()->Count() > 0) {
        iterator.reset(_staged->NewIteratorWithBase(family, iterator.release(), &options));
    }
    if (bound_slice && (_sealed || (_staged && _staged->GetWriteBatch()->Count() > 0))) {
        iterator = std::make_unique<bounded_iterator>(std::move(iterator), bound_slice.get());
    }
    return cursor(std::move(bound), std::move(bound_slice), std::move(iterator), *this);
}

void rocksdb_database::cursor::check() const {
    const rocksdb::Status status = _iterator->status();
    if (!status.ok()) {
        _owner->fail("iterate over", status);
    }
}

std::optional<int64_t> rocksdb_database::read_meta(std::string_view key) {
    const auto value = get(_meta.get(), key);
    if (!value) {
        return std::nullopt;
    }
    if (value->size() != 8) {
        throw state_error(fmt::format(
            "store '{}' at {}: metadata '{}' has {} bytes, not 8; delete the directory to "
            "restore the store from its changelog",
            _store_name, _path.string(), key, value->size()));
    }
    return static_cast<int64_t>(read_u64_be(*value, 0));
}

void rocksdb_database::put_meta(rocksdb::WriteBatch& batch, std::string_view key, int64_t value) {
    std::string encoded;
    encoded.reserve(8);
    append_u64_be(encoded, static_cast<uint64_t>(value));
    const rocksdb::Status added = batch.Put(_meta.get(), to_slice(key), encoded);
    if (!added.ok()) {
        fail("prepare a write to", added);
    }
}

void rocksdb_database::write_meta(std::string_view key, int64_t value) {
    rocksdb::WriteBatch batch;
    put_meta(batch, key, value);
    write_direct(batch);
}

void rocksdb_database::flush_memtables() {
    std::vector<rocksdb::ColumnFamilyHandle*> families{_default.get(), _meta.get()};
    for (const auto& [name, handle] : _families) {
        families.push_back(handle.get());
    }
    const rocksdb::Status flushed = _db->Flush(rocksdb::FlushOptions(), families);
    if (!flushed.ok()) {
        fail("flush the memtables of", flushed);
    }
}

uint64_t rocksdb_database::estimate_num_keys(rocksdb::ColumnFamilyHandle* family) {
    uint64_t keys = 0;
    if (!_db->GetIntProperty(family, "rocksdb.estimate-num-keys", &keys)) {
        return 0;
    }
    return keys;
}

void rocksdb_database::fail(std::string_view action, const rocksdb::Status& status) const {
    throw state_error(fmt::format("store '{}': cannot {} RocksDB at {}: {}; {}", _store_name,
                                  action, _path.string(), status.ToString(), hint_for(status)));
}

} // namespace brook::state
