#pragma once

// repartition_purger: deletes from the repartition topics what a stream thread has
// consumed and committed, as Kafka Streams does every repartition.purge.interval.ms.
//
// Repartition topics are created with retention.ms=-1, so that the broker never deletes a
// record the application has not read yet, however old its timestamp (a backfill of last
// year's events would otherwise lose them to the 7-day default at the next retention
// check). Without retention, this purge is what keeps them from growing forever: after a
// commit, every record below the committed offset of a repartition partition has been
// processed by the group for good and is deleted (DeleteRecords).
//
// Lifecycle: owned by one stream thread; the admin client is made on the first purge, so
// a topology without repartition topics never connects one. A purge is sent without
// waiting for its answer, which is read on a later call; while one is outstanding the
// next is put off. A failed purge is logged (base/log.h) and retried with the next one:
// records that could not be deleted yet are only disk space.
//
// Threading: only the owning thread calls it.

#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>

#include "engine/kafka/admin_client.h"
#include "engine/kafka/client_config.h"

namespace brook {

class repartition_purger {
public:
    using clock = std::chrono::steady_clock;

    // `repartition_topics`: resolved names; committed offsets of other topics are ignored.
    // `admin` must carry bootstrap.servers. An interval of 0 purges after every commit.
    repartition_purger(kafka::client_config admin, std::set<std::string> repartition_topics,
                       std::chrono::milliseconds interval);
    ~repartition_purger();
    repartition_purger(const repartition_purger&) = delete;
    repartition_purger& operator=(const repartition_purger&) = delete;

    // Records that `next_offset` of the partition is committed (every record before it is
    // processed for good). Call only once the commit or transaction has succeeded.
    void committed(const std::string& topic, int32_t partition, int64_t next_offset);
    // Sends one DeleteRecords for every partition committed further than its last purge,
    // when the interval has passed since the last one and none is outstanding.
    void maybe_purge(clock::time_point now);

private:
    void read_answers();

    kafka::client_config _admin_config;
    std::set<std::string> _topics;
    std::chrono::milliseconds _interval;
    std::unique_ptr<kafka::admin_client> _admin;
    kafka::queue_ptr _answers;
    bool _outstanding = false;
    clock::time_point _last_purge{};
    std::map<std::pair<std::string, int32_t>, int64_t> _committed;
    std::map<std::pair<std::string, int32_t>, int64_t> _purged;
};

} // namespace brook
