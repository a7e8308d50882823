// http_server through a real HTTP client (Boost.Beast): routing by decoded path, the
// errors it answers itself (400, 405, 500), keep-alive and pipelining, many clients at
// once, clients that stall mid-request, and stop() with connections still open.

#include <atomic>
#include <cctype>
#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "ops/http_server.h"

namespace brook::apps {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

using response = http::response<http::string_body>;

// A blocking HTTP client with a deadline on every operation, so a server that misbehaves
// fails the test instead of hanging it.
class client {
public:
    explicit client(uint16_t port) : _stream(_io) {
        run([&](auto done) {
            _stream.expires_after(5s);
            _stream.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port),
                                  [done](beast::error_code ec) { done(ec); });
        });
    }

    // Sends one request and reads its response; throws on any error or after 5 s.
    response request(const std::string& target, http::verb verb = http::verb::get,
                     unsigned version = 11, bool keep_alive = true) {
        send(target, verb, version, keep_alive);
        return receive(verb == http::verb::head);
    }

    void send(const std::string& target, http::verb verb = http::verb::get, unsigned version = 11,
              bool keep_alive = true) {
        http::request<http::string_body> req{verb, target, version};
        req.set(http::field::host, "127.0.0.1");
        req.keep_alive(keep_alive);
        req.prepare_payload();
        run([&](auto done) {
            _stream.expires_after(5s);
            http::async_write(_stream, req, [done](beast::error_code ec, size_t) { done(ec); });
        });
    }

    response receive(bool head = false) {
        http::response_parser<http::string_body> parser;
        parser.skip(head);
        run([&](auto done) {
            _stream.expires_after(5s);
            http::async_read(_stream, _buffer, parser,
                             [done](beast::error_code ec, size_t) { done(ec); });
        });
        return parser.release();
    }

    void send_raw(const std::string& bytes) {
        run([&](auto done) {
            _stream.expires_after(5s);
            asio::async_write(_stream, asio::buffer(bytes),
                              [done](beast::error_code ec, size_t) { done(ec); });
        });
    }

    // Waits up to `timeout` for the server to close the connection; true when it did
    // (end of stream or reset), false when the deadline passed first.
    bool closed_by_server_within(std::chrono::milliseconds timeout) {
        beast::error_code result;
        char byte;
        _stream.expires_after(timeout);
        _stream.async_read_some(asio::buffer(&byte, 1),
                                [&](beast::error_code ec, size_t) { result = ec; });
        _io.restart();
        _io.run();
        return result && result != beast::error::timeout;
    }

private:
    template <class Start>
    void run(Start start) {
        beast::error_code result;
        start([&result](beast::error_code ec) { result = ec; });
        _io.restart();
        _io.run();
        if (result) {
            throw beast::system_error(result);
        }
    }

    asio::io_context _io;
    beast::tcp_stream _stream;
    beast::flat_buffer _buffer;
};

// Echoes what the handler saw; /fail throws; /missing answers 404.
http_response echo(const http_request& r) {
    if (r.path == "/fail") {
        throw std::runtime_error("the store exploded");
    }
    if (r.path == "/missing") {
        return http_response::text(404, "no such thing");
    }
    if (r.path == "/bad-status") {
        return http_response::text(1000, "");
    }
    if (r.path == "/bad-header") {
        http_response out = http_response::text(200, "");
        out.headers.emplace_back("X-Evil", "a\r\nSet-Cookie: x=1");
        return out;
    }
    std::string body = r.method + " " + r.path;
    for (const auto& s : r.segments) {
        body += " [" + s + "]";
    }
    for (const auto& [k, v] : r.query) {
        body += " " + k + "=" + v;
    }
    http_response out = http_response::text(200, body);
    out.headers.emplace_back("X-Echo", "yes");
    return out;
}

http_server_options test_options() {
    http_server_options o;
    o.port = 0;
    return o;
}

struct running_server {
    explicit running_server(http_server_options o = test_options(), http_handler h = echo)
        : server(std::move(o), std::move(h)) {
        server.start();
    }
    http_server server;
};

