#pragma once

// store_cache: the record cache of ONE caching store (key-value, window or session),
// charged against the cache_budget that every caching store of a stream thread shares.
//
// It maps the store's encoded key to {value or pending delete, dirty flag, timestamp of
// the last write} in an ordered std::map, so that range scans can merge it with the
// store below (merge_cursor). Every entry sits on an LRU list; dirty entries also sit on
// a list ordered by when they were first dirtied, which is the order flush() writes them
// down in, so the changelog and the flush listener see a deterministic order.
//
// Writing down (at flush or eviction) goes through the `write_down` function the owning
// caching store gives at construction: it writes to the store below and tells the cache
// flush listener.
//
// Lifecycle: built by a caching store's init() when caching is on; destroyed by its
// close(). Destruction releases the charged bytes and drops every entry WITHOUT writing
// anything down (a close without a commit must not persist uncommitted writes).
// Threading: the owning task's thread only (like cache_budget, no locking).
// Ownership: owns its entries; borrows the budget, which must outlive it.
// Memory: every entry, clean or dirty, is charged (key + value + an estimate of the node
// overhead); flush() keeps written-down entries cached as clean ones, so a later read of
// the key is served from memory.
// Re-entrancy: while a scan (merge_cursor) or a write-down is under way, no entry is
// erased (eviction waits for the next write), so map iterators stay valid. `write_down`
// and the visitors it leads to may read this cache, but must not write to it.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "state/cache_budget.h"
#include "state/key_value_store.h"

namespace brook::state {

// The smallest key greater than every key that starts with `prefix` (the exclusive upper
// bound of a prefix scan); empty when there is none (the prefix is empty or all 0xff).
std::string key_after_prefix(std::string_view prefix);

class store_cache {
public:
    // Writes one dirty entry to the store below; `value` nullopt: delete it there.
    using write_down_fn = std::function<void(
        std::string_view key, std::optional<std::string_view> value, int64_t timestamp)>;

    store_cache(cache_budget& budget, write_down_fn write_down);
    ~store_cache();
    store_cache(const store_cache&) = delete;
    store_cache& operator=(const store_cache&) = delete;

    // The cached value of `key`, marking it most recently used. Null: not cached (ask the
    // store below). Pointing at nullopt: the key is deleted (pending or known absent).
    // The pointer is valid until the next call that changes this cache.
    const std::optional<std::string>* find(std::string_view key);

    // Caches a value just read from the store below, as a clean entry (no-op if `key` is
    // cached already), then evicts while the budget is over. Throws what write_down throws.
    void fill(std::string_view key, std::string_view value);

    // Records a write (`value` nullopt: delete) as a dirty entry stamped `timestamp`,
    // then evicts while the budget is over. Throws what write_down throws.
    void write(std::string_view key, std::optional<std::string_view> value, int64_t timestamp);

    // Whether `key` is cached as a write that has never left this cache: dirty, made by
    // write() (not read from below by fill()) and never written down since. The store
    // below may still hold the key from before it was cached; only the caller can ask.
    bool holds_unwritten(std::string_view key) const;

    // Drops `key`'s entry when holds_unwritten(key) and no scan or write-down is under
    // way, so that nothing of it is ever written down: for a write undone before any
    // flush, when the caller knows the store below does not hold the key. Returns
    // whether it dropped the entry.
    bool discard_unwritten(std::string_view key);

    // Writes every dirty entry down in the order they were first dirtied and marks them
    // clean; drops the deleted ones. Throws what write_down throws (entries written down
    // so far stay clean, the rest stay dirty).
    void flush();

    // Number of cached entries, and of dirty ones.
    size_t size() const { return _entries.size(); }
    size_t dirty_count() const { return _dirty_count; }
    // Bytes this cache has charged to the budget.
    size_t charged_bytes() const { return _charged; }

    // Calls `visit` for every dirty entry (any order). Must not change the cache.
    void for_each_dirty(
        const std::function<void(std::string_view key, const std::optional<std::string>& value)>&
            visit) const;

    class merge_cursor;

private:
    struct entry {
        std::optional<std::string> value;
        int64_t timestamp = -1;
        size_t charge = 0;
        // Index in _dirty_order while dirty; npos while clean.
        size_t dirty_slot = npos;
        // Read from below, or written down since it was cached: its key has reached the
        // store below at some point (see holds_unwritten).
        bool went_below = false;
        // The key, owned by the map node (node addresses are stable).
        const std::string* key = nullptr;
        // LRU list: _lru_head is the least recently used entry.
        entry* lru_prev = nullptr;
        entry* lru_next = nullptr;
    };
    using entry_map = std::map<std::string, entry, std::less<>>;
    static constexpr size_t npos = static_cast<size_t>(-1);

    // Estimate of what one entry costs beyond its key and value bytes: the map node, the
    // entry and the two strings' headers.
    static size_t charge_of(std::string_view key, const std::optional<std::string>& value);

    void lru_unlink(entry& e);
    void lru_push_back(entry& e);
    void touch(entry& e);
    void recharge(entry& e);
    void mark_dirty(entry& e);
    void compact_dirty_order();
    void evict_while_over();
    void erase(entry& e);

    cache_budget& _budget;
    write_down_fn _write_down;
    entry_map _entries;
    entry* _lru_head = nullptr;
    entry* _lru_tail = nullptr;
    // Dirty entries in the order they were first dirtied; null slots were written down
    // early (eviction). Compacted by flush().
    std::vector<entry*> _dirty_order;
    size_t _dirty_count = 0;
    size_t _charged = 0;
    // >0 while a scan or a write-down is under way: nothing may be erased then.
    int _pinned = 0;
    // Scratch for flush(): deleted entries to drop once written down.
    std::vector<entry*> _to_drop;

    friend class merge_cursor;
};

// merge_cursor: merges the cache's entries with key in [from, to) (empty `to`: no upper
// bound) into a scan of the store below, in ascending key order. The caller runs the
// inner scan and offers each inner entry; cached entries win over inner ones with the
// same key, and cached deletes hide them. Keeps the cache pinned (no eviction) while it
// lives. `from`, `to` and `out` must outlive the cursor.
class store_cache::merge_cursor {
public:
    merge_cursor(store_cache& cache, std::string_view from, std::string_view to,
                 const kv_visitor& out);
    ~merge_cursor();
    merge_cursor(const merge_cursor&) = delete;
    merge_cursor& operator=(const merge_cursor&) = delete;

    // One entry of the inner scan; keys must ascend and lie in [from, to). Returns false
    // once `out` has asked to stop: the caller must then stop the inner scan.
    bool offer(std::string_view key, std::string_view value);
    // Emits the cached entries left after the inner scan ended.
    void finish();

private:
    bool in_range() const;
    // Emits cached entries with key < `bound` (all remaining ones if `bound` is null).
    bool drain_below(const std::string_view* bound);

    store_cache& _cache;
    std::string_view _to;
    const kv_visitor& _out;
    entry_map::iterator _next;
    bool _stopped = false;
};

} // namespace brook::state
