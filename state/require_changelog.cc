#include "state/require_changelog.h"

#include <fmt/format.h>

namespace brook::state {

void require_changelog(std::string_view store, const store_context& context) {
    if (context.changelog == nullptr) {
        throw state_error(
            fmt::format("store {} logs a changelog but the task gave it no changelog writer: set "
                        "store_context::changelog, or build the store without logging",
                        store));
    }
    if (!context.timestamp) {
        throw state_error(
            fmt::format("store {} logs a changelog but the task gave it no timestamp function: set "
                        "store_context::timestamp to the current record's timestamp",
                        store));
    }
}

} // namespace brook::state
