#pragma once

// in_memory_key_value_store: the in-memory bottom of a key-value store stack, on a
// std::map ordered by unsigned key bytes like RocksDB. For tests and for state cheap
// enough to rebuild from the changelog at every start; nothing survives close().
//
// Lifecycle: constructed -> init() (nothing to open) -> used -> close() (drops the data;
// idempotent).
// Threading: one task's thread only.
// Ownership: owned by the layer above (or the task). It is its own restore_target(), with
// no checkpoint: an in-memory store always restores from the changelog's start.

#include <map>
#include <span>
#include <string>

#include "state/key_value_store.h"

namespace brook::state {

class in_memory_key_value_store final : public key_value_store, public restorable {
public:
    explicit in_memory_key_value_store(std::string name) : _name(std::move(name)) {}

    const std::string& name() const override { return _name; }
    void init(const store_context&) override {}
    void flush() override {}
    void close() override { _data.clear(); }
    bool persistent() const override { return false; }
    bool logged() const override { return false; }
    restorable& restore_target() override { return *this; }
    bool set_cache_flush_listener(cache_flush_listener) override { return false; }

    std::optional<std::string> get(std::string_view key) override;
    void put(std::string_view key, std::string_view value) override;
    void remove(std::string_view key) override;
    void range(std::string_view from, std::string_view to, const kv_visitor& visit) override;
    void reverse_range(std::string_view from, std::string_view to,
                       const kv_visitor& visit) override;
    void prefix_scan(std::string_view prefix, const kv_visitor& visit) override;
    size_t approximate_size() override { return _data.size(); }

    // restorable: applies puts and deletes in order.
    void restore_batch(std::span<const changelog_entry> batch) override;
    std::optional<int64_t> checkpoint() override { return std::nullopt; }
    void write_checkpoint(int64_t) override {}
    void wipe() override { _data.clear(); }

private:
    std::string _name;
    // std::string compares bytes as unsigned char, which is RocksDB's bytewise order.
    std::map<std::string, std::string, std::less<>> _data;
};

} // namespace brook::state
