#include "engine/runtime/process_id.h"

#include <fstream>
#include <random>

#include <fmt/format.h>

#include "state/store_context.h"

namespace brook {

namespace {

bool looks_like_id(const std::string& s) {
    if (s.size() != 32) {
        return false;
    }
    for (char c : s) {
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            return false;
        }
    }
    return true;
}

} // namespace

std::string load_or_create_process_id(const std::filesystem::path& application_state_dir) {
    const std::filesystem::path file = application_state_dir / "brook.process-id";
    std::error_code ec;
    std::filesystem::create_directories(application_state_dir, ec);
    if (ec) {
        throw state::state_error(fmt::format("cannot create the state directory {}: {} (check "
                                             "state.dir and its permissions)",
                                             application_state_dir.string(), ec.message()));
    }
    {
        std::ifstream in(file);
        std::string id;
        if (in && std::getline(in, id) && looks_like_id(id)) {
            return id;
        }
    }
    std::random_device random;
    std::string id;
    for (int i = 0; i < 4; ++i) {
        id += fmt::format("{:08x}", random());
    }
    // Write then rename, so a crash never leaves a half-written id behind.
    const std::filesystem::path tmp = file.string() + ".tmp";
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << id << '\n';
        if (!out) {
            throw state::state_error(
                fmt::format("cannot write {}: check the permissions of state.dir", tmp.string()));
        }
    }
    std::filesystem::rename(tmp, file, ec);
    if (ec) {
        throw state::state_error(fmt::format("cannot create {}: {}", file.string(), ec.message()));
    }
    return id;
}

} // namespace brook
