#include "tests/support/http_get.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "ops/http_client.h"

namespace brook::testing {

using tcp = boost::asio::ip::tcp;

http_reply http_get(const std::string& host, uint16_t port, const std::string& target,
                    std::chrono::milliseconds timeout) {
    brook::http_client_reply r = brook::http_fetch(host, port, target, timeout);
    return {r.status, std::move(r.content_type), std::move(r.body), std::move(r.error)};
}

uint16_t free_port() {
    boost::asio::io_context io;
    tcp::acceptor acceptor(io, tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
    return acceptor.local_endpoint().port();
}

} // namespace brook::testing
