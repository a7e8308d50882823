// partition_tasks remembers its last answer per consumed record; these tests check that
// no change to the mapping can leave that answer naming a task that no longer owns the
// partition.

#include <array>
#include <memory>

#include <gtest/gtest.h>

#include "engine/runtime/partition_tasks.h"

namespace brook {
namespace {

// Records made in memory; a topic's key stands for the librdkafka topic handle.
class partition_tasks_test : public ::testing::Test {
protected:
    consumed_record message(const char* topic, int32_t partition) const {
        const void* key = std::string_view(topic) == "in" ? &_in_key : &_other_key;
        return consumed_record::in_memory(topic, key, partition, 0, 0, std::nullopt, std::nullopt);
    }

    // Stand-ins: partition_tasks never dereferences the tasks it maps.
    stream_task* task(int i) { return reinterpret_cast<stream_task*>(&_slots[i]); }

    int _in_key = 0;
    int _other_key = 0;
    std::array<int, 3> _slots{};
};

TEST_F(partition_tasks_test, a_message_finds_the_task_of_its_topic_and_partition) {
    partition_tasks tasks;
    tasks.set({"in", 0}, task(0));
    tasks.set({"in", 1}, task(1));
    tasks.set({"other", 0}, task(2));
    const auto in0 = message("in", 0);
    const auto in1 = message("in", 1);
    const auto other0 = message("other", 0);
    EXPECT_EQ(tasks.of(in0), task(0));
    EXPECT_EQ(tasks.of(in0), task(0)); // the remembered answer
    EXPECT_EQ(tasks.of(in1), task(1));
    EXPECT_EQ(tasks.of(other0), task(2));
    EXPECT_EQ(tasks.of(message("in", 7)), nullptr);
    EXPECT_EQ(tasks.find(topic_partition{"in", 1}), task(1));
    EXPECT_EQ(tasks.find(topic_partition{"nowhere", 0}), nullptr);
}

TEST_F(partition_tasks_test, a_removed_partition_has_no_task_even_right_after_a_lookup) {
    partition_tasks tasks;
    tasks.set({"in", 0}, task(0));
    const auto in0 = message("in", 0);
    ASSERT_EQ(tasks.of(in0), task(0));
    EXPECT_EQ(tasks.remove({"in", 0}), task(0));
    EXPECT_EQ(tasks.of(in0), nullptr);
    EXPECT_EQ(tasks.remove({"in", 0}), nullptr);
    EXPECT_TRUE(tasks.empty());
}

TEST_F(partition_tasks_test, a_partition_moved_to_another_task_is_found_there_at_once) {
    partition_tasks tasks;
    tasks.set({"in", 0}, task(0));
    const auto in0 = message("in", 0);
    ASSERT_EQ(tasks.of(in0), task(0));
    tasks.set({"in", 0}, task(1));
    EXPECT_EQ(tasks.of(in0), task(1));
    tasks.clear();
    EXPECT_EQ(tasks.of(in0), nullptr);
}

} // namespace
} // namespace brook
