#include "state/logging_key_value_store.h"

#include <utility>

#include "state/require_changelog.h"

namespace brook::state {

logging_key_value_store::logging_key_value_store(std::unique_ptr<key_value_store> inner)
    : _inner(std::move(inner)) {}

void logging_key_value_store::init(const store_context& context) {
    // Check before opening anything, so a misconfigured task fails without side effects.
    require_changelog(name(), context);
    _inner->init(context);
    _changelog = context.changelog;
    _timestamp = context.timestamp;
}

void logging_key_value_store::put(std::string_view key, std::string_view value) {
    _inner->put(key, value);
    _changelog->log(name(), key, value, _timestamp());
}

void logging_key_value_store::remove(std::string_view key) {
    _inner->remove(key);
    _changelog->log(name(), key, std::nullopt, _timestamp());
}

} // namespace brook::state
