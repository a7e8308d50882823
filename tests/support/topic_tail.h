#pragma once

// topic_tail: reads every partition of a topic (or of several) from the beginning and keeps
// reading, for integration tests that wait until an application's output is complete.

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/kafka/consumer.h"

namespace brook::testing {

class topic_tail {
public:
    topic_tail(const kafka::client_config& base, const std::string& topic, int partitions,
               const std::string& isolation = "read_committed");
    // Partitions 0..partitions-1 of each of `topics`; a record's topic is
    // rd_kafka_topic_name(message.rkt).
    topic_tail(const kafka::client_config& base, const std::vector<std::string>& topics,
               int partitions, const std::string& isolation = "read_committed");
    // Hands each record read within `timeout` to `on_record`; returns how many.
    size_t poll(std::chrono::milliseconds timeout,
                const std::function<void(const rd_kafka_message_t&)>& on_record);
    // Polls until `done()` holds or `timeout` passes; returns done().
    bool poll_until(const std::function<bool()>& done, std::chrono::milliseconds timeout,
                    const std::function<void(const rd_kafka_message_t&)>& on_record);

private:
    std::unique_ptr<kafka::consumer> _consumer;
};

// Committed offsets of `group` for partitions 0..partitions-1 of `topic` (-1001 if none).
std::vector<int64_t> committed_offsets(const kafka::client_config& base, const std::string& group,
                                       const std::string& topic, int partitions);
// End (high watermark) offsets of every partition.
std::vector<int64_t> end_offsets(const kafka::client_config& base, const std::string& topic,
                                 int partitions);
// Waits until `group` has committed every partition of `topic` up to the end it has when
// the wait starts (every record written before then is processed); false after `patience`.
bool wait_committed_to_end(const kafka::client_config& base, const std::string& group,
                           const std::string& topic, int partitions,
                           std::chrono::milliseconds patience);
// Start (low watermark, log start) offsets of every partition: records before one are
// deleted.
std::vector<int64_t> start_offsets(const kafka::client_config& base, const std::string& topic,
                                   int partitions);
// Whether a consumed record is one of Brook's progress markers (progress_marker.h), which
// the stream threads write into repartition topics beside the data.
bool is_progress_marker(const rd_kafka_message_t& m);
// How many committed records partitions 0..partitions-1 of `topics` hold now: read from
// the beginning up to each partition's last stable offset, so records of an open or
// aborted transaction do not count (nor do transaction markers or progress markers). Throws if the
// ends are not all reached within `timeout`.
int64_t committed_record_count(const kafka::client_config& base,
                               const std::vector<std::string>& topics, int partitions,
                               std::chrono::milliseconds timeout = std::chrono::seconds(60));

} // namespace brook::testing
