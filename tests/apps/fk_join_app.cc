// brook-test-fk-join: the application the foreign-key join test kills. It left-joins the
// table LEFT (value "<foreign key>|<payload>", foreign key "-" for none) with the table
// RIGHT on that foreign key and writes each result row to OUTPUT as
// "<payload>+<right row or null>" (a tombstone when the left row goes away).
//
//   brook-test-fk-join BOOTSTRAP APPLICATION_ID LEFT RIGHT OUTPUT STATE_DIR [KEY=VALUE ...]
//
// KEY=VALUE pairs are added to the streams config; the rest is test_app_main.h's.

#include <optional>
#include <string>

#include "tests/apps/test_app_main.h"

int main(int argc, char** argv) {
    using namespace brook;
    return testing::run_test_app(
        argc, argv, "brook-test-fk-join", "LEFT RIGHT OUTPUT", 3,
        [](stream_builder& builder, char** topics) {
            auto left = builder.table<std::string, std::string>(topics[0]);
            auto right = builder.table<std::string, std::string>(topics[1]);
            left.left_join(
                    right,
                    [](const std::string& row) -> std::optional<std::string> {
                        const std::string fk = row.substr(0, row.find('|'));
                        return fk == "-" ? std::nullopt : std::optional<std::string>(fk);
                    },
                    [](const std::string& row, const std::optional<std::string>& other) {
                        const auto bar = row.find('|');
                        return (bar == std::string::npos ? std::string() : row.substr(bar + 1)) +
                               "+" + other.value_or("null");
                    },
                    "fk")
                .to_stream()
                .to(topics[2], produced<std::string, std::optional<std::string>>{});
        });
}
