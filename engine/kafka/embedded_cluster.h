#pragma once

// embedded_cluster: librdkafka's in-process mock cluster, the zero-setup demo default
// behind `--bootstrap-servers embedded`.
//
// It is NOT a Kafka broker and must never back a test of exactly-once, restore or
// throughput. Measured limits (librdkafka 2.0.2): it ignores transactions (a
// read_committed consumer also sees aborted records), discards committed transactional
// offsets, has no log compaction, and silently drops data past about 5 MB per partition.
//
// Lifecycle: the cluster lives as long as this object; clients connected to it must be
// destroyed first. Threading: the mock runs its own broker threads; the object itself
// is immutable after construction.

#include <memory>
#include <string>

#include "engine/kafka/handles.h"

struct rd_kafka_mock_cluster_s;

namespace brook::kafka {

// Destroys the mock cluster (defined where rdkafka_mock.h is included).
struct mock_cluster_deleter {
    void operator()(rd_kafka_mock_cluster_s* cluster) const noexcept;
};

class embedded_cluster {
public:
    // Throws kafka_error if the mock cluster cannot be started.
    explicit embedded_cluster(int brokers = 1);
    ~embedded_cluster();
    embedded_cluster(const embedded_cluster&) = delete;
    embedded_cluster& operator=(const embedded_cluster&) = delete;

    const std::string& bootstrap_servers() const noexcept { return _bootstrap; }
    // Creates a topic directly in the mock (its Admin API support is partial).
    void create_topic(const std::string& name, int partitions);

    // The process-wide instance used for "embedded", started on first use.
    static std::shared_ptr<embedded_cluster> shared();

private:
    kafka_ptr _owner; // the mock cluster is owned by (and must die before) this handle
    std::unique_ptr<rd_kafka_mock_cluster_s, mock_cluster_deleter> _cluster;
    std::string _bootstrap;
};

// The word that selects the embedded cluster in bootstrap.servers.
inline constexpr const char* embedded_bootstrap = "embedded";

// Returns `bootstrap` unchanged, or the shared embedded cluster's address when it is
// "embedded" (starting that cluster if needed).
std::string resolve_bootstrap(const std::string& bootstrap);

} // namespace brook::kafka
