// brook-test-table-join: the application the source-topic restore test kills. It reads
// ROWS as a table in the store "rows-store" and left-joins the stream EVENTS with it,
// writing "<event value>=<row or none>" to OUTPUT under the event's key. Run with
// topology.optimization=reuse.ktable.source.topics (or all), the store writes no
// changelog and restores from ROWS.
//
//   brook-test-table-join BOOTSTRAP APPLICATION_ID ROWS EVENTS OUTPUT STATE_DIR
//                         [KEY=VALUE ...]
//
// KEY=VALUE pairs are added to the streams config; the rest is test_app_main.h's.

#include <optional>
#include <string>

#include "tests/apps/test_app_main.h"

int main(int argc, char** argv) {
    using namespace brook;
    return testing::run_test_app(
        argc, argv, "brook-test-table-join", "ROWS EVENTS OUTPUT", 3,
        [](stream_builder& builder, char** topics) {
            auto rows = builder.table(topics[0], consumed<std::string, std::string>{},
                                      materialized<std::string, std::string>::as("rows-store"));
            builder.stream<std::string, std::string>({topics[1]})
                .left_join(rows,
                           [](const std::string& event, const std::optional<std::string>& row) {
                               return event + "=" + row.value_or("none");
                           })
                .to(topics[2]);
        });
}
