// A transactional producer writes a committed, an aborted and another committed
// transaction; a read_committed consumer must see exactly the committed records, while a
// read_uncommitted one proves the aborted records really reached the log.

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/kafka/admin_client.h"
#include "engine/kafka/embedded_cluster.h"
#include "engine/kafka/partition_reader.h"
#include "engine/kafka/producer.h"
#include "tests/support/broker.h"

namespace brook {
namespace {

using namespace std::chrono_literals;

std::vector<std::string> values_of(const std::vector<kafka::read_record>& records) {
    std::vector<std::string> out;
    for (const auto& r : records) {
        out.push_back(r.value.value_or("<null>"));
    }
    return out;
}

void produce_batch(kafka::producer& p, const std::string& topic, const std::string& prefix, int n) {
    for (int i = 0; i < n; ++i) {
        const std::string key = "k" + std::to_string(i);
        const std::string value = prefix + "-" + std::to_string(i);
        p.produce(topic, 0, key, value);
    }
}

// Runs the three transactions against `base` and returns what each isolation level reads.
struct observed {
    std::vector<std::string> committed_view;
    std::vector<std::string> uncommitted_view;
};

observed run_transactions(const kafka::client_config& base, const std::string& topic) {
    kafka::client_config pc = base;
    pc.set("transactional.id", testing::unique_name("brook-txn-test"))
        .set("enable.idempotence", "true")
        .set("linger.ms", "5");
    kafka::producer producer(pc);
    producer.init_transactions(30s);

    producer.begin_transaction();
    produce_batch(producer, topic, "committed-a", 10);
    producer.commit_transaction(30s);

    producer.begin_transaction();
    produce_batch(producer, topic, "aborted", 10);
    producer.flush(30s); // the aborted records must reach the log before the abort
    producer.abort_transaction(30s);

    producer.begin_transaction();
    produce_batch(producer, topic, "committed-b", 5);
    producer.commit_transaction(30s);
    EXPECT_EQ(producer.failed_deliveries(), 0U);

    return {values_of(kafka::read_partition(base, topic, 0, "read_committed")),
            values_of(kafka::read_partition(base, topic, 0, "read_uncommitted"))};
}

std::vector<std::string> expected_committed() {
    std::vector<std::string> out;
    for (int i = 0; i < 10; ++i) {
        out.push_back("committed-a-" + std::to_string(i));
    }
    for (int i = 0; i < 5; ++i) {
        out.push_back("committed-b-" + std::to_string(i));
    }
    return out;
}

size_t count_aborted(const std::vector<std::string>& values) {
    size_t n = 0;
    for (const auto& v : values) {
        n += v.starts_with("aborted-") ? 1 : 0;
    }
    return n;
}

TEST(transactions, read_committed_consumer_sees_exactly_the_committed_records) {
    const std::string topic = testing::unique_name("txn");
    kafka::client_config base = testing::real_client_config();
    kafka::admin_client admin(base);
    admin.create_topics({{topic, 1, 1, {}}}, 30s);

    const observed seen = run_transactions(base, topic);

    EXPECT_EQ(seen.committed_view, expected_committed());
    EXPECT_EQ(count_aborted(seen.uncommitted_view), 10U)
        << "the aborted transaction's records should be in the log, visible to read_uncommitted";
    admin.delete_topics({topic}, 30s);
}

TEST(transactions, embedded_mock_cannot_prove_exactly_once_so_the_test_is_skipped) {
    kafka::embedded_cluster cluster;
    const std::string topic = "txn-embedded";
    cluster.create_topic(topic, 1);
    const kafka::client_config base{{"bootstrap.servers", cluster.bootstrap_servers()}};

    const observed seen = run_transactions(base, topic);
    const size_t leaked = count_aborted(seen.committed_view);
    if (leaked > 0) {
        GTEST_SKIP() << "the embedded mock cluster ignores transactions: its read_committed "
                        "consumer saw "
                     << leaked
                     << " aborted records. Exactly-once is only tested against the real broker.";
    }
    // Should a future librdkafka honour transactions in the mock, hold it to the same bar.
    EXPECT_EQ(seen.committed_view, expected_committed());
}

} // namespace
} // namespace brook
