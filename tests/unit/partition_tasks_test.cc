// partition_tasks remembers its last answer per consumed message; these tests check that
// no change to the mapping can leave that answer naming a task that no longer owns the
// partition.

#include <array>
#include <memory>

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include "engine/runtime/partition_tasks.h"

namespace brook {
namespace {

// librdkafka topic handles to put in messages; no broker is contacted.
class partition_tasks_test : public ::testing::Test {
protected:
    partition_tasks_test() {
        rd_kafka_conf_t* conf = rd_kafka_conf_new();
        std::array<char, 256> err{};
        _rk.reset(rd_kafka_new(RD_KAFKA_PRODUCER, conf, err.data(), err.size()));
        _in.reset(rd_kafka_topic_new(_rk.get(), "in", nullptr));
        _other.reset(rd_kafka_topic_new(_rk.get(), "other", nullptr));
    }

    rd_kafka_message_t message(rd_kafka_topic_t* topic, int32_t partition) const {
        rd_kafka_message_t m{};
        m.rkt = topic;
        m.partition = partition;
        return m;
    }

    // Stand-ins: partition_tasks never dereferences the tasks it maps.
    stream_task* task(int i) { return reinterpret_cast<stream_task*>(&_slots[i]); }

    struct rk_deleter {
        void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
    };
    struct rkt_deleter {
        void operator()(rd_kafka_topic_t* t) const { rd_kafka_topic_destroy(t); }
    };
    std::unique_ptr<rd_kafka_t, rk_deleter> _rk;
    std::unique_ptr<rd_kafka_topic_t, rkt_deleter> _in;
    std::unique_ptr<rd_kafka_topic_t, rkt_deleter> _other;
    std::array<int, 3> _slots{};
};

TEST_F(partition_tasks_test, a_message_finds_the_task_of_its_topic_and_partition) {
    partition_tasks tasks;
    tasks.set({"in", 0}, task(0));
    tasks.set({"in", 1}, task(1));
    tasks.set({"other", 0}, task(2));
    const auto in0 = message(_in.get(), 0);
    const auto in1 = message(_in.get(), 1);
    const auto other0 = message(_other.get(), 0);
    EXPECT_EQ(tasks.of(in0), task(0));
    EXPECT_EQ(tasks.of(in0), task(0)); // the remembered answer
    EXPECT_EQ(tasks.of(in1), task(1));
    EXPECT_EQ(tasks.of(other0), task(2));
    EXPECT_EQ(tasks.of(message(_in.get(), 7)), nullptr);
    EXPECT_EQ(tasks.find("in", 1), task(1));
    EXPECT_EQ(tasks.find("nowhere", 0), nullptr);
}

TEST_F(partition_tasks_test, a_removed_partition_has_no_task_even_right_after_a_lookup) {
    partition_tasks tasks;
    tasks.set({"in", 0}, task(0));
    const auto in0 = message(_in.get(), 0);
    ASSERT_EQ(tasks.of(in0), task(0));
    EXPECT_EQ(tasks.remove({"in", 0}), task(0));
    EXPECT_EQ(tasks.of(in0), nullptr);
    EXPECT_EQ(tasks.remove({"in", 0}), nullptr);
    EXPECT_TRUE(tasks.empty());
}

TEST_F(partition_tasks_test, a_partition_moved_to_another_task_is_found_there_at_once) {
    partition_tasks tasks;
    tasks.set({"in", 0}, task(0));
    const auto in0 = message(_in.get(), 0);
    ASSERT_EQ(tasks.of(in0), task(0));
    tasks.set({"in", 0}, task(1));
    EXPECT_EQ(tasks.of(in0), task(1));
    tasks.clear();
    EXPECT_EQ(tasks.of(in0), nullptr);
}

} // namespace
} // namespace brook
