#pragma once

// thread_metrics: what one stream thread counts for operators, and the snapshot it
// publishes for other threads (kafka_streams::metrics(), the /metrics endpoint).
//
// Counting happens on the stream thread, except produced records, which delivery reports
// count wherever the producer serves them: on the committer's thread while an exactly-once
// commit is under way (the stream thread then leaves that count alone, see publish()).
// publish() copies everything into the snapshot under a mutex; snapshot() copies it out.
//
// Threading: as above; snapshot() from any thread. Ownership: plain data.

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "engine/runtime/consumed_record.h"
#include "engine/runtime/streams_metrics.h"

namespace brook {

class thread_metrics {
public:
    // One consumed record (of any topic, markers included).
    void count_consumed(const consumed_record& r) {
        if (_last_consumed.key != r.topic_key()) {
            _last_consumed = {r.topic_key(), &_consumed[std::string(r.topic())]};
        }
        ++*_last_consumed.count;
    }
    // One record the broker acknowledged (from a delivery report).
    void count_produced(std::string_view topic) {
        if (_last_produced.name != topic || _last_produced.count == nullptr) {
            auto it = _produced.find(topic);
            if (it == _produced.end()) {
                it = _produced.emplace(std::string(topic), 0).first;
            }
            _last_produced = {it->first, &it->second};
        }
        ++*_last_produced.count;
    }
    // The producer was replaced: forget the remembered topic.
    void reset_produced_cache() { _last_produced = {}; }
    void add_processing(uint64_t records, std::chrono::microseconds took) {
        _process_latency.count += records;
        _process_latency.sum_us += static_cast<uint64_t>(took.count());
    }
    void add_commit(std::chrono::microseconds took) {
        _commit_latency.count += 1;
        _commit_latency.sum_us += static_cast<uint64_t>(took.count());
    }
    void set_commit_totals(uint64_t count, uint64_t sum_us) { _commit_latency = {count, sum_us}; }

    // Whether a publication is due (every 500 ms) or forced.
    bool due(std::chrono::steady_clock::time_point now, bool force) const {
        return force || now - _last_publish >= std::chrono::milliseconds(500);
    }
    // Copies the counts into the snapshot with `lag` and the restore figures. With
    // `producer_busy` (a commit under way) the produced counts keep their last value.
    void publish(std::chrono::steady_clock::time_point now, std::vector<partition_lag> lag,
                 uint64_t restore_remaining, uint64_t stores_restoring, bool producer_busy);
    streams_metrics snapshot() const;

private:
    struct consumed_hit {
        const void* key = nullptr;
        uint64_t* count = nullptr;
    };
    struct produced_hit {
        std::string_view name;
        uint64_t* count = nullptr;
    };
    std::map<std::string, uint64_t, std::less<>> _consumed;
    std::map<std::string, uint64_t, std::less<>> _produced;
    consumed_hit _last_consumed;
    produced_hit _last_produced;
    latency_total _process_latency;
    latency_total _commit_latency;
    std::chrono::steady_clock::time_point _last_publish{};
    mutable std::mutex _mutex;
    streams_metrics _published;
};

} // namespace brook
