#include "ops/http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace brook {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

http_client_reply http_fetch(const std::string& host, uint16_t port, const std::string& target,
                             std::chrono::milliseconds timeout, size_t max_body_bytes) {
    http_client_reply reply;
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
        http::response_parser<http::string_body> parser;
        parser.body_limit(max_body_bytes);
        http::read(stream, buffer, parser);
        http::response<http::string_body> res = parser.release();
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

} // namespace brook
