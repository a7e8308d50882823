#include "ops/http_server.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <thread>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>

#include "base/log.h"

namespace brook {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

std::optional<std::string_view> http_request::param(std::string_view name) const {
    for (const auto& [k, v] : query) {
        if (k == name) {
            return std::string_view(v);
        }
    }
    return std::nullopt;
}

http_response http_response::text(int status, std::string body) {
    http_response r;
    r.status = status;
    r.body = std::move(body);
    return r;
}

namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

bool unreserved(unsigned char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

} // namespace

std::optional<std::string> percent_decode(std::string_view in, bool plus_is_space) {
    std::string out;
    out.reserve(in.size());
    for (size_t i = 0; i < in.size(); ++i) {
        const char c = in[i];
        if (c == '%') {
            if (i + 2 >= in.size()) {
                return std::nullopt;
            }
            const int hi = hex_value(in[i + 1]);
            const int lo = hex_value(in[i + 2]);
            if (hi < 0 || lo < 0) {
                return std::nullopt;
            }
            out.push_back(static_cast<char>(hi * 16 + lo));
            i += 2;
        } else if (c == '+' && plus_is_space) {
            out.push_back(' ');
        } else {
            out.push_back(c);
        }
    }
    return out;
}

std::string percent_encode(std::string_view in) {
    static constexpr char digits[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(in.size());
    for (const unsigned char c : in) {
        if (unreserved(c)) {
            out.push_back(static_cast<char>(c));
        } else {
            out.push_back('%');
            out.push_back(digits[c >> 4]);
            out.push_back(digits[c & 0xf]);
        }
    }
    return out;
}

std::optional<std::string> parse_target(std::string_view target, http_request& out) {
    if (target.empty() || target.front() != '/') {
        return std::string("the request target must be a path starting with '/'");
    }
    out.target = std::string(target);
    const size_t question = target.find('?');
    const std::string_view raw_path = target.substr(0, question);
    std::string_view raw_query =
        question == std::string_view::npos ? std::string_view() : target.substr(question + 1);

    out.path.clear();
    out.segments.clear();
    out.query.clear();
    // Split before decoding, so "%2F" stays inside its segment.
    std::string_view rest = raw_path.substr(1);
    while (true) {
        const size_t slash = rest.find('/');
        std::optional<std::string> segment = percent_decode(rest.substr(0, slash), false);
        if (!segment) {
            return std::string("the path has a '%' that is not followed by two hex digits");
        }
        out.path += '/';
        out.path += *segment;
        out.segments.push_back(std::move(*segment));
        if (slash == std::string_view::npos) {
            break;
        }
        rest = rest.substr(slash + 1);
    }

    while (!raw_query.empty()) {
        const size_t amp = raw_query.find('&');
        const std::string_view pair = raw_query.substr(0, amp);
        raw_query = amp == std::string_view::npos ? std::string_view() : raw_query.substr(amp + 1);
        if (pair.empty()) {
            continue;
        }
        const size_t eq = pair.find('=');
        std::optional<std::string> name = percent_decode(pair.substr(0, eq), true);
        std::optional<std::string> value = percent_decode(
            eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1), true);
        if (!name || !value) {
            return std::string("the query has a '%' that is not followed by two hex digits");
        }
        out.query.emplace_back(std::move(*name), std::move(*value));
    }
    return std::nullopt;
}

namespace {

// The address to bind, or nullopt for one is_http_address refuses.
std::optional<asio::ip::address> bind_address(std::string_view address) {
    if (address == "localhost") {
        return asio::ip::address_v4::loopback();
    }
    beast::error_code ec;
    const asio::ip::address parsed = asio::ip::make_address(address, ec);
    if (ec) {
        return std::nullopt;
    }
    return parsed;
}

// Opens, configures and binds `acceptor` as start() does; returns what failed.
beast::error_code open_and_bind(tcp::acceptor& acceptor, const tcp::endpoint& endpoint) {
    beast::error_code ec;
    acceptor.open(endpoint.protocol(), ec);
    if (!ec) {
        acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    }
    if (!ec) {
        acceptor.bind(endpoint, ec);
    }
    return ec;
}

std::string bind_error_message(const http_server_options& o, const beast::error_code& ec) {
    return fmt::format("cannot serve HTTP on {}:{}: {}; choose another port or address", o.address,
                       o.port, ec.message());
}

} // namespace

bool is_http_address(std::string_view address) {
    return bind_address(address).has_value();
}

void check_http_bindable(const http_server_options& options) {
    const std::optional<asio::ip::address> address = bind_address(options.address);
    if (!address) {
        throw std::invalid_argument(fmt::format(
            "'{}' is not an IP address; give one such as 127.0.0.1 or ::1, or localhost",
            options.address));
    }
    asio::io_context io;
    tcp::acceptor acceptor(io);
    const beast::error_code ec = open_and_bind(acceptor, tcp::endpoint(*address, options.port));
    beast::error_code ignored;
    acceptor.close(ignored);
    if (ec) {
        throw std::runtime_error(bind_error_message(options, ec));
    }
}

namespace {

// What every connection shares with the server: the options, the handler and whether the
// server is stopping. Connections hold it by shared_ptr and never point at the server,
// so a connection that outlives the server's thread (destroyed with the io_context) is
// harmless.
struct shared_state {
    http_server_options options;
    http_handler handler;
    bool stopping = false; // only touched on the server's thread
    size_t rejecting = 0;  // connections being answered 503; the server's thread only
};

bool has_line_break(std::string_view s) {
    return s.find_first_of("\r\n") != std::string_view::npos;
}

bool is_parse_error(const beast::error_code& ec) {
    static const beast::error_code sample = http::error::bad_target;
    return ec.category() == sample.category() || ec == beast::error_code(http::error::body_limit);
}

std::string parse_error_message(const beast::error_code& ec, const http_server_options& o) {
    if (ec == http::error::header_limit || ec == http::error::buffer_overflow) {
        return fmt::format("request too large: the request line and headers are limited to {} "
                           "bytes",
                           o.max_header_bytes);
    }
    if (ec == http::error::body_limit) {
        return fmt::format("request too large: a request body is limited to {} bytes "
                           "(GET and HEAD need none)",
                           o.max_body_bytes);
    }
    return "malformed HTTP request: " + ec.message();
}

// One client connection: wait for a request's first byte (bounded in time: silent_timeout
// on a new connection, idle_timeout between requests), read the request (bounded in size
// and time), answer it, and repeat while the client keeps the connection alive. Or, for a
// connection over the limit, only answer 503 and close.
//
//   waiting --first byte--> busy (read, answer, write) --keep-alive--> waiting
//      |                      |
//      |                      +--close after the answer--> closing (discard, <= 2 s)
//      +--timeout, end of stream, closed by the server--> gone
//
// Lifecycle: made by the acceptor, kept alive by the handlers of its pending operation
// (shared_from_this); dies when it stops reading or writing. The server holds only a
// weak_ptr, to close it at stop() or to make room for a newcomer.
// Threading: the server's thread only.
class connection : public std::enable_shared_from_this<connection> {
public:
    enum class phase { waiting, busy, closing };

