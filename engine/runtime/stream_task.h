#pragma once

// stream_task: one sub-topology over one partition number of its input topics.
//
// Lifecycle: constructed (nodes and stores made and wired) -> init() -> add partitions,
// enqueue and process records, punctuate -> close(). Records of each input partition
// wait in their own queue; process_next() takes the head with the lowest timestamp, so
// a task merges its inputs in time order. Threading: owned by one stream_thread (or the
// test driver) and used only on its thread. Ownership: owns its nodes, stores and the
// queued librdkafka messages.

#include <deque>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/kafka/handles.h"
#include "engine/processor/task_context.h"
#include "engine/runtime/task_environment.h"
#include "engine/topology/topology.h"

namespace brook {

using topic_partition = std::pair<std::string, int32_t>;

// Orders topic_partition keys and lets maps find them by (string_view, partition) too,
// so per-record lookups build no string.
struct topic_partition_less {
    using is_transparent = void;
    template <class A, class B>
    bool operator()(const A& a, const B& b) const {
        const std::string_view at(a.first);
        const std::string_view bt(b.first);
        return at < bt || (at == bt && a.second < b.second);
    }
};

class stream_task final : public task_context {
public:
    // Throws topology_error if the sub-topology cannot be instantiated.
    stream_task(task_id id, const topology& topo, task_environment env);
    ~stream_task() override;
    stream_task(const stream_task&) = delete;
    stream_task& operator=(const stream_task&) = delete;

    // Initializes stores and nodes; call once before processing.
    void init();
    // Closes nodes and stores. Idempotent.
    void close();

    void add_partition(const topic_partition& tp);
    // Drops a partition and its queued records (on revocation). Returns true if the task
    // has no partitions left.
    bool remove_partition(const topic_partition& tp);

    // Queues a consumed message for later processing.
    void enqueue(kafka::message_ptr msg);
    size_t buffered() const { return _buffered; }
    // Processes the queued record with the lowest timestamp; false when none is queued.
    bool process_next();
    // Processes one record at once (the test driver's path). Applies the deserialization
    // handler; throws streams_error under `fail`, and lets processor exceptions through.
    void process(const raw_record& r);

    // Fires wall-clock punctuators that are due at `now_ms`.
    void punctuate_wall_clock(int64_t now_ms);

    // Offset of the next record to read, for each partition that processed something
    // since the last call to mark_committed().
    std::map<topic_partition, int64_t, topic_partition_less> committable_offsets() const;
    void mark_committed();
    bool commit_requested() const { return _commit_requested; }
    void clear_commit_request() { _commit_requested = false; }
    // The store named `name`, or null if this task has none by that name.
    state::state_store* find_store(std::string_view name);
    // Flushes every store (before a commit).
    void flush_stores();

    // task_context
    const std::string& application_id() const override { return _env.application_id; }
    task_id id() const override { return _id; }
    const record_metadata* current_metadata() const override { return _current; }
    int64_t stream_time() const override { return _stream_time; }
    void observe_record_timestamp(int64_t timestamp) override;
    int64_t wall_clock_time() const override { return _env.wall_clock(); }
    state::state_store& store(std::string_view name) override;
    cancellable schedule(std::chrono::milliseconds interval, punctuation_type type,
                         punctuator fn) override;
    record_collector& collector() override { return *_env.collector; }
    void request_commit() override { _commit_requested = true; }

private:
    struct scheduled {
        int64_t interval_ms;
        int64_t next_ms; // -1: starts with the first observed stream time
        punctuator fn;
        std::shared_ptr<bool> cancelled;
    };
    // One input partition: its queue, the source that reads it, and its progress.
    struct input_partition {
        std::string topic;
        int32_t partition;
        source_node_base* source;
        std::deque<kafka::message_ptr> queue;
        int64_t next_offset = 0; // offset after the last processed record
        bool dirty = false;      // processed something since the last commit
    };

    // The input for (topic, partition), added on first use; throws topology_error if no
    // source of this task reads the topic. A task has few inputs, so a scan is cheapest.
    input_partition& input(std::string_view topic, int32_t partition);
    void process_from(input_partition& in, const raw_record& r);
    void handle_deserialization_error(const raw_record& r, const std::exception& e);
    void punctuate(std::vector<scheduled>& list, int64_t now);

    task_id _id;
    task_environment _env;
    topology::instance _instance;
    std::deque<input_partition> _inputs; // a deque: emplace_back keeps references valid
    size_t _buffered = 0;
    std::vector<scheduled> _stream_punctuators;
    std::vector<scheduled> _wall_punctuators;
    const record_metadata* _current = nullptr;
    int64_t _stream_time = -1;
    bool _commit_requested = false;
    bool _initialized = false;
    bool _closed = false;
};

} // namespace brook
