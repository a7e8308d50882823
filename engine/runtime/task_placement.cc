#include "engine/runtime/task_placement.h"

#include <algorithm>

#include "engine/runtime/member_identity.h"

namespace brook {

namespace {

struct ranked_member {
    const kafka::group_member* member;
    placed_process process; // empty process id: not a Brook stream thread
};

// `range`'s order (rd_kafka_group_member_cmp): by group.instance.id when both members
// have one, else by member id. Mixed groups are ordered by member id throughout, which
// keeps the sort a strict weak order (a mixed group is a rolling change of config).
std::vector<ranked_member> in_range_order(const std::vector<kafka::group_member>& members) {
    std::vector<ranked_member> ranked;
    ranked.reserve(members.size());
    bool all_static = !members.empty();
    for (const auto& m : members) {
        placed_process p;
        if (const auto identity = parse_member_identity(m.client_id)) {
            p = {identity->process_id, identity->application_server};
        }
        ranked.push_back({&m, std::move(p)});
        all_static = all_static && !m.group_instance_id.empty();
    }
    std::sort(ranked.begin(), ranked.end(), [&](const ranked_member& a, const ranked_member& b) {
        if (all_static) {
            return a.member->group_instance_id < b.member->group_instance_id;
        }
        return a.member->member_id < b.member->member_id;
    });
    return ranked;
}

} // namespace

int range_member_index(int32_t partition, int32_t partitions, int members) {
    if (members <= 0 || partition < 0 || partition >= partitions) {
        return -1;
    }
    const int32_t per = partitions / members;
    const int32_t extra = partitions % members;
    // Members [0, extra) hold per + 1 partitions, the rest hold per.
    const int32_t wide = extra * (per + 1);
    if (partition < wide) {
        return partition / (per + 1);
    }
    return per == 0 ? -1 : extra + (partition - wide) / per;
}

std::map<task_id, placed_process>
range_owners(const std::vector<kafka::group_member>& members,
             const std::vector<stateful_subtopology>& subtopologies) {
    const std::vector<ranked_member> ranked = in_range_order(members);
    std::map<task_id, placed_process> owners;
    for (const auto& st : subtopologies) {
        for (int32_t p = 0; p < st.partitions; ++p) {
            const int i = range_member_index(p, st.partitions, static_cast<int>(ranked.size()));
            if (i >= 0) {
                owners.emplace(task_id{st.id, p}, ranked[static_cast<size_t>(i)].process);
            }
        }
    }
    return owners;
}

std::map<task_id, task_hosts> place_tasks(const std::vector<kafka::group_member>& members,
                                          const std::vector<stateful_subtopology>& subtopologies,
                                          int standby_replicas) {
    const std::vector<ranked_member> ranked = in_range_order(members);
    std::map<task_id, task_hosts> placed;
    for (const auto& st : subtopologies) {
        for (int32_t p = 0; p < st.partitions; ++p) {
            task_hosts hosts;
            for (const auto& r : ranked) {
                const auto& a = r.member->assignment;
                if (std::find(a.begin(), a.end(), std::pair(st.topic, p)) != a.end()) {
                    hosts.active = r.process;
                    break;
                }
            }
            if (hosts.active.process_id.empty()) {
                placed.emplace(task_id{st.id, p}, std::move(hosts));
                continue; // no owner now (rebalancing): no standby can be told apart
            }
            // Each next standby: where `range` puts the task once the owner and the
            // standbys before it are gone.
            std::set<std::string> gone{hosts.active.process_id};
            while (static_cast<int>(hosts.standbys.size()) < standby_replicas) {
                std::vector<const ranked_member*> left;
                for (const auto& r : ranked) {
                    if (!gone.contains(r.process.process_id)) {
                        left.push_back(&r);
                    }
                }
                const int i = range_member_index(p, st.partitions, static_cast<int>(left.size()));
                if (i < 0 || left[static_cast<size_t>(i)]->process.process_id.empty()) {
                    break; // no member left, or the next one is not a Brook instance
                }
                const placed_process& next = left[static_cast<size_t>(i)]->process;
                hosts.standbys.push_back(next);
                gone.insert(next.process_id);
            }
            placed.emplace(task_id{st.id, p}, std::move(hosts));
        }
    }
    return placed;
}

} // namespace brook
