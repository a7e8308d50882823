#pragma once

// commit_outcome: how a commit ended, as the stream thread must react to it. The
// committers (transaction_manager, at_least_once_committer) report it and never rewind
// tasks themselves; the thread does that (stream_thread::recover()).
//
//   committed          the offsets (and, exactly-once, the transaction) are committed
//   nothing_to_commit  nothing was consumed or produced since the last commit
//   abortable          the transaction failed and must be aborted; tasks rewind to their
//                      last commit
//   fenced             another instance took over (newer producer epoch or group
//                      generation): the producer is replaced and tasks rewind
//   fatal              the producer cannot go on: replaced, and tasks rewind

#include <string_view>

#include "engine/kafka/kafka_error.h"

namespace brook {

enum class commit_outcome { committed, nothing_to_commit, abortable, fenced, fatal };

constexpr std::string_view to_string(commit_outcome o) {
    switch (o) {
    case commit_outcome::committed:
        return "committed";
    case commit_outcome::nothing_to_commit:
        return "nothing to commit";
    case commit_outcome::abortable:
        return "abortable";
    case commit_outcome::fenced:
        return "fenced";
    case commit_outcome::fatal:
        return "fatal";
    }
    return "unknown";
}

// What a failed transactional call means for the thread.
inline commit_outcome classify(const kafka::kafka_error& e) {
    if (e.is_fenced()) {
        return commit_outcome::fenced;
    }
    if (e.is_fatal()) {
        return commit_outcome::fatal;
    }
    return commit_outcome::abortable;
}

} // namespace brook
