#include "tests/support/user_activity_closers.h"

#include <chrono>
#include <map>

#include <fmt/format.h>

#include "engine/kafka/producer.h"
#include "engine/serde/partitioner.h"

namespace brook::testing {

void write_user_activity_closers(const kafka::client_config& config, const std::string& users_topic,
                                 const std::string& orders_topic, int partitions, int64_t ts) {
    std::map<int32_t, std::string> closers; // partition -> the user that lands there
    for (int j = 0; static_cast<int>(closers.size()) < partitions; ++j) {
        const std::string user = fmt::format("closer-{}", j);
        closers.emplace(default_partition(user, partitions), user);
    }
    kafka::producer p(config);
    for (const auto& [partition, user] : closers) {
        p.produce(users_topic, partition, user,
                  fmt::format(R"({{"event_id":"cu{}","user_id":"{}","event_type":"x","ts":{}}})",
                              partition, user, ts),
                  ts);
        p.produce(orders_topic, partition, user,
                  fmt::format(R"({{"event_id":"co{}","user_id":"{}","order_id":"c",)"
                              R"("amount_cents":1,"ts":{}}})",
                              partition, user, ts),
                  ts);
    }
    p.flush(std::chrono::seconds(30));
}

bool is_closer(const std::string& user_id) {
    return user_id.starts_with("closer-");
}

} // namespace brook::testing
