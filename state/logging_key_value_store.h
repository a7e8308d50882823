#pragma once

// logging_key_value_store: the change-logging layer of a key-value stack. Every put and
// remove goes to the inner store and then, as a record (a tombstone for a remove), to the
// task's changelog_writer, stamped with the context's current timestamp. Restore replays
// those records straight into the bottom store, so keys are logged exactly as given.
//
// Lifecycle: constructed unopened around its inner store -> init(context) opens the inner
// store and takes the changelog writer and clock from the context -> used -> flush()
// flushes the inner store -> close() closes the inner store.
// Threading: the owning task's thread only.
// Ownership: owns the inner store; borrows the changelog writer, which the task keeps
// alive until close().

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "state/key_value_store.h"

namespace brook::state {

class logging_key_value_store final : public key_value_store {
public:
    // `inner` must not be null.
    explicit logging_key_value_store(std::unique_ptr<key_value_store> inner);

    const std::string& name() const override { return _inner->name(); }
    // Throws state_error when the context has no changelog writer or no timestamp
    // function, or when the inner store cannot open.
    void init(const store_context& context) override;
    void flush() override { _inner->flush(); }
    void close() override { _inner->close(); }
    bool persistent() const override { return _inner->persistent(); }
    bool logged() const override { return true; }
    restorable& restore_target() override { return _inner->restore_target(); }
    bool set_cache_flush_listener(cache_flush_listener listener) override {
        return _inner->set_cache_flush_listener(std::move(listener));
    }

    std::optional<std::string> get(std::string_view key) override { return _inner->get(key); }
    // Throws state_error when the inner store fails; whatever the changelog writer throws.
    void put(std::string_view key, std::string_view value) override;
    void remove(std::string_view key) override;
    void range(std::string_view from, std::string_view to, const kv_visitor& visit) override {
        _inner->range(from, to, visit);
    }
    void reverse_range(std::string_view from, std::string_view to,
                       const kv_visitor& visit) override {
        _inner->reverse_range(from, to, visit);
    }
    void prefix_scan(std::string_view prefix, const kv_visitor& visit) override {
        _inner->prefix_scan(prefix, visit);
    }
    size_t approximate_size() override { return _inner->approximate_size(); }

private:
    std::unique_ptr<key_value_store> _inner;
    changelog_writer* _changelog = nullptr;
    std::function<int64_t()> _timestamp;
};

} // namespace brook::state
