// `make demo` is one of the README's two commands: brook-metrics --demo on the embedded
// cluster must process its generated input and end by itself, exit 0. A client whose
// destructor hangs (librdkafka 2.0's admin client on the mock) once kept it running after
// it printed its results; this is the guard.

#include <filesystem>

#include <gtest/gtest.h>

#include "tests/support/app_process.h"
#include "tests/support/broker.h"

namespace brook {
namespace {

using namespace std::chrono_literals;

TEST(demo, brook_metrics_demo_ends_by_itself_with_exit_0) {
    const auto dir = std::filesystem::temp_directory_path() / testing::unique_name("demo");
    testing::app_process demo(
        {testing::bin_path("brook-metrics"), "--demo", "--state-dir", dir.string()},
        (dir.string() + ".log"));
    EXPECT_EQ(demo.wait(180s), 0) << "see " << dir.string() << ".log";
    std::filesystem::remove_all(dir);
    std::filesystem::remove(dir.string() + ".log");
}

} // namespace
} // namespace brook
