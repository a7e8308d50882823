#include "engine/runtime/at_least_once_committer.h"

#include <fmt/format.h>

#include "base/log.h"
#include "engine/kafka/kafka_error.h"

namespace brook {

namespace {

bool is_lost_membership(rd_kafka_resp_err_t code) {
    return code == RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS ||
           code == RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION ||
           code == RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID || code == RD_KAFKA_RESP_ERR__STATE;
}

} // namespace

at_least_once_committer::at_least_once_committer(int thread_index, consumer_client& consumer,
                                                 std::chrono::milliseconds flush_timeout,
                                                 committed_listener on_committed)
    : _index(thread_index), _consumer(consumer), _flush_timeout(flush_timeout),
      _on_committed(std::move(on_committed)) {}

commit_outcome at_least_once_committer::commit(const std::vector<stream_task*>& tasks) {
    offset_map offsets;
    std::vector<offset_map> per_task;
    per_task.reserve(tasks.size());
    for (auto* task : tasks) {
        per_task.push_back(task->prepare_commit(false));
        offsets.insert(per_task.back().begin(), per_task.back().end());
    }
    // Every record the tasks sent must be acknowledged before the offsets of the input
    // that caused them are committed.
    _producer->flush(_flush_timeout);
    _collector->check_deliveries();
    const auto acked = [this](std::string_view topic, int32_t partition) {
        return _collector->acked_next_offset(topic, partition);
    };
    bool committed = false;
    if (!offsets.empty()) {
        try {
            _consumer.commit(offsets);
            committed = true;
        } catch (const kafka::kafka_error& e) {
            if (!is_lost_membership(e.code())) {
                throw;
            }
            // The group moved on; the new owners re-read from the last committed offsets.
            log_warn(fmt::format("stream thread {}: commit skipped, group is "
                                 "rebalancing ({})",
                                 _index, e.what()));
        }
    }
    // Every changelog record is acknowledged now, so each store reflects its changelog up
    // to the acknowledged offsets, whether or not the offsets could be committed.
    for (size_t i = 0; i < tasks.size(); ++i) {
        tasks[i]->post_commit(committed ? per_task[i] : offset_map{}, acked);
    }
    if (!committed) {
        return commit_outcome::nothing_to_commit;
    }
    if (_on_committed) {
        _on_committed(offsets);
    }
    return commit_outcome::committed;
}

} // namespace brook