    connection(tcp::socket socket, std::shared_ptr<shared_state> state)
        : _stream(std::move(socket)), _state(std::move(state)),
          _buffer(_state->options.max_header_bytes + _state->options.max_body_bytes + 4096) {}

    ~connection() {
        if (_rejected) {
            --_state->rejecting;
        }
    }
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;

    void start() { read(); }

    // For a connection over the limit when no open one can make room: answers 503 with why
    // and closes, without reading the request (its bytes are discarded while lingering).
    void reject() {
        _rejected = true;
        ++_state->rejecting;
        http::response<http::string_body> res;
        res.version(11);
        res.keep_alive(false);
        http_response r = http_response::text(
            503, fmt::format("too many connections: this endpoint serves at most {} at once and "
                             "each is in the middle of a request; try again shortly\n",
                             _state->options.max_connections));
        r.headers.emplace_back("Retry-After", "1");
        fill(res, std::move(r), false);
        write(std::move(res), true);
    }

    void close() {
        beast::error_code ignored;
        _stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
        _stream.close();
    }

    phase current_phase() const { return _phase; }
    // Since when it has waited for a request (meaningful while waiting).
    std::chrono::steady_clock::time_point waiting_since() const { return _waiting_since; }

private:
    void read() {
        if (_state->stopping) {
            close();
            return;
        }
        _parser.emplace();
        _parser->header_limit(static_cast<uint32_t>(std::min<size_t>(
            _state->options.max_header_bytes, std::numeric_limits<uint32_t>::max())));
        _parser->body_limit(_state->options.max_body_bytes);
        if (_buffer.size() > 0) {
            read_request(); // a pipelined request has begun already
            return;
        }
        // Waiting costs a place among max_connections and nothing else: a short wait, and
        // the server may close this connection for a newcomer meanwhile.
        _phase = phase::waiting;
        _waiting_since = std::chrono::steady_clock::now();
        _stream.expires_after(_served == 0 ? _state->options.silent_timeout
                                           : _state->options.idle_timeout);
        _stream.async_read_some(_buffer.prepare(4096),
                                [self = shared_from_this()](beast::error_code ec, size_t n) {
                                    self->_buffer.commit(n);
                                    if (ec) {
                                        // End of stream, a timeout, or closed by the server:
                                        // there is no request to answer.
                                        return;
                                    }
                                    self->read_request();
                                });
    }

