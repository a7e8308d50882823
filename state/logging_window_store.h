#pragma once

// logging_window_store: the change-logging layer of a window stack. Every put (a
// tombstone for a removal) goes to the inner store and then to the task's
// changelog_writer, keyed by encode_window_key(key, window start) -- the bottom's own
// encoding, since restore writes changelog keys straight into the bottom. A put the inner
// store ignores because its segment has expired (it counts it in expired_puts()) is not
// logged: it could never be read back, so restoring it would only resurrect dead data.
// A removal is always logged, expired or not: the put it removes may be in the changelog
// already, and without the tombstone a restore brings it back (an emit-on-close window
// aggregation then emits that window a second time).
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

#include "state/encoded_key_buffer.h"
#include "state/window_store.h"

namespace brook::state {

class logging_window_store final : public window_store {
public:
    // `inner` must not be null.
    explicit logging_window_store(std::unique_ptr<window_store> inner);

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

    // Throws state_error when the inner store fails; whatever the changelog writer throws.
    void put(std::string_view key, std::optional<std::string_view> value,
             int64_t window_start) override;
    std::optional<std::string> fetch(std::string_view key, int64_t window_start) override {
        return _inner->fetch(key, window_start);
    }
    void fetch(std::string_view key, int64_t from, int64_t to,
               const window_visitor& visit) override {
        _inner->fetch(key, from, to, visit);
    }
    void fetch_all(int64_t from, int64_t to, const keyed_window_visitor& visit) override {
        _inner->fetch_all(from, to, visit);
    }
    int64_t retention_ms() const override { return _inner->retention_ms(); }
    int64_t observed_stream_time() const override { return _inner->observed_stream_time(); }
    uint64_t expired_puts() const override { return _inner->expired_puts(); }

private:
    std::unique_ptr<window_store> _inner;
    changelog_writer* _changelog = nullptr;
    std::function<int64_t()> _timestamp;
    // Reused for each record's changelog key, so logging does not allocate per record.
    encoded_key_buffer _key;
};

} // namespace brook::state
