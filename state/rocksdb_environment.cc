#include "state/rocksdb_environment.h"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>
#include <rocksdb/convenience.h>
#include <rocksdb/filter_policy.h>

namespace brook::state {

namespace {

rocksdb::CompressionType pick_compression(bool wanted) {
    if (!wanted) {
        return rocksdb::kNoCompression;
    }
    const auto supported = rocksdb::GetSupportedCompressions();
    const bool has_lz4 =
        std::find(supported.begin(), supported.end(), rocksdb::kLZ4Compression) != supported.end();
    return has_lz4 ? rocksdb::kLZ4Compression : rocksdb::kNoCompression;
}

void require_positive(size_t value, const char* what) {
    if (value == 0) {
        throw std::invalid_argument(
            fmt::format("rocksdb_environment: {} is 0; give it a size in bytes", what));
    }
}

} // namespace

rocksdb_environment::settings rocksdb_environment::small_settings() {
    settings s;
    s.block_cache_bytes = size_t{8} << 20;
    s.write_buffer_manager_bytes = size_t{32} << 20;
    s.write_buffer_size = size_t{1} << 20;
    return s;
}

rocksdb_environment::rocksdb_environment(settings config)
    : _config(config), _compression(pick_compression(config.compression)) {
    require_positive(_config.block_cache_bytes, "block_cache_bytes");
    require_positive(_config.write_buffer_manager_bytes, "write_buffer_manager_bytes");
    require_positive(_config.write_buffer_size, "write_buffer_size");
    if (_config.max_background_jobs < 1 || _config.max_write_buffer_number < 2) {
        throw std::invalid_argument(
            fmt::format("rocksdb_environment: max_background_jobs ({}) must be >= 1 and "
                        "max_write_buffer_number ({}) >= 2",
                        _config.max_background_jobs, _config.max_write_buffer_number));
    }

    // Index and filter blocks go into the cache with high priority so that they count
    // against the bound but are the last to be evicted.
    rocksdb::LRUCacheOptions cache_options;
    cache_options.capacity = _config.block_cache_bytes;
    cache_options.num_shard_bits = -1; // RocksDB picks from the capacity
    cache_options.high_pri_pool_ratio = 0.1;
    _block_cache = rocksdb::NewLRUCache(cache_options);

    _write_buffer_manager = std::make_shared<rocksdb::WriteBufferManager>(
        _config.write_buffer_manager_bytes,
        _config.charge_write_buffers_to_block_cache ? _block_cache : nullptr);

    rocksdb::BlockBasedTableOptions table;
    table.block_cache = _block_cache;
    table.cache_index_and_filter_blocks = true;
    table.cache_index_and_filter_blocks_with_high_priority = true;
    table.pin_l0_filter_and_index_blocks_in_cache = true;
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    table.format_version = 5;
    _table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
}

rocksdb_environment& rocksdb_environment::process_default() {
    // Leaked on purpose: stores closed during static destruction may still reach it.
    static rocksdb_environment* environment = new rocksdb_environment(small_settings());
    return *environment;
}

void rocksdb_environment::configure(rocksdb::DBOptions& options) const {
    options.write_buffer_manager = _write_buffer_manager;
    options.max_background_jobs = _config.max_background_jobs;
    // Many small DBs (one per store per task, one per segment of a window store): keep
    // their info logs short, and bound the table files each keeps open. Unbounded (-1,
    // RocksDB's default), one instance holding 14 tasks of two segmented stores ran out of
    // file descriptors (20,000) on a backlog while compactions lagged; beyond 128, table
    // files are opened as read, through RocksDB's table cache.
    options.keep_log_file_num = 2;
    options.max_open_files = 128;
    options.max_log_file_size = size_t{1} << 20;
}

void rocksdb_environment::configure(rocksdb::ColumnFamilyOptions& options) const {
    options.write_buffer_size = _config.write_buffer_size;
    options.max_write_buffer_number = _config.max_write_buffer_number;
    options.compression = _compression;
    options.table_factory = _table_factory;
}

void rocksdb_environment::configure(rocksdb::Options& options) const {
    configure(static_cast<rocksdb::DBOptions&>(options));
    configure(static_cast<rocksdb::ColumnFamilyOptions&>(options));
}

} // namespace brook::state
