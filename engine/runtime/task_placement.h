#pragma once

// task_placement: where each stateful task of an application runs, and where its standby
// replicas are kept, computed by every instance alike from the consumer group's
// description (kafka::admin_client::describe_group).
//
// Brook's group uses librdkafka's `range` assignor, which no application can replace. So
// a standby is not placed by a custom assignor, as in Kafka Streams, but where `range`
// will put the task if its owner fails: for a task owned by process A, the first standby
// goes to the process that `range` gives the task to when A's members are gone, the
// second to the one it goes to when the first standby's process is gone too, and so on.
// When an instance dies, each of its tasks lands on the instance that kept it warm, and
// the new owner restores only the changelog's tail.
//
// `range` sorts the members of each topic (by group.instance.id when every member has
// one, else by member id), splits the topic's partitions into contiguous blocks, and gives
// the first (partitions % members) members one extra. Every member of a Brook group reads
// the same topics, so a task (sub-topology s, partition p) follows partition p of s's
// input topics.
//
// Pure functions; thread-safe.

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "engine/kafka/admin_client.h"
#include "engine/processor/task_context.h"

namespace brook {

// A sub-topology with logged stores: the topic whose partitions decide its tasks' owners
// (its first source) and that topic's partition count.
struct stateful_subtopology {
    int id = 0;
    std::string topic;
    int32_t partitions = 0;
};

// One instance (process) of the application.
struct placed_process {
    std::string process_id;
    std::string application_server; // "" when it advertises none
};

struct task_hosts {
    placed_process active;                // empty process id: no member holds the task now
    std::vector<placed_process> standbys; // the order in which they take over
};

// The owner of every task of `subtopologies` (from the members' assignments) and up to
// `standby_replicas` standby processes for each, none of them the owner. Members whose
// client.id is not a Brook stream thread's (member_identity.h) count in the order `range`
// uses but host nothing.
std::map<task_id, task_hosts> place_tasks(const std::vector<kafka::group_member>& members,
                                          const std::vector<stateful_subtopology>& subtopologies,
                                          int standby_replicas);

// Where `range` puts each task of `subtopologies` among `members`, whatever they hold now:
// for an instance about to join, pass its members too, each with the member id it will
// sort by (the broker makes "<client.id>-<uuid>", so "<client.id>-" sorts the same among
// members of other instances).
std::map<task_id, placed_process>
range_owners(const std::vector<kafka::group_member>& members,
             const std::vector<stateful_subtopology>& subtopologies);

// The member index, in `range`'s order among `members` members, that receives partition
// `partition` of a topic with `partitions` partitions; -1 when there is no member.
int range_member_index(int32_t partition, int32_t partitions, int members);

} // namespace brook
