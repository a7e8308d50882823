#include "engine/runtime/state_dir_lock.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <sys/file.h>
#include <unistd.h>

#include <fmt/format.h>

#include "engine/errors.h"
#include "state/store_context.h"

namespace brook {

state_dir_lock::state_dir_lock(const std::filesystem::path& dir) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) {
        throw state::state_error(fmt::format("cannot create the state directory {}: {} (check "
                                             "state.dir and its permissions)",
                                             dir.string(), ec.message()));
    }
    const std::filesystem::path file = dir / ".lock";
    _fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (_fd < 0) {
        throw state::state_error(
            fmt::format("cannot open the lock file {}: {}", file.string(), std::strerror(errno)));
    }
    if (::flock(_fd, LOCK_EX | LOCK_NB) != 0) {
        const int err = errno;
        std::string holder(32, '\0');
        const ssize_t n = ::pread(_fd, holder.data(), holder.size() - 1, 0);
        holder.resize(n > 0 ? static_cast<size_t>(n) : 0);
        while (!holder.empty() && (holder.back() == '\n' || holder.back() == '\0')) {
            holder.pop_back();
        }
        ::close(_fd);
        _fd = -1;
        if (err == EWOULDBLOCK) {
            throw config_error(fmt::format(
                "the state directory {} is in use by another instance of this application{}: "
                "give each instance its own state.dir",
                dir.string(), holder.empty() ? "" : fmt::format(" (pid {})", holder)));
        }
        throw state::state_error(
            fmt::format("cannot lock {}: {}", file.string(), std::strerror(err)));
    }
    const std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(_fd, 0) == 0) {
        (void)!::pwrite(_fd, pid.data(), pid.size(), 0); // only for the message above
    }
}

state_dir_lock::~state_dir_lock() {
    if (_fd >= 0) {
        ::close(_fd); // releases the lock
    }
}

} // namespace brook
