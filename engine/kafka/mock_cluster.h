#pragma once

// RAII over librdkafka's mock cluster handle, apart from handles.h so that only the code
// that runs a mock (embedded_cluster.cc, tests) compiles rdkafka_mock.h.

#include <memory>

#include <librdkafka/rdkafka_mock.h>

#include "engine/kafka/handles.h"

namespace brook::kafka {

using mock_cluster_ptr =
    std::unique_ptr<rd_kafka_mock_cluster_t,
                    c_deleter<rd_kafka_mock_cluster_t, rd_kafka_mock_cluster_destroy>>;

} // namespace brook::kafka
