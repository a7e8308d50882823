#include "tests/support/metrics_workload.h"

#include <algorithm>
#include <set>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "tests/support/topic_tail.h"

namespace brook::testing {

namespace {

using namespace std::chrono_literals;

constexpr int64_t span_ms = 4 * 3'600'000;
constexpr int hosts = 40;

struct kind {
    const char* name; // as written
    const char* unit;
    const char* norm_name; // as reported
    const char* norm_unit;
    double divisor;
};
constexpr kind kinds[] = {
    {"CPU.Usage", "percent", "cpu.usage", "ratio", 100},
    {"request.latency", "ms", "request.latency", "s", 1000},
    {"disk.free", "bytes", "disk.free", "bytes", 1},
};

std::string malformed(int64_t i) {
    switch ((i / 100) % 5) {
    case 0:
        return fmt::format("not json #{}", i);
    case 1:
        return fmt::format(R"({{"host":"h","value":1,"seq":{}}})", i); // no name
    case 2:
        return fmt::format(R"({{"name":"n","host":"h","value":"7","seq":{}}})", i);
    case 3:
        return fmt::format(R"({{"name":"n","host":"h","value":1,"ts":-5,"seq":{}}})", i);
    default:
        return fmt::format(R"([{},"an array"])", i);
    }
}

} // namespace

metrics_workload::metrics_workload(std::string input_topic, int partitions, int64_t records,
                                   int chunks)
    : _input(std::move(input_topic)), _partitions(partitions), _records(records), _chunks(chunks) {
    const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    _start_ts = (now - 3'600'000 - span_ms) / window_ms * window_ms;
}

int64_t metrics_workload::ts_of(int64_t i) const {
    const int64_t jitter = (i * 7919) % 600'001 - 300'000;
    return std::max<int64_t>(_start_ts, _start_ts + i * span_ms / _records + jitter);
}

void metrics_workload::produce_chunk(kafka::producer& p, int chunk) {
    const int64_t from = _records * chunk / _chunks;
    const int64_t to = _records * (chunk + 1) / _chunks;
    const uint64_t failed_before = p.failed_deliveries();
    for (int64_t i = from; i < to; ++i) {
        const std::string host = fmt::format("host-{:02d}", (i * 13) % hosts);
        if (i % 100 == 37) {
            const std::string value = malformed(i);
            _oracle.add_malformed(value);
            p.produce(_input, RD_KAFKA_PARTITION_UA, host, value);
            continue;
        }
        const kind& k = kinds[(i / 7) % std::size(kinds)];
        const int64_t raw = (i * 31) % 1000;
        const int64_t ts = ts_of(i);
        p.produce(_input, RD_KAFKA_PARTITION_UA, host,
                  fmt::format(R"({{"name":"{}","host":"{}","value":{},"unit":"{}","ts":{}}})",
                              k.name, host, raw, k.unit, ts));
        _oracle.add_valid(host, k.norm_name, k.norm_unit, static_cast<double>(raw) / k.divisor, ts);
    }
    p.flush(60s);
    // The oracle counts every record written: one the broker never took would be "missing"
    // from the app's output through no fault of the app.
    if (const uint64_t failed = p.failed_deliveries() - failed_before; failed > 0) {
        throw std::runtime_error(
            fmt::format("{} records of chunk {} were not delivered: the test's input is incomplete",
                        failed, chunk));
    }
}

std::map<metric_window_id, metric_window> metrics_workload::closed() const {
    return _oracle.closed_at(_oracle.max_ts(), grace_ms);
}

metrics_outcome metrics_workload::collect(const kafka::client_config& base,
                                          const std::string& output_topic,
                                          const std::string& dlq_topic,
                                          std::chrono::seconds patience,
                                          std::chrono::seconds linger) const {
    metrics_outcome result;
    const auto closed_windows = closed();
    result.closed = closed_windows.size();

    // Distinct closed windows seen so far, to know when all are there even if some came
    // twice (at-least-once).
    std::vector<std::string> outputs;
    std::set<metric_window_id> seen;
    const auto on_output = [&](const rd_kafka_message_t& m) {
        outputs.emplace_back(static_cast<const char*>(m.payload), m.len);
        const auto j = nlohmann::json::parse(outputs.back(), nullptr, false);
        if (j.is_object() && j.contains("window_start") && j["window_start"].is_number()) {
            metric_window_id id{
                j.value("host", ""), j.value("name", ""),
                j.contains("unit") && j["unit"].is_string() ? j["unit"].get<std::string>() : "",
                j["window_start"].get<int64_t>()};
            if (closed_windows.contains(id)) {
                seen.insert(std::move(id));
            }
        }
    };
    const auto deadline = std::chrono::steady_clock::now() + patience;
    topic_tail out(base, output_topic, _partitions);
    out.poll_until([&] { return seen.size() >= closed_windows.size(); }, patience, on_output);
    out.poll(linger, on_output);

    std::vector<std::pair<std::string, bool>> dead;
    std::set<std::string> dead_seen;
    const auto on_dead = [&](const rd_kafka_message_t& m) {
        rd_kafka_headers_t* hdrs = nullptr;
        const void* reason = nullptr;
        size_t size = 0;
        const bool has_reason =
            rd_kafka_message_headers(&m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR &&
            rd_kafka_header_get_last(hdrs, "error", &reason, &size) == RD_KAFKA_RESP_ERR_NO_ERROR &&
            size > 0;
        dead.emplace_back(std::string(static_cast<const char*>(m.payload), m.len), has_reason);
        if (_oracle.malformed().contains(dead.back().first)) {
            dead_seen.insert(dead.back().first);
        }
    };
    topic_tail dlq(base, dlq_topic, _partitions);
    const auto left = std::max<std::chrono::steady_clock::duration>(
        deadline - std::chrono::steady_clock::now(), 10s);
    dlq.poll_until([&] { return dead_seen.size() >= _oracle.malformed().size(); },
                   std::chrono::duration_cast<std::chrono::milliseconds>(left), on_dead);
    dlq.poll(linger, on_dead);

    result.windows = _oracle.check_windows(outputs, closed_windows);
    result.dlq = _oracle.check_dlq(dead);
    return result;
}

} // namespace brook::testing
