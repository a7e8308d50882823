#include "tests/support/prometheus_scrape.h"

#include <cstdlib>

#include "tests/support/http_get.h"

namespace brook::testing {

std::optional<double> prometheus_value(const std::string& page, const std::string& name) {
    const std::string wanted = name + " ";
    size_t line = 0;
    while (line < page.size()) {
        const size_t end = std::min(page.find('\n', line), page.size());
        if (page.compare(line, wanted.size(), wanted) == 0) {
            const std::string value = page.substr(line + wanted.size(), end - line - wanted.size());
            char* parsed_to = nullptr;
            const double v = std::strtod(value.c_str(), &parsed_to);
            if (parsed_to != value.c_str()) {
                return v;
            }
        }
        line = end + 1;
    }
    return std::nullopt;
}

std::optional<double> scrape_metric(uint16_t port, const std::string& name) {
    const http_reply reply = http_get("127.0.0.1", port, "/metrics");
    if (reply.status != 200) {
        return std::nullopt;
    }
    return prometheus_value(reply.body, name);
}

} // namespace brook::testing
