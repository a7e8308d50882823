#pragma once

// prometheus_scrape: one value of an app's /metrics page (Prometheus text), for tests that
// check a counter of a running app, such as brook_late_records_dropped_total.

#include <cstdint>
#include <optional>
#include <string>

namespace brook::testing {

// The value of the series `name` without labels in a Prometheus text page, or nullopt
// when the page has no such line.
std::optional<double> prometheus_value(const std::string& page, const std::string& name);

// GET /metrics from 127.0.0.1:`port` and the value of `name` there; nullopt when the app
// does not answer or has no such series.
std::optional<double> scrape_metric(uint16_t port, const std::string& name);

} // namespace brook::testing
