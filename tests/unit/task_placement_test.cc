// task_placement: standbys go where librdkafka's range assignor moves a task when its
// owner dies. The expected owners below are worked out by hand from range's rule
// (members sorted, contiguous blocks, the first partitions % members get one more), and
// the last test replays range over the survivors to check the prediction itself.

#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/runtime/member_identity.h"
#include "engine/runtime/task_placement.h"

namespace brook {
namespace {

std::string process(char c) {
    return std::string(32, c); // process ids are 32 hex digits
}

// A member of process `p` (thread 1) holding partitions `parts` of `topic`.
kafka::group_member member(const std::string& member_id, char p, const std::string& topic,
                           std::vector<int32_t> parts, const std::string& instance_id = "") {
    kafka::group_member m;
    m.member_id = member_id;
    m.group_instance_id = instance_id;
    m.client_id = consumer_client_id("app", process(p), 1, std::string("127.0.0.1:900") + p);
    for (int32_t part : parts) {
        m.assignment.emplace_back(topic, part);
    }
    return m;
}

// Range's owners for `partitions` partitions over `members` members, as indices.
std::vector<int> range_owners(int32_t partitions, int members) {
    std::vector<int> owners;
    for (int32_t p = 0; p < partitions; ++p) {
        owners.push_back(range_member_index(p, partitions, members));
    }
    return owners;
}

TEST(task_placement, range_member_index_follows_range_blocks) {
    EXPECT_EQ(range_owners(6, 3), (std::vector<int>{0, 0, 1, 1, 2, 2}));
    EXPECT_EQ(range_owners(7, 3), (std::vector<int>{0, 0, 0, 1, 1, 2, 2}));
    EXPECT_EQ(range_owners(2, 3), (std::vector<int>{0, 1}));
    EXPECT_EQ(range_owners(5, 1), (std::vector<int>{0, 0, 0, 0, 0}));
    EXPECT_EQ(range_member_index(0, 4, 0), -1);
    EXPECT_EQ(range_member_index(4, 4, 2), -1);
}

TEST(task_placement, a_standby_is_kept_where_range_moves_the_task_when_its_owner_dies) {
    const std::string t = "input";
    // Sorted by member id: a < b < c.
    const std::vector<kafka::group_member> members{member("m-b", 'b', t, {2, 3}),
                                                   member("m-a", 'a', t, {0, 1}),
                                                   member("m-c", 'c', t, {4, 5})};
    const auto placed = place_tasks(members, {{0, t, 6}}, 1);
    ASSERT_EQ(placed.size(), 6u);
    // Without a: b, c share 6 partitions as 0-2 -> b, 3-5 -> c.
    // Without b: a, c -> 0-2 a, 3-5 c. Without c: a, b -> 0-2 a, 3-5 b.
    const std::map<int32_t, std::pair<char, char>> expected{{0, {'a', 'b'}}, {1, {'a', 'b'}},
                                                            {2, {'b', 'a'}}, {3, {'b', 'c'}},
                                                            {4, {'c', 'b'}}, {5, {'c', 'b'}}};
    for (const auto& [p, owners] : expected) {
        const task_hosts& h = placed.at(task_id{0, p});
        EXPECT_EQ(h.active.process_id, process(owners.first)) << "task 0_" << p;
        ASSERT_EQ(h.standbys.size(), 1u) << "task 0_" << p;
        EXPECT_EQ(h.standbys[0].process_id, process(owners.second)) << "task 0_" << p;
        EXPECT_EQ(h.standbys[0].application_server, std::string("127.0.0.1:900") + owners.second);
    }
}

TEST(task_placement, more_replicas_chain_and_stop_when_no_process_is_left) {
    const std::string t = "input";
    const std::vector<kafka::group_member> members{member("m-a", 'a', t, {0, 1}),
                                                   member("m-b", 'b', t, {2, 3})};
    const auto placed = place_tasks(members, {{1, t, 4}}, 3);
    for (int32_t p = 0; p < 4; ++p) {
        const task_hosts& h = placed.at(task_id{1, p});
        ASSERT_EQ(h.standbys.size(), 1u); // only one other process exists
        EXPECT_NE(h.standbys[0].process_id, h.active.process_id);
    }
}

TEST(task_placement, static_members_are_ordered_by_group_instance_id) {
    const std::string t = "input";
    // Member ids sort a < b < c, instance ids the other way round: range follows the
    // instance ids, so without "z-..." (process a) the survivors are c (x) then b (y).
    const std::vector<kafka::group_member> members{member("m-a", 'a', t, {4, 5}, "z-1"),
                                                   member("m-b", 'b', t, {2, 3}, "y-1"),
                                                   member("m-c", 'c', t, {0, 1}, "x-1")};
    const auto placed = place_tasks(members, {{0, t, 6}}, 1);
    EXPECT_EQ(placed.at(task_id{0, 4}).standbys.at(0).process_id, process('b'));
    // Without "x-..." (process c) the survivors are b (y) then a (z): partition 0 -> b.
    EXPECT_EQ(placed.at(task_id{0, 0}).standbys.at(0).process_id, process('b'));
}

TEST(task_placement, a_task_no_member_holds_has_no_owner_and_no_standby) {
    const std::string t = "input";
    const std::vector<kafka::group_member> members{member("m-a", 'a', t, {}),
                                                   member("m-b", 'b', t, {})};
    const auto placed = place_tasks(members, {{0, t, 2}}, 1);
    EXPECT_TRUE(placed.at(task_id{0, 0}).active.process_id.empty());
    EXPECT_TRUE(placed.at(task_id{0, 0}).standbys.empty());
}

TEST(task_placement, every_single_failure_lands_each_task_on_its_standby) {
    // Replays range over the survivors of each possible failure, for several group sizes
    // and partition counts, with two threads per process.
    const std::string t = "input";
    for (int processes = 2; processes <= 5; ++processes) {
        for (int32_t partitions = 1; partitions <= 13; ++partitions) {
            std::vector<kafka::group_member> members;
            for (int p = 0; p < processes; ++p) {
                for (int thread = 0; thread < 2; ++thread) {
                    kafka::group_member m;
                    m.member_id = std::string("m-") + char('a' + p) + std::to_string(thread);
                    m.client_id = consumer_client_id("app", process(char('a' + p)), thread + 1, "");
                    members.push_back(m);
                }
            }
            // Everyone's current assignment, by range over all members (already sorted).
            for (int32_t part = 0; part < partitions; ++part) {
                const int i =
                    range_member_index(part, partitions, static_cast<int>(members.size()));
                members[static_cast<size_t>(i)].assignment.emplace_back(t, part);
            }
            const auto placed = place_tasks(members, {{0, t, partitions}}, 1);
            for (int dead = 0; dead < processes; ++dead) {
                std::vector<const kafka::group_member*> survivors;
                for (const auto& m : members) {
                    if (m.member_id[2] != char('a' + dead)) {
                        survivors.push_back(&m);
                    }
                }
                for (int32_t part = 0; part < partitions; ++part) {
                    const task_hosts& h = placed.at(task_id{0, part});
                    if (h.active.process_id != process(char('a' + dead))) {
                        continue;
                    }
                    const int i =
                        range_member_index(part, partitions, static_cast<int>(survivors.size()));
                    const auto identity =
                        parse_member_identity(survivors[static_cast<size_t>(i)]->client_id);
                    ASSERT_TRUE(identity.has_value());
                    ASSERT_EQ(h.standbys.size(), 1u);
                    EXPECT_EQ(h.standbys[0].process_id, identity->process_id)
                        << processes << " processes, " << partitions << " partitions, task 0_"
                        << part << ", process " << dead << " dies";
                }
            }
        }
    }
}

} // namespace
} // namespace brook
