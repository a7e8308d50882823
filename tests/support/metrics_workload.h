#pragma once

// metrics_workload: input for brook-metrics written by a test in chunks, each record told
// to a metrics_oracle, and the check of what the app made of it.
//
//   `records` JSON metrics over 4 hours of event time ending an hour ago (up to 5 minutes
//   out of order), 40 hosts, three kinds that the app normalises (percent -> ratio,
//   ms -> s, bytes), keyed by host; 1% malformed in five ways the app must dead-letter.
//
// Run the app with flags() (60 s windows, an hour of grace): once its stream time reaches
// the last event time written, every window ending an hour before that is closed, and
// collect() reads the output and DLQ topics until each closed window and each malformed
// record is there, then a little longer to see any repeat.
//
// Not thread-safe; one test thread.

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "engine/kafka/client_config.h"
#include "engine/kafka/producer.h"
#include "tests/support/metrics_oracle.h"

namespace brook::testing {

struct metrics_outcome {
    size_t closed = 0; // windows that had to be emitted
    window_report windows;
    dlq_report dlq;
};

class metrics_workload {
public:
    static constexpr int64_t window_ms = 60'000;
    static constexpr int64_t grace_ms = 3'600'000;

    metrics_workload(std::string input_topic, int partitions, int64_t records, int chunks);

    // brook-metrics' window flags that the oracle assumes.
    static std::vector<std::string> flags() { return {"--window", "60s", "--grace", "1h"}; }

    int chunks() const { return _chunks; }
    int partitions() const { return _partitions; }
    int64_t records() const { return _records; }
    const metrics_oracle& oracle() const { return _oracle; }

    // Writes chunk `chunk` (0 .. chunks()-1) and waits for its delivery.
    void produce_chunk(kafka::producer& producer, int chunk);

    // The windows closed by the last event time written.
    std::map<metric_window_id, metric_window> closed() const;

    // Reads `output_topic` and `dlq_topic` (read_committed) until every closed window and
    // every malformed record arrived or `patience` passed, then `linger` more for repeats,
    // and checks them against the oracle.
    metrics_outcome collect(const kafka::client_config& base, const std::string& output_topic,
                            const std::string& dlq_topic, std::chrono::seconds patience,
                            std::chrono::seconds linger = std::chrono::seconds(3)) const;

private:
    int64_t ts_of(int64_t i) const;

    std::string _input;
    int _partitions;
    int64_t _records;
    int _chunks;
    int64_t _start_ts;
    metrics_oracle _oracle{window_ms};
};

} // namespace brook::testing
