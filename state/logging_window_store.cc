#include "state/logging_window_store.h"

#include <utility>

#include "state/require_changelog.h"

namespace brook::state {

logging_window_store::logging_window_store(std::unique_ptr<window_store> inner)
    : _inner(std::move(inner)) {}

void logging_window_store::init(const store_context& context) {
    // Check before opening anything, so a misconfigured task fails without side effects.
    require_changelog(name(), context);
    _inner->init(context);
    _changelog = context.changelog;
    _timestamp = context.timestamp;
}

void logging_window_store::put(std::string_view key, std::optional<std::string_view> value,
                               int64_t window_start) {
    // The inner store's own verdict on expiry, rather than a copy of its retention
    // arithmetic: the two can never disagree.
    const uint64_t expired_before = _inner->expired_puts();
    _inner->put(key, value, window_start);
    // A removal is logged even then: the changelog may hold the put it removes (written
    // while the segment was live), and a restore that does not expire that segment (one
    // whose task has no stream time yet) would bring the dead entry back.
    if (value && _inner->expired_puts() != expired_before) {
        return;
    }
    _changelog->log(name(), _key.window(key, window_start), value, _timestamp());
}

} // namespace brook::state