    void read_request() {
        _phase = phase::busy;
        _stream.expires_after(_state->options.read_timeout);
        http::async_read(
            _stream, _buffer, *_parser,
            [self = shared_from_this()](beast::error_code ec, size_t) { self->on_read(ec); });
    }

    void on_read(const beast::error_code& ec) {
        if (ec == http::error::end_of_stream) {
            beast::error_code ignored;
            _stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
            return;
        }
        if (ec && is_parse_error(ec)) {
            // The stream cannot be resynchronised after a malformed request: answer, close.
            answer_and_close(
                http_response::text(400, parse_error_message(ec, _state->options) + "\n"));
            return;
        }
        if (ec) {
            // Timeout, reset, or closed by stop(): nothing to answer.
            return;
        }
        const auto& req = _parser->get();
        if (const auto fields = static_cast<size_t>(std::distance(req.begin(), req.end()));
            fields > _state->options.max_header_count) {
            answer_and_close(http_response::text(
                431, fmt::format("request header fields too many: {}, at most {}\n", fields,
                                 _state->options.max_header_count)));
            return;
        }
        ++_served;
        http::response<http::string_body> res;
        res.version(req.version());
        res.keep_alive(req.keep_alive());
        const bool head = req.method() == http::verb::head;
        fill(res, answer(req), head);
        const bool close_after = res.need_eof();
        write(std::move(res), close_after);
    }

    void answer_and_close(http_response r) {
        http::response<http::string_body> res;
        res.version(11);
        res.keep_alive(false);
        fill(res, std::move(r), false);
        write(std::move(res), true);
    }

    http_response answer(const http::request<http::string_body>& req) {
        if (req.method() != http::verb::get && req.method() != http::verb::head) {
            http_response r = http_response::text(
                405, fmt::format("method {} is not allowed: this endpoint serves GET and HEAD\n",
                                 std::string(req.method_string())));
            r.headers.emplace_back("Allow", "GET, HEAD");
            return r;
        }
        http_request request;
        request.method = req.method() == http::verb::head ? "HEAD" : "GET";
        if (auto error =
                parse_target(std::string_view(req.target().data(), req.target().size()), request)) {
            return http_response::text(400, *error + "\n");
        }
        try {
            http_response r = _state->handler(request);
            if (r.status < 100 || r.status > 599) {
                return http_response::text(
                    500, fmt::format("internal error: the handler answered status {}\n", r.status));
            }
            if (has_line_break(r.content_type)) {
                return http_response::text(500, "internal error: the handler answered a "
                                                "Content-Type with a line break\n");
            }
            for (const auto& [name, value] : r.headers) {
                if (name.empty() || has_line_break(name) || has_line_break(value) ||
                    name.find(':') != std::string::npos) {
                    return http_response::text(
                        500, "internal error: the handler answered a malformed header\n");
                }
            }
            return r;
        } catch (const std::exception& e) {
            return http_response::text(500, fmt::format("internal error: {}\n", e.what()));
        } catch (...) {
            return http_response::text(500, "internal error: unknown exception\n");
        }
    }

    static void fill(http::response<http::string_body>& res, http_response r, bool head) {
        res.result(static_cast<unsigned>(r.status));
        res.set(http::field::server, "brook");
        res.set(http::field::content_type, r.content_type);
        for (const auto& [name, value] : r.headers) {
            res.set(name, value);
        }
        res.body() = std::move(r.body);
        res.prepare_payload();
        if (head) {
            // Content-Length stays that of the GET response, as RFC 9110 asks.
            res.body().clear();
        }
    }

