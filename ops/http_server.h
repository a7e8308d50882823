#pragma once

// http_server: a small HTTP/1.1 server (Boost.Beast) for the operator endpoints of Brook's
// apps: metrics scrapes, health probes and interactive queries. It serves GET and HEAD
// only, hands each request to one handler function with the path and query already
// percent-decoded, and treats every byte a client sends as hostile:
//
//   - request line and headers are limited to max_header_bytes, a body to max_body_bytes;
//     a request over either, malformed HTTP or a target with bad percent-encoding gets
//     400, one with more than max_header_count header fields 431, and the connection is
//     closed;
//   - a new connection must send its first byte within silent_timeout, a keep-alive one
//     its next request's first byte within idle_timeout; once it has begun, a request must
//     arrive whole within read_timeout, and a response must be taken within
//     write_timeout. So a client that connects and says nothing, stalls mid-request or
//     never reads holds its connection only that long and never blocks others;
//   - other methods get 405 with "Allow: GET, HEAD";
//   - a handler that throws gives 500 with the exception's message, never a crash;
//   - at most max_connections connections are open. A connection beyond that closes the
//     one that has waited longest for a request (idle keep-alive, or silent since it
//     connected), so idle clients cannot keep /health and /ready from being answered; when
//     every open connection is in the middle of a request, it is answered 503 with the
//     reason (at most max_rejections at a time; beyond, closed unanswered) and closed.
//
// Keep-alive (HTTP/1.1 default, HTTP/1.0 on request) and pipelined requests are served in
// order on each connection.
//
// Lifecycle: construct (nothing bound) -> start() binds and starts serving -> stop()
// closes the listener and every open connection and joins the server's thread. start()
// and stop() are idempotent; a stopped server cannot be started again. The destructor
// stops.
// Threading: one thread, owned by the server, runs every connection and calls the handler,
// one request at a time: a handler needs no locking against itself but must answer
// quickly, since other clients wait while it runs. start(), stop() and port() may be called
// from any thread except the server's own (stop() from inside the handler throws
// std::logic_error: it would wait for itself).
// Ownership: owns its io_context, thread, listener and connections; the handler is copied
// in and lives as long as the server.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace brook {

// A request as the handler sees it: method and target checked, everything decoded.
struct http_request {
    std::string method; // "GET" or "HEAD"; HEAD answers the GET response without its body
    std::string target; // as sent: "/stores/a%2Fb/keys/k?from=1"
    std::string path;   // percent-decoded: "/stores/a/b/keys/k"
    // The path split at each '/' of the target, then each part decoded, so an encoded
    // "%2F" stays inside its segment: "/stores/a%2Fb/keys/k" -> {"stores", "a/b", "keys",
    // "k"}. "/" -> {""}; a trailing '/' gives a last empty segment.
    std::vector<std::string> segments;
    // Query parameters in order, names and values decoded ('+' is a space there).
    std::vector<std::pair<std::string, std::string>> query;

    // The first value of query parameter `name`, or nullopt when it is absent.
    std::optional<std::string_view> param(std::string_view name) const;
};

// What the handler answers. Header names and values must not contain CR or LF (the
// server answers 500 instead of sending them); the status must be in 100..599.
struct http_response {
    int status = 200;
    std::string content_type = "text/plain; charset=utf-8";
    std::string body;
    // Headers beyond Content-Type, Content-Length, Connection and Server.
    std::vector<std::pair<std::string, std::string>> headers;

    static http_response text(int status, std::string body);
};

using http_handler = std::function<http_response(const http_request&)>;

struct http_server_options {
    // An IPv4 or IPv6 address to bind, or "localhost" (127.0.0.1); the default serves this
    // host only.
    std::string address = "127.0.0.1";
    uint16_t port = 0; // 0: an ephemeral port, see http_server::port()
    // How long a client has to send one whole request, from its first byte.
    std::chrono::milliseconds read_timeout{10000};
    // How long a keep-alive connection may wait for the first byte of its next request.
    std::chrono::milliseconds idle_timeout{5000};
    // How long a new connection may wait before its first byte: a probe or a client sends
    // at once; a connection that says nothing only takes a place.
    std::chrono::milliseconds silent_timeout{2000};
    // How long a client has to take one whole response.
    std::chrono::milliseconds write_timeout{10000};
    size_t max_header_bytes = 16 * 1024; // request line and headers
    size_t max_header_count = 100;       // header fields of one request
    size_t max_body_bytes = 64 * 1024;   // GET and HEAD need none; this bounds what is read
    size_t max_connections = 64;
    // Connections beyond max_connections being answered 503 at once; more are closed.
    size_t max_rejections = 16;
};

// Decodes %XX escapes (and '+' as a space when `plus_is_space`). Returns nullopt for a '%'
// not followed by two hex digits.
std::optional<std::string> percent_decode(std::string_view in, bool plus_is_space);

// Encodes every byte outside RFC 3986's unreserved set (ALPHA DIGIT - . _ ~) as %XX, so
// the result is one path segment or query value whatever the input holds.
std::string percent_encode(std::string_view in);

// Fills `out`'s target, path, segments and query from an origin-form target
// ("/path?query"). Returns an error message for anything else or for bad percent-encoding,
// nullopt on success.
std::optional<std::string> parse_target(std::string_view target, http_request& out);

// Whether http_server takes `address`: an IPv4 or IPv6 literal ("0.0.0.0", "::1"), or
// "localhost". Host names are not resolved: what a name means can change under a running
// server.
bool is_http_address(std::string_view address);

// Binds options.address and options.port and closes at once, so a program can refuse a
// port that is taken or an address that is not this host's before it does anything else.
// Throws std::runtime_error saying so, as start() would, and std::invalid_argument for an
// address is_http_address refuses. (The port may still be taken between this and start().)
void check_http_bindable(const http_server_options& options);

class http_server {
public:
    // Throws std::invalid_argument when is_http_address(options.address) is false, a limit or
    // timeout is zero or negative, or `handler` is empty.
    http_server(http_server_options options, http_handler handler);
    ~http_server();
    http_server(const http_server&) = delete;
    http_server& operator=(const http_server&) = delete;

    // Binds and listens, then serves on the server's thread. Throws std::runtime_error
    // naming the address and port when it cannot bind (the port is taken, or the address
    // is not this host's), and std::logic_error after stop().
    void start();
    // Stops serving: closes the listener and every connection (requests in flight are
    // dropped), joins the thread. Returns when all of that is done, never waiting for a
    // client. Throws std::logic_error when called from the handler.
    void stop();
    // The bound port (the ephemeral one when options.port was 0); 0 before start().
    uint16_t port() const;
    const std::string& address() const;
    bool running() const;

private:
    struct impl;
    std::unique_ptr<impl> _impl;
};

} // namespace brook
