// Every program the project ships answers --help the same way: a "usage: <program>" line
// on stdout and exit status 0, without connecting to anything; and every one that logs
// through the library takes --log-level.

#include <array>
#include <cstdio>
#include <filesystem>
#include <string>
#include <sys/wait.h>

#include <gtest/gtest.h>

#include "tests/support/app_process.h"

namespace brook {
namespace {

struct answer {
    int status = -1;
    std::string output;
};

answer run_help(const std::string& program) {
    answer a;
    const std::string command = testing::bin_path(program) + " --help 2>&1";
    std::FILE* pipe = ::popen(command.c_str(), "r");
    if (pipe == nullptr) {
        return a;
    }
    std::array<char, 4096> buffer{};
    size_t n = 0;
    while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) {
        a.output.append(buffer.data(), n);
    }
    const int raw = ::pclose(pipe);
    a.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
    return a;
}

TEST(program_help, every_program_prints_its_usage_and_exits_0) {
    for (const char* program :
         {"brook-metrics", "brook-state", "brook-user-activity", "brook-orders", "brook-loadgen",
          "brook-retry-router", "brook-publisher", "brook-smoke", "brook-relational-smoke",
          "brook-bench-app", "brook-bench-rdkafka", "brook-bench"}) {
        if (!std::filesystem::exists(testing::bin_path(program))) {
            continue; // benchmarks off in this build
        }
        const answer a = run_help(program);
        EXPECT_EQ(a.status, 0) << program << " --help: " << a.output;
        EXPECT_EQ(a.output.rfind(std::string("usage: ") + program, 0), 0U)
            << program << " --help does not start with its usage line: " << a.output;
        if (std::string(program) != "brook-bench-rdkafka") { // librdkafka only, no Brook log
            EXPECT_NE(a.output.find("--log-level"), std::string::npos)
                << program << " --help does not offer --log-level: " << a.output;
        }
    }
}

} // namespace
} // namespace brook
