#pragma once

// http_get: a plain HTTP/1.1 GET with Boost.Beast's client, for integration tests of the
// apps' operator endpoint. A real client over a real socket, not a call into the server.

#include <chrono>
#include <cstdint>
#include <string>

namespace brook::testing {

struct http_reply {
    int status = 0; // 0: no answer (connection refused, timeout)
    std::string content_type;
    std::string body;
    std::string error; // why there was no answer
};

// GET http://<host>:<port><target>; `target` is sent as given (percent-encode it first).
http_reply http_get(const std::string& host, uint16_t port, const std::string& target,
                    std::chrono::milliseconds timeout = std::chrono::seconds(10));

// A TCP port on 127.0.0.1 that was free a moment ago, for a child process to bind.
uint16_t free_port();

} // namespace brook::testing
