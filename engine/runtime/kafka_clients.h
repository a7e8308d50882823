#pragma once

// The runtime's clients over librdkafka (clients.h): kafka_client_factory makes a
// consumer_client over kafka::consumer and a producer_client over kafka::producer.
//
// Threading and ownership as the wrapped clients: each belongs to the thread that polls
// it, and delivery reports run where the producer is polled, flushed or committed.

#include <memory>

#include "engine/runtime/clients.h"

namespace brook {

class kafka_client_factory final : public client_factory {
public:
    std::unique_ptr<consumer_client> consumer(const kafka::client_config& config,
                                              partition_listener* listener) override;
    std::unique_ptr<consumer_client> restore_consumer(const kafka::client_config& config) override;
    std::unique_ptr<producer_client>
    producer(const kafka::client_config& config,
             producer_client::delivery_handler on_delivery) override;
};

// Builds a librdkafka partition list from offsets with their metadata.
kafka::partition_list_ptr to_partition_list(const offset_map& offsets);

} // namespace brook
