#include "tests/support/http_get.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace brook::testing {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

http_reply http_get(const std::string& host, uint16_t port, const std::string& target,
                    std::chrono::milliseconds timeout) {
    http_reply reply;
    try {
        boost::asio::io_context io;
        beast::tcp_stream stream(io);
        stream.expires_after(timeout);
        tcp::resolver resolver(io);
        stream.connect(resolver.resolve(host, std::to_string(port)));
        http::request<http::empty_body> req{http::verb::get, target, 11};
        req.set(http::field::host, host);
        req.set(http::field::connection, "close");
        http::write(stream, req);
        beast::flat_buffer buffer;
        http::response<http::string_body> res;
        http::read(stream, buffer, res);
        reply.status = static_cast<int>(res.result_int());
        reply.content_type = std::string(res[http::field::content_type]);
        reply.body = std::move(res.body());
        beast::error_code ignored;
        stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    } catch (const std::exception& e) {
        reply.status = 0;
        reply.error = e.what();
    }
    return reply;
}

uint16_t free_port() {
    boost::asio::io_context io;
    tcp::acceptor acceptor(io, tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
    return acceptor.local_endpoint().port();
}

} // namespace brook::testing