TEST(http_request_target, splits_the_path_before_decoding_so_an_encoded_slash_stays_in_a_segment) {
    http_request r;
    ASSERT_FALSE(parse_target("/stores/a%2Fb/keys/k%20x?from=1&name=a+b%26c&flag&&=v", r));
    EXPECT_EQ(r.path, "/stores/a/b/keys/k x");
    EXPECT_EQ(r.segments, (std::vector<std::string>{"stores", "a/b", "keys", "k x"}));
    ASSERT_EQ(r.query.size(), 4U);
    EXPECT_EQ(r.param("from"), "1");
    EXPECT_EQ(r.param("name"), "a b&c");
    EXPECT_EQ(r.param("flag"), "");
    EXPECT_EQ(r.param(""), "v");
    EXPECT_EQ(r.param("absent"), std::nullopt);

    ASSERT_FALSE(parse_target("/", r));
    EXPECT_EQ(r.segments, (std::vector<std::string>{""}));
    ASSERT_FALSE(parse_target("/a/", r));
    EXPECT_EQ(r.segments, (std::vector<std::string>{"a", ""}));
    ASSERT_FALSE(parse_target("/a+b", r));
    EXPECT_EQ(r.path, "/a+b") << "'+' is a space only in the query";
}

TEST(http_request_target, refuses_bad_percent_encoding_and_targets_that_are_not_paths) {
    http_request r;
    for (const char* bad :
         {"/a%", "/a%4", "/a%zz", "/a%4g", "/a?x=%", "/a?%G1=1", "*", "http://example.com/a", ""}) {
        EXPECT_TRUE(parse_target(bad, r).has_value()) << bad;
    }
}

TEST(percent_encoding, round_trips_every_byte) {
    std::string all;
    for (int c = 0; c < 256; ++c) {
        all.push_back(static_cast<char>(c));
    }
    const std::string encoded = percent_encode(all);
    for (const char c : encoded) {
        EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '%' || c == '-' ||
                    c == '.' || c == '_' || c == '~')
            << c;
    }
    EXPECT_EQ(percent_decode(encoded, false), all);
}

TEST(http_server, answers_with_the_handler_response_on_an_ephemeral_port) {
    running_server s;
    ASSERT_NE(s.server.port(), 0);
    EXPECT_TRUE(s.server.running());
    client c(s.server.port());
    const response r = c.request("/stores/a%2Fb/keys/x?from=5&to=9");
    EXPECT_EQ(r.result_int(), 200);
    EXPECT_EQ(r.body(), "GET /stores/a/b/keys/x [stores] [a/b] [keys] [x] from=5 to=9");
    EXPECT_EQ(r[http::field::content_type], "text/plain; charset=utf-8");
    EXPECT_EQ(r["X-Echo"], "yes");
    EXPECT_EQ(c.request("/missing").result_int(), 404);
}

TEST(http_server, head_gets_the_get_headers_and_no_body) {
    running_server s;
    client c(s.server.port());
    const response head = c.request("/x", http::verb::head);
    EXPECT_EQ(head.result_int(), 200);
    // What the handler answered ("HEAD /x [x]"), as a GET would have it.
    EXPECT_EQ(head[http::field::content_length], "11");
    EXPECT_EQ(head["X-Echo"], "yes");
    EXPECT_TRUE(head.body().empty());
    // The connection is still in step after the bodiless response.
    EXPECT_EQ(c.request("/y").body(), "GET /y [y]");
}

TEST(http_server, other_methods_get_405_with_allow_and_never_reach_the_handler) {
    std::atomic<int> calls{0};
    running_server s(test_options(), [&](const http_request& r) {
        ++calls;
        return echo(r);
    });
    client c(s.server.port());
    for (const auto verb : {http::verb::post, http::verb::put, http::verb::delete_,
                            http::verb::options, http::verb::patch}) {
        const response r = c.request("/x", verb);
        EXPECT_EQ(r.result_int(), 405) << verb;
        EXPECT_EQ(r[http::field::allow], "GET, HEAD");
    }
    EXPECT_EQ(calls.load(), 0);
    EXPECT_EQ(c.request("/x").result_int(), 200) << "405 keeps the connection usable";
}

TEST(http_server, bad_percent_encoding_is_a_400) {
    std::atomic<int> calls{0};
    running_server s(test_options(), [&](const http_request& r) {
        ++calls;
        return echo(r);
    });
    client c(s.server.port());
    for (const char* target : {"/keys/%zz", "/keys/abc%", "/keys/%4", "/x?from=%G0"}) {
        const response r = c.request(target);
        EXPECT_EQ(r.result_int(), 400) << target;
        EXPECT_NE(r.body().find("two hex digits"), std::string::npos) << r.body();
    }
    EXPECT_EQ(c.request("http://127.0.0.1/x").result_int(), 400);
    EXPECT_EQ(calls.load(), 0);
}

