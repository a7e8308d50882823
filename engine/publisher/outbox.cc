#include "engine/publisher/outbox.h"

#include <array>
#include <iostream>
#include <utility>

#include <fmt/format.h>
#include <rocksdb/write_batch.h>

namespace brook::publisher {

namespace {

constexpr char event_prefix = 'e';
constexpr char quarantine_prefix = 'q';
constexpr std::string_view reserved_key = "mseq-reserved";
// Sequences reserved per meta write: one extra key per 65,536 appends.
constexpr uint64_t reservation_block = uint64_t{1} << 16;

std::string be64(uint64_t v) {
    std::string out(8, '\0');
    for (int i = 7; i >= 0; --i) {
        out[static_cast<size_t>(i)] = static_cast<char>(v & 0xff);
        v >>= 8;
    }
    return out;
}

uint64_t read_be64(std::string_view in) {
    uint64_t v = 0;
    for (size_t i = 0; i < 8 && i < in.size(); ++i) {
        v = (v << 8) | static_cast<uint8_t>(in[i]);
    }
    return v;
}

std::string entry_key(char prefix, uint64_t sequence) {
    std::string key(1, prefix);
    key += be64(sequence);
    return key;
}

rocksdb::Slice slice(std::string_view s) {
    return {s.data() == nullptr ? "" : s.data(), s.size()};
}

// What to tell the operator for a failed RocksDB call.
std::string hint(const rocksdb::Status& status) {
    if (status.IsIOError() && status.ToString().find("lock") != std::string::npos) {
        return "another process has this outbox open: only one publisher may use an outbox "
               "directory at a time; stop the other one or choose another directory";
    }
    if (status.IsCorruption()) {
        return "the outbox files are damaged: move the directory aside (it still holds the "
               "undelivered events) and start with an empty one";
    }
    if (status.IsIncomplete()) {
        return "RocksDB is throttling writes (compaction is behind); retry shortly";
    }
    if (status.IsIOError()) {
        return "check free disk space and the directory's permissions";
    }
    return "see RocksDB's LOG file in the directory";
}

} // namespace

outbox::outbox(outbox_options options) : _options(std::move(options)) {
    if (_options.path.empty()) {
        throw outbox_error("outbox: no directory given; set the outbox directory");
    }
    std::error_code ec;
    std::filesystem::create_directories(_options.path, ec);
    if (ec) {
        throw outbox_error(fmt::format("outbox {}: cannot create the directory: {}",
                                       _options.path.string(), ec.message()));
    }
    rocksdb::Options db_options;
    db_options.create_if_missing = true;
    // A queue: small memtables flushed often keep recovery after a crash short, and the
    // tombstones of delivered events are compacted away soon.
    db_options.write_buffer_size = size_t{8} << 20;
    db_options.max_write_buffer_number = 4;
    db_options.max_total_wal_size = uint64_t{64} << 20;
    db_options.keep_log_file_num = 3;
    db_options.max_log_file_size = size_t{4} << 20;
    // Appends fail rather than stall (no_slowdown below); make stalls rarer than default.
    db_options.level0_slowdown_writes_trigger = 40;
    db_options.level0_stop_writes_trigger = 60;
    rocksdb::DB* raw = nullptr;
    const rocksdb::Status status = rocksdb::DB::Open(db_options, _options.path.string(), &raw);
    if (!status.ok()) {
        fail("open", status);
    }
    _db.reset(raw);

    _append_options.sync = _options.sync_every_write;
    _append_options.no_slowdown = true;
    _write_options.sync = false;

    std::string reserved;
    const rocksdb::Status meta = _db->Get(rocksdb::ReadOptions(), slice(reserved_key), &reserved);
    if (!meta.ok() && !meta.IsNotFound()) {
        fail("read the sequence reservation", meta);
    }
    _reserved = meta.ok() ? read_be64(reserved) : 0;
    // Count the pending entries and find the highest sequence.
    uint64_t count = 0;
    uint64_t highest = 0;
    {
        reader r = read_from(0);
        for (; r.valid(); r.next()) {
            ++count;
            highest = r.sequence();
        }
        r.check();
    }
    _size = count;
    _next = std::max(count > 0 ? highest + 1 : 0, _reserved);
    uint64_t quarantined = 0;
    {
        std::unique_ptr<rocksdb::Iterator> it(_db->NewIterator(rocksdb::ReadOptions()));
        for (it->Seek(slice(std::string(1, quarantine_prefix)));
             it->Valid() && !it->key().empty() && it->key()[0] == quarantine_prefix; it->Next()) {
            ++quarantined;
        }
    }
    _quarantined = quarantined;
}

outbox::~outbox() {
    if (_db) {
        // A clean close: whatever the WAL holds reaches the disk.
        const rocksdb::Status status = _db->SyncWAL();
        if (!status.ok()) {
            std::cerr << fmt::format("brook: outbox {}: syncing the log at close failed: {}\n",
                                     _options.path.string(), status.ToString());
        }
        (void)_db->Close();
    }
}

void outbox::fail(std::string_view action, const rocksdb::Status& status) const {
    throw outbox_error(fmt::format("outbox {}: cannot {}: {}; {}", _options.path.string(), action,
                                   status.ToString(), hint(status)));
}

uint64_t outbox::append(std::string_view record,
                        const std::function<void(uint64_t)>& before_write) {
    std::lock_guard lock(_append_mutex);
    const uint64_t sequence = _next;
    rocksdb::WriteBatch batch;
    batch.Put(slice(entry_key(event_prefix, sequence)), slice(record));
    uint64_t reserved = _reserved;
    if (sequence >= _reserved) {
        reserved = sequence + reservation_block;
        batch.Put(slice(reserved_key), slice(be64(reserved)));
    }
    if (before_write) {
        before_write(sequence);
    }
    const rocksdb::Status status = _db->Write(_append_options, &batch);
    if (!status.ok()) {
        fail("append an event", status);
    }
    _next = sequence + 1;
    _reserved = reserved;
    _size.fetch_add(1, std::memory_order_relaxed);
    return sequence;
}

std::optional<std::string> outbox::get(uint64_t sequence) const {
    std::string value;
    const rocksdb::Status status =
        _db->Get(rocksdb::ReadOptions(), slice(entry_key(event_prefix, sequence)), &value);
    if (status.IsNotFound()) {
        return std::nullopt;
    }
    if (!status.ok()) {
        fail("read an event", status);
    }
    return value;
}

void outbox::update(uint64_t sequence, std::string_view record) {
    const rocksdb::Status status =
        _db->Put(_write_options, slice(entry_key(event_prefix, sequence)), slice(record));
    if (!status.ok()) {
        fail("update an event", status);
    }
}

void outbox::remove(std::span<const uint64_t> sequences) {
    if (sequences.empty()) {
        return;
    }
    rocksdb::WriteBatch batch;
    for (const uint64_t sequence : sequences) {
        batch.Delete(slice(entry_key(event_prefix, sequence)));
    }
    const rocksdb::Status status = _db->Write(_write_options, &batch);
    if (!status.ok()) {
        fail("delete delivered events", status);
    }
    _size.fetch_sub(sequences.size(), std::memory_order_relaxed);
}

void outbox::quarantine(uint64_t sequence, std::string_view bytes) {
    rocksdb::WriteBatch batch;
    batch.Delete(slice(entry_key(event_prefix, sequence)));
    batch.Put(slice(entry_key(quarantine_prefix, sequence)), slice(bytes));
    const rocksdb::Status status = _db->Write(_write_options, &batch);
    if (!status.ok()) {
        fail("quarantine an unreadable event", status);
    }
    _size.fetch_sub(1, std::memory_order_relaxed);
    _quarantined.fetch_add(1, std::memory_order_relaxed);
}

outbox::reader outbox::read_from(uint64_t from) const {
    auto upper = std::make_unique<std::string>(1, static_cast<char>(event_prefix + 1));
    auto bound = std::make_unique<rocksdb::Slice>(*upper);
    rocksdb::ReadOptions read_options;
    read_options.iterate_upper_bound = bound.get();
    std::unique_ptr<rocksdb::Iterator> it(_db->NewIterator(read_options));
    it->Seek(slice(entry_key(event_prefix, from)));
    return reader(std::move(upper), std::move(bound), std::move(it), *this);
}

uint64_t outbox::first_sequence() const {
    // The next sequence before the snapshot: an append racing with this call either is in
    // the snapshot or gets a sequence >= `next`, so the answer never passes over it.
    const uint64_t next = next_sequence();
    reader r = read_from(0);
    if (r.valid()) {
        return r.sequence();
    }
    r.check();
    return next;
}

uint64_t outbox::next_sequence() const {
    std::lock_guard lock(_append_mutex);
    return _next;
}

void outbox::sync() {
    const rocksdb::Status status = _db->SyncWAL();
    if (!status.ok()) {
        fail("fsync the write-ahead log", status);
    }
}

outbox::reader::reader(std::unique_ptr<std::string> upper_bound,
                       std::unique_ptr<rocksdb::Slice> bound_slice,
                       std::unique_ptr<rocksdb::Iterator> iterator, const outbox& owner)
    : _upper_bound(std::move(upper_bound)), _bound_slice(std::move(bound_slice)),
      _iterator(std::move(iterator)), _owner(&owner) {}

uint64_t outbox::reader::sequence() const {
    const rocksdb::Slice key = _iterator->key();
    return read_be64(std::string_view(key.data() + 1, key.size() - 1));
}

std::string_view outbox::reader::record() const {
    const rocksdb::Slice value = _iterator->value();
    return {value.data(), value.size()};
}

void outbox::reader::check() const {
    const rocksdb::Status status = _iterator->status();
    if (!status.ok()) {
        _owner->fail("read the pending events", status);
    }
}

} // namespace brook::publisher
