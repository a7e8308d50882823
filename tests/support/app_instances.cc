#include "tests/support/app_instances.h"

#include <iostream>
#include <utility>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tests/support/broker.h"

namespace brook::testing {

app_instances::app_instances(std::string program, const std::string& prefix)
    : _program(std::move(program)),
      _root(std::filesystem::temp_directory_path() / unique_name(prefix)) {}

app_instances::~app_instances() {
    _apps.clear(); // kills and reaps what still runs
    if (!::testing::Test::HasFailure()) {
        std::error_code ec;
        std::filesystem::remove_all(_root, ec);
    } else {
        std::cout << "[ logs     ] " << _root.string() << "\n";
    }
}

void app_instances::start(int n, const std::vector<std::string>& args,
                          const std::vector<std::string>& extra) {
    const auto dir = state_dir(n);
    std::filesystem::create_directories(dir);
    std::vector<std::string> command{bin_path(_program)};
    command.insert(command.end(), args.begin(), args.end());
    command.push_back(dir.string());
    command.insert(command.end(), extra.begin(), extra.end());
    _apps[n] = std::make_unique<app_process>(command, log_of(n).string());
}

int app_instances::stop(int n, int signal) {
    return _apps.at(n)->stop(signal);
}

bool app_instances::alive(int n) {
    return _apps.at(n)->alive();
}

std::filesystem::path app_instances::log_of(int n) const {
    return _root / fmt::format("instance-{}.log", n);
}

std::filesystem::path app_instances::state_dir(int n) const {
    return _root / fmt::format("state-{}", n);
}

} // namespace brook::testing