    void write(http::response<http::string_body>&& res, bool close_after) {
        _phase = phase::busy;
        _response = std::move(res);
        _stream.expires_after(_rejected
                                  ? std::min<std::chrono::milliseconds>(
                                        _state->options.write_timeout, std::chrono::seconds(2))
                                  : _state->options.write_timeout);
        http::async_write(_stream, _response,
                          [self = shared_from_this(), close_after](beast::error_code ec, size_t) {
                              if (ec) {
                                  return;
                              }
                              if (close_after) {
                                  self->linger();
                                  return;
                              }
                              self->read();
                          });
    }

    // Closes gracefully: stop sending, then read and discard what the client still sends
    // (the rest of an oversized request) for a short while. Closing with unread data would
    // make the kernel send a reset, which can destroy the response before the client reads
    // it.
    void linger() {
        _phase = phase::closing;
        beast::error_code ignored;
        _stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
        _stream.expires_after(std::min<std::chrono::milliseconds>(_state->options.read_timeout,
                                                                  std::chrono::seconds(2)));
        discard();
    }

    void discard() {
        if (_state->stopping) {
            close();
            return;
        }
        _buffer.consume(_buffer.size());
        _stream.async_read_some(_buffer.prepare(4096),
                                [self = shared_from_this()](beast::error_code ec, size_t) {
                                    if (!ec) {
                                        self->discard();
                                    }
                                });
    }

    beast::tcp_stream _stream;
    std::shared_ptr<shared_state> _state;
    beast::flat_buffer _buffer;
    std::optional<http::request_parser<http::string_body>> _parser;
    http::response<http::string_body> _response;
    phase _phase = phase::waiting;
    std::chrono::steady_clock::time_point _waiting_since = std::chrono::steady_clock::now();
    uint64_t _served = 0;   // requests answered: the first waits silent_timeout, others idle
    bool _rejected = false; // answered 503 over the limit: counted in shared_state::rejecting
};

} // namespace

struct http_server::impl {
    impl(http_server_options options, http_handler handler)
        : state(std::make_shared<shared_state>()), acceptor(io), retry_timer(io) {
        state->options = std::move(options);
        state->handler = std::move(handler);
    }

    void accept() {
        acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
            if (state->stopping || ec == asio::error::operation_aborted) {
                return;
            }
            if (ec) {
                // Out of file descriptors and the like: try again shortly rather than spin.
                log_warn(fmt::format("http: accept failed: {}; retrying", ec.message()));
                retry_timer.expires_after(std::chrono::milliseconds(100));
                retry_timer.async_wait([this](beast::error_code wait_ec) {
                    if (!wait_ec && !state->stopping) {
                        accept();
                    }
                });
                return;
            }
            std::erase_if(connections, [](const auto& c) { return c.expired(); });
            std::erase_if(rejected, [](const auto& c) { return c.expired(); });
            if (connections.size() >= state->options.max_connections) {
                make_room();
            }
            beast::error_code ignored;
            socket.set_option(tcp::no_delay(true), ignored);
            if (connections.size() < state->options.max_connections) {
                auto c = std::make_shared<connection>(std::move(socket), state);
                connections.push_back(c);
                c->start();
            } else if (state->rejecting < state->options.max_rejections) {
                auto c = std::make_shared<connection>(std::move(socket), state);
                rejected.push_back(c);
                c->reject();
            } else {
                socket.close(ignored); // a flood: answering each would cost more than it helps
            }
            accept();
        });
    }

    // Closes the open connection that has waited longest for a request, else one that is
    // closing anyway, so a newcomer (a health probe) gets its place; none while each is
    // mid-request. Idle clients used to hold every place: /health then failed 28 times of
    // 30. A waiting connection loses nothing; a closing one is cut short only when no
    // waiting one is left, since its answer may still be on its way to its client.
    void make_room() {
        std::shared_ptr<connection> victim;
        const auto rank = [](const connection& c) {
            return std::pair(c.current_phase() == connection::phase::closing, c.waiting_since());
        };
        for (const auto& weak : connections) {
            auto c = weak.lock();
            if (!c || c->current_phase() == connection::phase::busy) {
                continue;
            }
            if (!victim || rank(*c) < rank(*victim)) {
                victim = std::move(c);
            }
        }
        if (victim) {
            victim->close(); // its pending read ends, and with it the connection
            std::erase_if(connections, [&](const auto& w) { return w.lock() == victim; });
        }
    }

    // On the server's thread: stop accepting, close every connection, then stop the loop
    // once the aborted operations queued by those closes have run.
    void close_all() {
        state->stopping = true;
        beast::error_code ignored;
        acceptor.close(ignored);
        retry_timer.cancel();
        for (auto* list : {&connections, &rejected}) {
            for (const auto& weak : *list) {
                if (auto c = weak.lock()) {
                    c->close();
                }
            }
            list->clear();
        }
        asio::post(io, [this] { io.stop(); });
    }

    void run() {
        while (true) {
            try {
                io.run();
                return;
            } catch (const std::exception& e) {
                // Connection code catches its own errors; this is a last resort that keeps
                // the endpoint serving.
                log_error(fmt::format("http: unexpected error, continuing: {}", e.what()));
            }
        }
    }

    // Declared first: destroyed last, after everything that uses it.
    asio::io_context io{1};
    std::shared_ptr<shared_state> state;
    tcp::acceptor acceptor;
    asio::steady_timer retry_timer;
    std::vector<std::weak_ptr<connection>> connections; // the server's thread only
    std::vector<std::weak_ptr<connection>> rejected;    // being answered 503; same thread
    std::thread thread;
    std::mutex control; // start() and stop()
    std::atomic<uint16_t> port{0};
    bool started = false;
    bool stopped = false;
};

