#pragma once

// fan_in_watermark: how far event time has surely got in one partition of a repartition
// topic, which the tasks of one or more upstream sub-topologies write into side by side.
//
// Why: a task reading a repartition partition gets the records of every upstream task
// interleaved as they were produced. If it judged lateness by the largest timestamp seen,
// as Kafka Streams does, an upstream task that ran ahead on a backlog (or simply had its
// partitions while another instance's were still waiting for a rebalance) would make
// every record of the upstream tasks behind it late, and their windows would be lost.
// Instead each upstream task sends progress markers (progress_marker.h) into every
// partition of the topic: the largest timestamp it has written to the topic, and whether
// it is idle (caught up on all its input). This class keeps the latest marker of each
// writer and answers
//
//   value() = the smallest of those timestamps among the writers that are not idle, or,
//             when all are idle, the largest of all; -1 (and no progress) until every
//             writer has been heard from. It never goes back.
//
// An idle claim counts only while the caller confirms it (idle_check): that the writer's
// input partitions have not grown past the offsets its marker says it consumed, by an
// observation made after the claim. A killed writer's last marker says idle until another
// instance takes its task over; without the check, the others would carry value() far
// ahead meanwhile, and the records the writer's successor writes would all be late.
//
// A downstream window operator using value() as its stream time therefore drops a record
// only if it is older, by more than the grace period, than a record its own writer wrote
// before it: late within its own upstream task's output, as it would be in one stage,
// whatever the skew between upstream tasks.
//
// Lifecycle: one per repartition input partition of a task, made when the partition is
// added, restored from committed metadata, encoded into each commit. Threading: the
// task's thread only. Ownership: plain value.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace brook {

struct progress_marker;

class fan_in_watermark {
public:
    // The tasks of one upstream sub-topology (partitions 0..tasks-1) write this topic.
    struct writer_group {
        int subtopology = 0;
        int32_t tasks = 0;
    };

    // Whether an idle claim still holds: writer (subtopology, partition) said at wall time
    // `claim_wall` that it had consumed its inputs up to `ends` (progress_marker.h).
    using idle_check = std::function<bool(int subtopology, int32_t partition,
                                          const std::vector<int64_t>& ends, int64_t claim_wall)>;

    explicit fan_in_watermark(const std::vector<writer_group>& groups);

    // A marker from writer task (subtopology, partition). Markers of writers this
    // watermark does not know are ignored. Returns true when value() advanced.
    bool observe(const progress_marker& marker, const idle_check& confirm);
    // Recomputes with fresh confirmations of the idle claims; true when value() advanced.
    bool recompute(const idle_check& confirm);
    // Whether value() would move if the idle writers' claims were confirmed: then it is
    // worth reading the writers' input ends.
    bool waits_on_idle_writers() const;
    int64_t value() const { return _value; }
    // Raises value() to at least `time` (restored from a commit); never lowers it.
    void raise_to(int64_t time);

    // The writers' state as text for the commit metadata ("<st>/<tasks>=<entry>,...|..."
    // with entries "<time>" (active), "<time>i<wall>~<end>~..." (idle) or "?" (not heard
    // from).
    std::string encode() const;
    // Restores the writers' state from encode()'s text; false (and nothing changed) when
    // the text is damaged or describes other writers.
    bool restore(std::string_view text);

private:
    enum class writer_state : uint8_t { unknown, active, idle };
    struct writer {
        int64_t time = -1;
        writer_state state = writer_state::unknown;
        int64_t wall = 0;
        std::vector<int64_t> ends;
    };
    struct group {
        int subtopology = 0;
        std::vector<writer> writers;
    };
    // value() as it would be with every idle claim confirmed (`confirm_all`) or none.
    std::optional<int64_t> candidate(const idle_check& confirm) const;

    std::vector<group> _groups;
    int64_t _value = -1;
};

} // namespace brook
