#pragma once

// app_instances: the instances of one test app that a broker test starts, kills and starts
// again. Each runs as an app_process on its own state directory under one temporary root,
// with its stderr in <root>/instance-<n>.log. At the end the root is removed, unless the
// test failed: then its path is printed and the logs stay for reading.

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/app_process.h"

namespace brook::testing {

class app_instances {
public:
    // `program`: a program of the build's bin directory; `prefix` names the root.
    app_instances(std::string program, const std::string& prefix);
    ~app_instances();
    app_instances(const app_instances&) = delete;
    app_instances& operator=(const app_instances&) = delete;

    // Starts instance `n` (again): program, `args`, its state directory, then `extra`.
    void start(int n, const std::vector<std::string>& args,
               const std::vector<std::string>& extra = {});
    // app_process::stop() of instance `n`, which must have been started.
    int stop(int n, int signal);
    bool alive(int n);
    std::filesystem::path log_of(int n) const;
    std::filesystem::path state_dir(int n) const;
    const std::filesystem::path& root() const { return _root; }

private:
    std::string _program;
    std::filesystem::path _root;
    std::map<int, std::unique_ptr<app_process>> _apps;
};

} // namespace brook::testing