TEST(http_server, oversized_headers_or_bodies_are_a_400_and_close_the_connection) {
    http_server_options o = test_options();
    o.max_header_bytes = 1024;
    o.max_body_bytes = 16;
    running_server s(o);
    {
        client c(s.server.port());
        c.send_raw("GET /x HTTP/1.1\r\nHost: a\r\nX-Big: " + std::string(4096, 'a') + "\r\n\r\n");
        const response r = c.receive();
        EXPECT_EQ(r.result_int(), 400);
        EXPECT_NE(r.body().find("limited to 1024 bytes"), std::string::npos) << r.body();
        EXPECT_TRUE(c.closed_by_server_within(5s));
    }
    {
        client c(s.server.port());
        c.send_raw("GET /x HTTP/1.1\r\nHost: a\r\nContent-Length: 1000000\r\n\r\n");
        const response r = c.receive();
        EXPECT_EQ(r.result_int(), 400);
        EXPECT_NE(r.body().find("body is limited to 16 bytes"), std::string::npos) << r.body();
        EXPECT_TRUE(c.closed_by_server_within(5s));
    }
    {
        client c(s.server.port());
        c.send_raw("THIS IS NOT HTTP\r\n\r\n");
        EXPECT_EQ(c.receive().result_int(), 400);
    }
    client c(s.server.port());
    EXPECT_EQ(c.request("/still-serving").result_int(), 200);
}

TEST(http_server, a_throwing_handler_gives_500_with_its_message_and_the_server_goes_on) {
    running_server s;
    client c(s.server.port());
    const response r = c.request("/fail");
    EXPECT_EQ(r.result_int(), 500);
    EXPECT_EQ(r.body(), "internal error: the store exploded\n");
    EXPECT_EQ(c.request("/bad-status").result_int(), 500);
    const response evil = c.request("/bad-header");
    EXPECT_EQ(evil.result_int(), 500);
    EXPECT_EQ(evil.count(http::field::set_cookie), 0U);
    EXPECT_EQ(c.request("/ok").result_int(), 200);
}

TEST(http_server, keep_alive_serves_many_requests_on_one_connection_and_pipelines_in_order) {
    running_server s;
    client c(s.server.port());
    for (int i = 0; i < 20; ++i) {
        const response r = c.request(fmt::format("/n/{}", i));
        ASSERT_EQ(r.body(), fmt::format("GET /n/{} [n] [{}]", i, i));
        EXPECT_TRUE(r.keep_alive());
    }
    c.send_raw("GET /p/1 HTTP/1.1\r\nHost: a\r\n\r\nGET /p/2 HTTP/1.1\r\nHost: a\r\n\r\n"
               "GET /p/3 HTTP/1.1\r\nHost: a\r\n\r\n");
    EXPECT_EQ(c.receive().body(), "GET /p/1 [p] [1]");
    EXPECT_EQ(c.receive().body(), "GET /p/2 [p] [2]");
    EXPECT_EQ(c.receive().body(), "GET /p/3 [p] [3]");
}

TEST(http_server, closes_after_the_response_when_the_client_asks) {
    running_server s;
    {
        client c(s.server.port());
        const response r = c.request("/x", http::verb::get, 11, false);
        EXPECT_EQ(r.result_int(), 200);
        EXPECT_FALSE(r.keep_alive());
        EXPECT_TRUE(c.closed_by_server_within(5s));
    }
    client c(s.server.port());
    const response r = c.request("/x", http::verb::get, 10, false); // HTTP/1.0 default
    EXPECT_EQ(r.result_int(), 200);
    EXPECT_TRUE(c.closed_by_server_within(5s));
}

TEST(http_server, serves_concurrent_clients) {
    running_server s;
    constexpr int clients = 8;
    constexpr int requests = 25;
    std::vector<std::future<int>> results;
    for (int i = 0; i < clients; ++i) {
        results.push_back(std::async(std::launch::async, [&, i] {
            client c(s.server.port());
            int ok = 0;
            for (int j = 0; j < requests; ++j) {
                const response r = c.request(fmt::format("/c/{}/{}", i, j));
                ok += r.body() == fmt::format("GET /c/{}/{} [c] [{}] [{}]", i, j, i, j) ? 1 : 0;
            }
            return ok;
        }));
    }
    for (auto& f : results) {
        EXPECT_EQ(f.get(), requests);
    }
}

