#pragma once

// retry_processor: the byte-level heart of the retry router. One per task of each topic
// the router reads (the input and every retry tier): it asks the task's handler about
// each record and forwards the record to the topic the outcome calls for, as a
// routed_value that the router's sink writes to that topic.
//
//   success        -> output topic: the handler's output value or the input value; from a
//                     tier, with the retry history headers (due-ts removed)
//   retriable      -> tier n+1 with the history updated and due-ts = now + the delay of
//                     tier n+1 for the record's event type; after the record's last tier
//                     -> dead-letter topic, dead-letter-cause retries-exhausted
//   non_retriable  -> dead-letter topic, dead-letter-cause non-retriable
//   unreadable     -> dead-letter topic, dead-letter-cause unreadable; the attempt count
//                     is not raised (0 for an input record: the handler never ran). Also a
//                     tier record whose due-ts breaks the rule of retry_due_time.h: it is
//                     dead-lettered with the reason, without calling the handler
//
// Every record written carries the task's wall-clock time of the decision as its Kafka
// timestamp (the router works on processing time); the input record's own timestamp
// travels in the original-timestamp header. Keys and the input value bytes are never
// rewritten. Headers are described in retry_history.h. An input record starts with no
// failures whatever headers it brings (a replayed record's old history is under
// replayed-* headers, see retry_replay.h). A tier record's attempt header counts only from
// 0 to the number of tiers + 1 (anything else reads as what its tier implies), so the
// attempt arithmetic cannot overflow.
//
// Lifecycle: made per task by the topology; init() makes the task's handler. Threading:
// the task's thread; the counters are shared relaxed atomics. Ownership: shares the
// router's configuration, owns the task's handler.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "apps/retry_router/retry_attempt.h"
#include "apps/retry_router/retry_due_time.h"
#include "apps/retry_router/retry_schedule.h"
#include "apps/retry_router/retry_topics.h"
#include "engine/processor/processor.h"
#include "engine/serde/serde.h"

namespace brook::apps {

// A Kafka key or value as it comes: bytes (as text), or a Kafka null.
using retry_text = std::optional<std::string>;

// What the router counts; shared by every task of every stream thread (relaxed atomics:
// totals, not synchronisation). Under exactly-once a count is of decisions made, so an
// aborted transaction's decisions, made again, are counted again.
struct retry_router_counters {
    explicit retry_router_counters(size_t tiers) : retried(tiers) {}
    std::atomic<uint64_t> succeeded{0};         // written to the output topic
    std::atomic<uint64_t> recovered{0};         // of those, after at least one failure
    std::vector<std::atomic<uint64_t>> retried; // [n - 1]: written to tier n
    std::atomic<uint64_t> exhausted{0};         // dead-lettered after the last tier
    std::atomic<uint64_t> non_retriable{0};     // dead-lettered at a non-retriable failure
    std::atomic<uint64_t> unreadable{0};        // dead-lettered unread
    uint64_t dead_lettered() const {
        return exhausted.load() + non_retriable.load() + unreadable.load();
    }
};

// Everything the router's processors share; fixed once the topology is built.
struct retry_router_config {
    retry_topics topics;
    retry_schedule schedule;
    std::shared_ptr<retry_router_counters> counters;
    // Makes one task's handler; called on the task's thread when it initializes.
    std::function<std::unique_ptr<retry_attempt_handler>()> make_handler;
};

// A record on its way out: the topic it goes to and its value bytes.
struct routed_value {
    std::string topic;
    retry_text value;
};

// Writes a routed_value's bytes (zero-copy). Routed values are never read back: the
// router's sources read bytes.
struct routed_value_serde {
    nullable_bytes serialize(const routed_value& v, std::string& /*buffer*/) const {
        return v.value ? nullable_bytes(*v.value) : std::nullopt;
    }
    routed_value deserialize(nullable_bytes /*in*/) const {
        throw serde_error("routed values are only written, never read");
    }
};

class retry_processor final : public processor<retry_text, retry_text, retry_text, routed_value> {
public:
    // `tier` 0 reads the input topic, n reads tier n.
    retry_processor(std::shared_ptr<const retry_router_config> config, size_t tier);

    void init(context_type& context) override;
    void process(record<retry_text, retry_text>&& r) override;

private:
    void forward_to(const std::string& topic, record<retry_text, retry_text>&& r, int64_t now);

    std::shared_ptr<const retry_router_config> _config;
    size_t _tier;
    std::optional<due_time_rule> _due; // tiers only
    std::unique_ptr<retry_attempt_handler> _handler;
};

} // namespace brook::apps
