#include "engine/runtime/member_identity.h"

#include <algorithm>

#include <fmt/format.h>

namespace brook {

namespace {

constexpr std::string_view thread_marker = "-StreamThread-";
constexpr std::string_view consumer_suffix = "-consumer";
constexpr size_t process_id_size = 32;

bool is_process_id(std::string_view s) {
    return s.size() == process_id_size && std::all_of(s.begin(), s.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
           });
}

} // namespace

std::string consumer_client_id(std::string_view client_id, std::string_view process_id, int thread,
                               std::string_view application_server) {
    std::string id = process_id.empty() ? fmt::format("{}{}{}{}", client_id, thread_marker, thread,
                                                      consumer_suffix)
                                        : fmt::format("{}-{}{}{}{}", client_id, process_id,
                                                      thread_marker, thread, consumer_suffix);
    if (!application_server.empty()) {
        id += '@';
        id += application_server;
    }
    return id;
}

std::optional<member_identity> parse_member_identity(std::string_view client_id) {
    member_identity out;
    std::string_view rest = client_id;
    // The endpoint is after the last '@' that follows the thread marker: a user's
    // client.id may hold '@' itself.
    const size_t marker = rest.rfind(thread_marker);
    if (marker == std::string_view::npos) {
        return std::nullopt;
    }
    if (const size_t at = rest.find('@', marker); at != std::string_view::npos) {
        out.application_server = std::string(rest.substr(at + 1));
        rest = rest.substr(0, at);
    }
    if (marker < process_id_size + 1 || rest[marker - process_id_size - 1] != '-') {
        return std::nullopt;
    }
    const std::string_view process = rest.substr(marker - process_id_size, process_id_size);
    if (!is_process_id(process) || !rest.substr(marker).ends_with(consumer_suffix)) {
        return std::nullopt;
    }
    out.process_id = std::string(process);
    return out;
}

} // namespace brook
