#pragma once

// The check every change-logging layer makes at init(): a logged store without a
// changelog writer would silently lose its changelog, so it refuses to open.

#include <string_view>

#include "state/store_context.h"

namespace brook::state {

// Throws state_error naming `store` when `context` has no changelog writer or no
// timestamp function for its records.
void require_changelog(std::string_view store, const store_context& context);

} // namespace brook::state
