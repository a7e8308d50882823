#pragma once

// logging_session_store: the change-logging layer of a session stack. Every put (a
// tombstone for a removal) goes to the inner store and then to the task's
// changelog_writer, keyed by encode_session_key(key, start, end) -- the bottom's own
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
#include "state/session_store.h"

namespace brook::state {

class logging_session_store final : public session_store {
public:
    // `inner` must not be null.
    explicit logging_session_store(std::unique_ptr<session_store> inner);

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
    void put(std::string_view key, int64_t start, int64_t end,
             std::optional<std::string_view> value) override;
    std::optional<std::string> fetch(std::string_view key, int64_t start, int64_t end) override {
        return _inner->fetch(key, start, end);
    }
    void find_sessions(std::string_view key, int64_t earliest_end, int64_t latest_start,
                       const session_visitor& visit) override {
        _inner->find_sessions(key, earliest_end, latest_start, visit);
    }
    void fetch_all(int64_t earliest_end, int64_t latest_end,
                   const keyed_session_visitor& visit) override {
        _inner->fetch_all(earliest_end, latest_end, visit);
    }
    int64_t retention_ms() const override { return _inner->retention_ms(); }
    int64_t observed_stream_time() const override { return _inner->observed_stream_time(); }
    uint64_t expired_puts() const override { return _inner->expired_puts(); }

private:
    std::unique_ptr<session_store> _inner;
    changelog_writer* _changelog = nullptr;
    std::function<int64_t()> _timestamp;
    // Reused for each record's changelog key, so logging does not allocate per record.
    encoded_key_buffer _key;
};

} // namespace brook::state