http_server::http_server(http_server_options options, http_handler handler) {
    if (!handler) {
        throw std::invalid_argument("http_server needs a handler");
    }
    if (options.read_timeout.count() <= 0 || options.write_timeout.count() <= 0 ||
        options.idle_timeout.count() <= 0 || options.silent_timeout.count() <= 0) {
        throw std::invalid_argument(
            "http_server: the read, write, idle and silent timeouts must be positive");
    }
    if (options.max_header_bytes == 0 || options.max_header_count == 0 ||
        options.max_connections == 0) {
        throw std::invalid_argument("http_server: max_header_bytes, max_header_count and "
                                    "max_connections must be positive");
    }
    if (!is_http_address(options.address)) {
        throw std::invalid_argument(fmt::format("http_server: '{}' is not an IP address; give one "
                                                "such as 127.0.0.1 or ::1, or localhost",
                                                options.address));
    }
    _impl = std::make_unique<impl>(std::move(options), std::move(handler));
}

http_server::~http_server() {
    try {
        stop();
    } catch (const std::exception& e) {
        log_error(fmt::format("http: stop failed: {}", e.what()));
    }
}

void http_server::start() {
    std::lock_guard lock(_impl->control);
    if (_impl->stopped) {
        throw std::logic_error("http_server: a stopped server cannot be started again");
    }
    if (_impl->started) {
        return;
    }
    const auto& o = _impl->state->options;
    const tcp::endpoint endpoint(*bind_address(o.address), o.port);
    auto& acceptor = _impl->acceptor;
    beast::error_code ec = open_and_bind(acceptor, endpoint);
    if (!ec) {
        acceptor.listen(asio::socket_base::max_listen_connections, ec);
    }
    if (ec) {
        beast::error_code ignored;
        acceptor.close(ignored);
        throw std::runtime_error(bind_error_message(o, ec));
    }
    _impl->port = acceptor.local_endpoint().port();
    _impl->accept();
    _impl->started = true;
    _impl->thread = std::thread([impl = _impl.get()] { impl->run(); });
}

void http_server::stop() {
    std::lock_guard lock(_impl->control);
    if (!_impl->started || _impl->stopped) {
        _impl->stopped = true;
        return;
    }
    if (std::this_thread::get_id() == _impl->thread.get_id()) {
        throw std::logic_error("http_server::stop() called from the request handler; call it "
                               "from another thread");
    }
    asio::post(_impl->io, [impl = _impl.get()] { impl->close_all(); });
    _impl->thread.join();
    _impl->stopped = true;
}

uint16_t http_server::port() const {
    return _impl->port.load();
}

const std::string& http_server::address() const {
    return _impl->state->options.address;
}

bool http_server::running() const {
    std::lock_guard lock(_impl->control);
    return _impl->started && !_impl->stopped;
}

} // namespace brook
