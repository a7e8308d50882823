#pragma once

// http_client: one plain HTTP/1.1 GET over a real socket (Boost.Beast), bounded in time
// and size. The operator endpoint uses it to pass a store query on to the instance that
// owns the key; the integration tests use it as an operator's client would.
//
// Threading: each call has its own io_context and socket; call from any thread.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace brook {

struct http_client_reply {
    int status = 0; // 0: no answer (connection refused, timeout, a reply over the limit)
    std::string content_type;
    std::string body;
    std::string error; // why there was no answer
};

// GET http://<host>:<port><target>; `target` is sent as given (percent-encode it first).
// The whole exchange ends within `timeout`; a body larger than `max_body_bytes` is no
// answer.
http_client_reply http_fetch(const std::string& host, uint16_t port, const std::string& target,
                             std::chrono::milliseconds timeout,
                             size_t max_body_bytes = size_t{8} << 20);

} // namespace brook
