#pragma once

// rocksdb_environment: the RocksDB resources that every store of one application shares,
// so that memory is bounded by configuration and not by the number of partitions (as
// Kafka Streams' BoundedMemoryRocksDBConfig): one LRU block cache (which also holds index
// and filter blocks) and one write-buffer manager that caps the memtables of all stores
// together. It also holds the tuning every store gets (memtable size, background jobs,
// compression), so that stores fill their rocksdb::Options from one place.
//
// Lifecycle: created once per application (by the runtime, from config) before any store
// opens, and destroyed after every store using it has closed; stores keep only a raw
// pointer (store_context::rocksdb). Stores given none use process_default().
// Threading: immutable after construction; RocksDB's cache and write-buffer manager are
// thread-safe, so stores of every stream thread share one instance.
// Ownership: owns the shared cache, write-buffer manager and table factory; each DB that
// was configured from it holds a shared_ptr to them as well.

#include <cstddef>
#include <memory>

#include <rocksdb/cache.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/write_buffer_manager.h>

namespace brook::state {

class rocksdb_environment {
public:
    struct settings {
        // The LRU block cache shared by every store (data, index and filter blocks).
        size_t block_cache_bytes = size_t{64} << 20;
        // The cap on memtable memory across every store; reaching it flushes the largest
        // memtables early.
        size_t write_buffer_manager_bytes = size_t{64} << 20;
        // One memtable's size, per column family (a window/session segment is one).
        size_t write_buffer_size = size_t{8} << 20;
        int max_write_buffer_number = 3;
        // Flush and compaction jobs per DB; RocksDB runs them on its process-wide pools.
        int max_background_jobs = 2;
        // LZ4 when this RocksDB was built with it, else none. Off: never compress.
        bool compression = true;
        // Charge memtable memory to the block cache too, so block_cache_bytes bounds both
        // (Kafka Streams' bounded-memory recipe). Off: the bound is the sum of both sizes.
        bool charge_write_buffers_to_block_cache = false;
    };

    // The small sizes process_default() uses: enough for tests and a few stores.
    static settings small_settings();

    // Throws std::invalid_argument when a size is zero or negative.
    explicit rocksdb_environment(settings config);
    rocksdb_environment(const rocksdb_environment&) = delete;
    rocksdb_environment& operator=(const rocksdb_environment&) = delete;

    // The environment of stores opened without one (store_context::rocksdb null); built
    // on first use with small_settings() and kept for the life of the process.
    static rocksdb_environment& process_default();

    const settings& config() const { return _config; }
    // DB-wide options: shared write-buffer manager, background jobs, info log limits.
    // The caller adds its own semantics (create_if_missing, atomic_flush, ...).
    void configure(rocksdb::DBOptions& options) const;
    // Per column family options: memtable size, compression, the shared block-based
    // table factory (block cache, bloom filter, cached index and filter blocks).
    void configure(rocksdb::ColumnFamilyOptions& options) const;
    // Both of the above into one rocksdb::Options (for DestroyDB and single-family DBs).
    void configure(rocksdb::Options& options) const;

    const std::shared_ptr<rocksdb::Cache>& block_cache() const { return _block_cache; }
    const std::shared_ptr<rocksdb::WriteBufferManager>& write_buffer_manager() const {
        return _write_buffer_manager;
    }
    rocksdb::CompressionType compression() const { return _compression; }

private:
    settings _config;
    std::shared_ptr<rocksdb::Cache> _block_cache;
    std::shared_ptr<rocksdb::WriteBufferManager> _write_buffer_manager;
    std::shared_ptr<rocksdb::TableFactory> _table_factory;
    rocksdb::CompressionType _compression;
};

} // namespace brook::state
