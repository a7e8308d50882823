// Fuzzes the HTTP request parsing of brook::http_server (ops/http_server.h): the
// bytes a client sends go through Boost.Beast's request parser configured as the server
// configures it (header and body limits of http_server_options), one request after another
// as on a keep-alive connection, and each complete request's target through
// brook::parse_target, which percent-decodes the path, its segments and the query.
//
// What is not reached: the connection glue in http_server.cc (reading with timeouts,
// answering 400/405, writing the response) lives in a class private to that file, so the
// harness repeats its parser configuration instead of calling it. A pure function for
// "bytes -> request or error" there would let this harness call the server's own code.
//
// Invariants: no crash or UB whatever the bytes; parse_target either fills the request or
// gives an error; a filled request has a path of '/' + segment per segment, and the target
// written again from its decoded segments and query (percent_encode) parses to the same
// segments and query; percent_decode(percent_encode(x)) == x.

#include <string>

#include <boost/beast/core/error.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>

#include "fuzz/fuzz_support.h"
#include "ops/http_server.h"

namespace {

using namespace brook;
namespace http = boost::beast::http;

void check_target(std::string_view target) {
    http_request request;
    if (const auto error = parse_target(target, request)) {
        FUZZ_CHECK(!error->empty(), "an empty error");
        return;
    }
    FUZZ_CHECK(target.starts_with('/') && request.target == target, fuzz::excerpt(target));
    std::string path;
    std::string rewritten;
    for (const std::string& segment : request.segments) {
        path += '/' + segment;
        rewritten += '/' + percent_encode(segment);
    }
    FUZZ_CHECK(path == request.path, fuzz::excerpt(target));
    char separator = '?';
    for (const auto& [name, value] : request.query) {
        rewritten += separator + percent_encode(name) + '=' + percent_encode(value);
        separator = '&';
        FUZZ_CHECK(request.param(name).has_value(), "param() misses " + fuzz::excerpt(name));
    }
    http_request again;
    FUZZ_CHECK(!parse_target(rewritten, again), "rewritten target refused: " + rewritten);
    FUZZ_CHECK(again.segments == request.segments && again.query == request.query,
               fmt::format("{} -> {}", fuzz::excerpt(target), fuzz::excerpt(rewritten)));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view bytes = fuzz::as_text(data, size);
    for (const bool plus_is_space : {false, true}) {
        const auto decoded = percent_decode(percent_encode(bytes), plus_is_space);
        FUZZ_CHECK(decoded && *decoded == bytes, "percent round trip: " + fuzz::excerpt(bytes));
        (void)percent_decode(bytes, plus_is_space);
    }

    const http_server_options options;
    std::string_view rest = bytes;
    for (int n = 0; n < 8 && !rest.empty(); ++n) { // pipelined requests, as on one connection
        http::request_parser<http::string_body> parser;
        parser.header_limit(static_cast<uint32_t>(options.max_header_bytes));
        parser.body_limit(options.max_body_bytes);
        boost::beast::error_code ec;
        while (!parser.is_done() && !rest.empty()) {
            const size_t used = parser.put(boost::asio::buffer(rest.data(), rest.size()), ec);
            rest.remove_prefix(used);
            if (ec == http::error::need_more) {
                ec = {};
                if (used == 0) {
                    break; // the rest is not a whole piece: the connection would wait
                }
                continue;
            }
            if (ec) {
                break;
            }
        }
        if (!ec && !parser.is_done() && rest.empty()) {
            parser.put_eof(ec); // the client closed the connection
        }
        if (ec || !parser.is_done()) {
            return 0; // the server answers 400 (or waits) and closes
        }
        const auto& request = parser.get();
        FUZZ_CHECK(request.body().size() <= options.max_body_bytes, "body over the limit");
        if (request.method() == http::verb::get || request.method() == http::verb::head) {
            check_target(std::string_view(request.target().data(), request.target().size()));
        }
        if (!request.keep_alive()) {
            return 0;
        }
    }
    return 0;
}
