// A stream re-keyed before a stream-table join is repartitioned into a topic with the
// table's partition count (as Kafka Streams makes it), not the widest input's, so the
// join's inputs are co-partitioned and start() accepts them: orders on 6 partitions,
// customers on 3. Every order must then meet its customer, on the real broker.

#include <map>
#include <set>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "engine/config/streams_config.h"
#include "engine/kafka/admin_client.h"
#include "engine/kafka/producer.h"
#include "engine/runtime/kafka_streams.h"
#include "engine/serde/partitioner.h"
#include "operators/stream_builder.h"
#include "tests/support/broker.h"
#include "tests/support/topic_tail.h"

namespace brook {
namespace {

using namespace std::chrono_literals;

TEST(join_partitions, a_re_keyed_stream_is_repartitioned_to_the_tables_partition_count) {
    const std::string orders = testing::unique_name("jp-orders");
    const std::string customers = testing::unique_name("jp-customers");
    const std::string out = testing::unique_name("jp-out");
    const std::string app_id = testing::unique_name("jp-app");
    {
        kafka::admin_client admin(testing::real_client_config());
        admin.create_topics({{orders, 6, 1, {}}, {customers, 3, 1, {}}, {out, 3, 1, {}}}, 30s);
    }
    constexpr int customer_count = 50;
    constexpr int order_count = 600;
    {
        kafka::producer p(testing::real_client_config());
        for (int c = 0; c < customer_count; ++c) {
            const std::string id = fmt::format("c{}", c);
            p.produce(customers, default_partition(id, 3), id, "name-" + id, 1000);
        }
        p.flush(30s);
        for (int o = 0; o < order_count; ++o) {
            // key: order id; value: "<customer>"
            const std::string id = fmt::format("o{}", o);
            p.produce(orders, default_partition(id, 6), id, fmt::format("c{}", o % customer_count),
                      2000 + o);
        }
        p.flush(30s);
    }

    stream_builder b;
    auto table = b.table<std::string, std::string>(customers);
    b.stream<std::string, std::string>({orders})
        .select_key([](const std::string&, const std::string& customer) { return customer; })
        .join(table, [](const std::string& customer,
                        const std::string& name) { return customer + "=" + name; })
        .to(out);
    const topology topo = b.build();
    kafka_streams app(topo, streams_config({{"application.id", app_id},
                                            {"bootstrap.servers", testing::real_bootstrap()},
                                            {"commit.interval.ms", "200"},
                                            {"max.task.idle.ms", "2000"}}));
    app.start(); // throws if the inputs of the join's sub-topology are not co-partitioned
    std::map<std::string, int> joined;
    int wrong = 0;
    testing::topic_tail tail(testing::real_client_config(), out, 3);
    tail.poll_until(
        [&] {
            int n = 0;
            for (const auto& [k, c] : joined) {
                n += c;
            }
            return n >= order_count;
        },
        120s,
        [&](const rd_kafka_message_t& m) {
            const std::string key(static_cast<const char*>(m.key), m.key_len);
            const std::string value(static_cast<const char*>(m.payload), m.len);
            if (value != key + "=name-" + key) {
                ++wrong;
            }
            ++joined[key];
        });
    app.close();
    {
        kafka::admin_client admin(testing::real_client_config());
        ASSERT_EQ(topo.internal_topics().size(), 1U);
        const auto count = admin.partition_count(
            topology::resolve(topo.internal_topics()[0].name, true, app_id), 30s);
        ASSERT_TRUE(count.has_value()) << "the repartition topic was not made";
        EXPECT_EQ(*count, 3);
    }
    EXPECT_EQ(wrong, 0);
    ASSERT_EQ(joined.size(), static_cast<size_t>(customer_count));
    for (const auto& [customer, n] : joined) {
        EXPECT_EQ(n, order_count / customer_count) << customer;
    }
}

} // namespace
} // namespace brook