TEST(http_server, a_client_that_stalls_mid_request_blocks_no_one_and_is_cut_off_after_the_timeout) {
    http_server_options o = test_options();
    o.read_timeout = 300ms;
    running_server s(o);
    client stalled(s.server.port());
    stalled.send_raw("GET /slow HTTP/1.1\r\nHost: a\r\nX-Partial: ");
    // Others are served while it stalls.
    for (int i = 0; i < 3; ++i) {
        client other(s.server.port());
        EXPECT_EQ(other.request("/fast").result_int(), 200);
    }
    EXPECT_TRUE(stalled.closed_by_server_within(10s))
        << "the stalled connection was not closed after the read timeout";
}

TEST(http_server, an_idle_keep_alive_connection_is_closed_after_the_idle_timeout) {
    http_server_options o = test_options();
    o.idle_timeout = 300ms;
    running_server s(o);
    client c(s.server.port());
    EXPECT_EQ(c.request("/x").result_int(), 200);
    const auto start = std::chrono::steady_clock::now();
    EXPECT_TRUE(c.closed_by_server_within(5s));
    EXPECT_LT(std::chrono::steady_clock::now() - start, 3s) << "closed, but not after 300 ms";
}

TEST(http_server, a_connection_that_sends_nothing_is_closed_sooner_than_an_idle_one) {
    http_server_options defaults;
    EXPECT_LE(defaults.idle_timeout, 5s);
    EXPECT_LT(defaults.silent_timeout, defaults.idle_timeout);
    http_server_options o = test_options();
    o.silent_timeout = 200ms;
    o.idle_timeout = 1h;
    running_server s(o);
    client silent(s.server.port());
    client slow(s.server.port());
    std::this_thread::sleep_for(100ms);
    // Its first byte in time, the rest later: the request has begun, read_timeout applies.
    slow.send_raw("G");
    std::this_thread::sleep_for(300ms);
    slow.send_raw("ET /late HTTP/1.1\r\nHost: a\r\n\r\n");
    EXPECT_EQ(slow.receive().body(), "GET /late [late]");
    EXPECT_TRUE(silent.closed_by_server_within(5s));
    EXPECT_FALSE(slow.closed_by_server_within(500ms)) << "idle after a request: idle_timeout";
}

TEST(http_server, stop_returns_with_connections_open_and_closes_them) {
    http_server_options o = test_options();
    o.read_timeout = 1h; // only stop() can end these connections
    o.idle_timeout = 1h;
    o.silent_timeout = 1h;
    http_server server(o, echo);
    server.start();
    client idle(server.port());
    EXPECT_EQ(idle.request("/x").result_int(), 200);
    client stalled(server.port());
    stalled.send_raw("GET /x HTTP/1.1\r\nHost: a\r\n");
    client just_connected(server.port());

    auto stopping = std::async(std::launch::async, [&] { server.stop(); });
    ASSERT_EQ(stopping.wait_for(30s), std::future_status::ready) << "stop() hung";
    stopping.get();
    EXPECT_FALSE(server.running());
    EXPECT_TRUE(idle.closed_by_server_within(5s));
    EXPECT_TRUE(stalled.closed_by_server_within(5s));
    EXPECT_TRUE(just_connected.closed_by_server_within(5s));
    server.stop(); // idempotent
    EXPECT_THROW(server.start(), std::logic_error);
}

TEST(http_server, a_newcomer_over_the_limit_takes_the_place_of_the_longest_idle_connection) {
    http_server_options o = test_options();
    o.max_connections = 2;
    running_server s(o);
    client a(s.server.port());
    EXPECT_EQ(a.request("/a").result_int(), 200);
    std::this_thread::sleep_for(20ms);
    client b(s.server.port());
    EXPECT_EQ(b.request("/b").result_int(), 200);
    client c(s.server.port());
    EXPECT_EQ(c.request("/c").result_int(), 200) << "served, not turned away";
    EXPECT_TRUE(a.closed_by_server_within(5s)) << "the one idle longest made room";
    EXPECT_EQ(b.request("/b").result_int(), 200);
}

TEST(http_server, over_the_limit_with_every_connection_mid_request_a_newcomer_gets_503) {
    http_server_options o = test_options();
    o.max_connections = 2;
    running_server s(o);
    client a(s.server.port());
    client b(s.server.port());
    a.send_raw("GET /a HTTP/1.1\r\n");
    b.send_raw("GET /b HTTP/1.1\r\n");
    std::this_thread::sleep_for(100ms); // both requests have begun: neither can make room
    client c(s.server.port());
    const response r = c.request("/c");
    EXPECT_EQ(r.result_int(), 503);
    EXPECT_EQ(r.body(), "too many connections: this endpoint serves at most 2 at once and each "
                        "is in the middle of a request; try again shortly\n");
    EXPECT_EQ(r[http::field::retry_after], "1");
    EXPECT_TRUE(c.closed_by_server_within(5s));
    a.send_raw("Host: x\r\n\r\n");
    EXPECT_EQ(a.receive().result_int(), 200) << "the ones inside are served as before";
}

