// brook-test-versioned-join: the application the versioned-join test kills. It reads
// PRICES as a table versioned for an hour and left-joins the stream ORDERS with it, with
// a grace period of 2 s, looking each order's product up as of the order's timestamp. It
// writes "<order value>|<price or null>" to OUTPUT under the order's key; orders with a
// null value are skipped.
//
//   brook-test-versioned-join BOOTSTRAP APPLICATION_ID PRICES ORDERS OUTPUT STATE_DIR
//                             [KEY=VALUE ...]
//
// KEY=VALUE pairs are added to the streams config; the rest is test_app_main.h's.

#include <chrono>
#include <optional>
#include <string>

#include "tests/apps/test_app_main.h"

int main(int argc, char** argv) {
    using namespace brook;
    using namespace std::chrono_literals;
    return testing::run_test_app(
        argc, argv, "brook-test-versioned-join", "PRICES ORDERS OUTPUT", 3,
        [](stream_builder& builder, char** topics) {
            auto prices = builder.table(
                topics[0], consumed<std::string, std::string>{},
                materialized<std::string, std::string>::as("prices-store").versioned(1h));
            // Values are optional so that a null-value order is null here, and the join
            // skips it as Kafka Streams does (a plain std::string would read it as "").
            joined<std::string, std::optional<std::string>> options;
            options.name = "enrich";
            options.grace_period = 2s;
            builder.stream<std::string, std::optional<std::string>>({topics[1]})
                .left_join(
                    prices,
                    [](const std::optional<std::string>& order,
                       const std::optional<std::string>& price) {
                        return *order + "|" + price.value_or("null");
                    },
                    options)
                .to(topics[2], produced<std::string, std::string>{});
        });
}
