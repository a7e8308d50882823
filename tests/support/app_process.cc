#include "tests/support/app_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace brook::testing {

using namespace std::chrono_literals;

app_process::app_process(const std::vector<std::string>& args, const std::string& stderr_file) {
    _pid = fork();
    if (_pid == 0) {
        if (!stderr_file.empty()) {
            const int fd = ::open(stderr_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
            if (fd >= 0) {
                ::dup2(fd, STDERR_FILENO);
                ::close(fd);
            }
        }
        std::vector<char*> argv;
        for (const auto& a : args) {
            argv.push_back(const_cast<char*>(a.c_str()));
        }
        argv.push_back(nullptr);
        execv(argv[0], argv.data());
        _exit(127);
    }
}

app_process::~app_process() {
    if (_pid > 0) {
        kill(_pid, SIGKILL);
        waitpid(_pid, nullptr, 0);
    }
}

int app_process::wait(std::chrono::seconds patience) {
    const auto deadline = std::chrono::steady_clock::now() + patience;
    while (_pid > 0) {
        if (reap()) {
            return _status.value_or(-2000);
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            return -2000;
        }
        std::this_thread::sleep_for(50ms);
    }
    return _status.value_or(-2000);
}

bool app_process::reap() {
    int status = 0;
    const pid_t reaped = _pid > 0 ? waitpid(_pid, &status, WNOHANG) : 0;
    if (reaped == 0) {
        return false;
    }
    if (reaped == _pid) {
        _status = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
    }
    _pid = -1; // ended, or not (or no longer) a child of ours: nothing left to wait for
    return true;
}

int app_process::stop(int signal, std::chrono::seconds patience) {
    if (_pid <= 0) {
        return _status.value_or(-2000);
    }
    kill(_pid, signal);
    const int status = wait(patience);
    if (status != -2000) {
        return status;
    }
    kill(_pid, SIGKILL);
    waitpid(_pid, nullptr, 0);
    _pid = -1;
    return -1000;
}

bool app_process::alive() {
    return _pid > 0 && !reap();
}

std::string bin_path(const std::string& program) {
    return std::string(BROOK_BIN_DIR) + "/" + program;
}

} // namespace brook::testing