// Before, idle clients held every place: with 64 of them reconnecting, /health failed 28
// times of 30.
TEST(http_server, health_is_answered_while_64_idle_clients_hold_and_retake_every_place) {
    running_server s; // the defaults: 64 connections
    std::vector<std::unique_ptr<client>> idle;
    for (int i = 0; i < 64; ++i) {
        idle.push_back(std::make_unique<client>(s.server.port()));
    }
    int answered = 0;
    for (int i = 0; i < 30; ++i) {
        try {
            client probe(s.server.port());
            answered += probe.request("/health").result_int() == 200 ? 1 : 0;
        } catch (const std::exception& e) {
            ADD_FAILURE() << "probe " << i << ": " << e.what();
        }
        // The idle clients take every place back at once.
        idle.erase(idle.begin());
        idle.push_back(std::make_unique<client>(s.server.port()));
        idle.push_back(std::make_unique<client>(s.server.port()));
    }
    EXPECT_EQ(answered, 30);
}

TEST(http_server, a_request_with_too_many_header_fields_is_a_431_and_closes_the_connection) {
    http_server_options o = test_options();
    o.max_header_count = 5;
    running_server s(o);
    client ok(s.server.port());
    ok.send_raw("GET /x HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n");
    EXPECT_EQ(ok.receive().result_int(), 200);
    client many(s.server.port());
    many.send_raw("GET /x HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\nE: "
                  "5\r\n\r\n");
    const response r = many.receive();
    EXPECT_EQ(r.result_int(), 431);
    EXPECT_EQ(r.body(), "request header fields too many: 6, at most 5\n");
    EXPECT_TRUE(many.closed_by_server_within(5s));
}

TEST(http_server, start_is_idempotent_and_a_taken_port_or_bad_address_is_reported) {
    running_server s;
    s.server.start();
    http_server_options taken = test_options();
    taken.port = s.server.port();
    http_server second(taken, echo);
    try {
        second.start();
        FAIL() << "binding a taken port succeeded";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find(std::to_string(taken.port)), std::string::npos)
            << e.what();
    }
    http_server_options bad = test_options();
    bad.address = "localhost:80";
    EXPECT_THROW(http_server(bad, echo), std::invalid_argument);
    EXPECT_THROW(http_server(test_options(), nullptr), std::invalid_argument);
}

TEST(http_server, binds_localhost_and_checks_an_address_and_port_before_serving) {
    http_server_options local = test_options();
    local.address = "localhost";
    running_server s(local);
    client c(s.server.port());
    EXPECT_EQ(c.request("/x").result_int(), 200);
    EXPECT_TRUE(is_http_address("localhost"));
    EXPECT_TRUE(is_http_address("::"));
    EXPECT_FALSE(is_http_address("localhost."));
    EXPECT_FALSE(is_http_address("host.example"));

    http_server_options taken = test_options();
    taken.port = s.server.port();
    try {
        check_http_bindable(taken);
        FAIL() << "a taken port was reported free";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find(fmt::format("127.0.0.1:{}", taken.port)),
                  std::string::npos)
            << e.what();
    }
    http_server_options elsewhere = test_options();
    elsewhere.address = "192.0.2.1"; // TEST-NET-1: never this host's
    EXPECT_THROW(check_http_bindable(elsewhere), std::runtime_error);
    http_server_options name = test_options();
    name.address = "host.example";
    EXPECT_THROW(check_http_bindable(name), std::invalid_argument);
    EXPECT_NO_THROW(check_http_bindable(test_options()));
    // Checking closed what it bound: the port can be served right after.
    http_server_options free_port = test_options();
    free_port.port = s.server.port();
    s.server.stop();
    EXPECT_NO_THROW(check_http_bindable(free_port));
    running_server again(free_port);
    EXPECT_EQ(again.server.port(), free_port.port);
}

TEST(http_server, calling_stop_from_the_handler_is_refused_not_a_deadlock) {
    http_server* self = nullptr;
    running_server s(test_options(), [&](const http_request&) {
        self->stop();
        return http_response::text(200, "stopped?");
    });
    self = &s.server;
    client c(s.server.port());
    const response r = c.request("/x");
    EXPECT_EQ(r.result_int(), 500);
    EXPECT_NE(r.body().find("from the request handler"), std::string::npos) << r.body();
}

} // namespace
} // namespace brook::apps
