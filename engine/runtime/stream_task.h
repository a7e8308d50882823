#pragma once

// stream_task: one sub-topology over one partition number of its input topics.
//
// Lifecycle: constructed (nodes and stores made and wired) -> open_stores() -> (the
// thread restores logged stores from their changelogs) -> init() -> add partitions,
// enqueue and process records, punctuate -> close(). Records of each input partition
// wait in their own queue; process_next() takes the head with the lowest timestamp, so
// a task merges its inputs in time order. An input of a delayed source (due_time.h) whose
// head record is not due yet is passed over until it is; held_inputs() tells the thread
// which to pause. Threading: owned by one stream_thread (or the test driver) and used only
// on its thread. Ownership: owns its nodes, stores and the queued librdkafka messages.

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
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

// A logged store of a task, as restore and checkpointing see it.
struct changelog_partition {
    std::string store;
    std::string topic; // <application.id>-<store>-changelog
    int32_t partition = 0;
    bool persistent = false;
    state::restorable* target = nullptr;
    // The changelog offset the local data reflects (next offset to read), if known.
    std::optional<int64_t> checkpoint;
};

class stream_task final : public task_context, private state::changelog_writer {
public:
    // Throws topology_error if the sub-topology cannot be instantiated.
    stream_task(task_id id, const topology& topo, task_environment env);
    ~stream_task() override;
    stream_task(const stream_task&) = delete;
    stream_task& operator=(const stream_task&) = delete;

    // Opens every store in <state_dir>/<task id>/. Throws state::state_error.
    void open_stores();
    // The task's logged stores with their checkpoints (read at open_stores()).
    std::vector<changelog_partition>& changelogs() { return _changelogs; }
    // After a commit whose records were all acknowledged (at least once) or whose
    // transaction committed (exactly once): each store applies what it staged before
    // seal_stores() and records the changelog offset it now reflects.
    // `acked_next_offset(topic, partition)` answers the offset after the last acknowledged
    // write, if any.
    void commit_stores(
        const std::function<std::optional<int64_t>(std::string_view, int32_t)>& acked_next_offset);
    // Initializes the nodes (after the stores are open and restored); call once.
    void init();
    bool initialized() const { return _initialized; }
    // Closes nodes and stores. Idempotent.
    void close();

    void add_partition(const topic_partition& tp);
    // Drops a partition and its queued records (on revocation). Returns true if the task
    // has no partitions left.
    bool remove_partition(const topic_partition& tp);

    // Queues a consumed message for later processing.
    void enqueue(kafka::message_ptr msg);
    size_t buffered() const { return _buffered; }
    // Processes the queued record with the lowest timestamp; false when none is queued, or
    // when the task waits for an input (as Kafka Streams since KIP-695): a task with several
    // inputs processes only while each of them has a record queued or is known to be at its
    // end, so that on a backlog records are merged in time order instead of whichever input
    // was fetched first. It waits at most max.task.idle.ms when that is above 0, as long as
    // needed when it is 0, and never when it is -1.
    //
    // An input of a delayed source whose head record is not due by the task's wall clock is
    // held: it is neither processed nor waited for as empty, and the records behind its head
    // wait with it (see due_time.h).
    bool process_next();
    // The thread tells the task that it has read all there is of one of its partitions
    // (librdkafka's partition EOF); a record enqueued for it later clears that.
    void mark_end_of_partition(std::string_view topic, int32_t partition);
    // Processes one record at once (the test driver's path), due or not. Applies the
    // deserialization handler; throws streams_error under `fail`, and lets processor
    // exceptions through.
    void process(const raw_record& r);

    // Delayed sources: the time `r` is due at, when the source reading its topic is
    // delayed; nullopt for a source that processes records as they come. A record whose due
    // time cannot be read is due at once (process() then dead-letters it). Throws
    // topology_error if no source of this task reads the topic.
    std::optional<int64_t> due_time(const raw_record& r);
    // A delayed input with a record queued, and when its head record is due.
    struct held_input {
        topic_partition partition;
        int64_t due_ms = 0;
    };
    // Appends to `out` every delayed input with a record queued, and when its head is due
    // (possibly already: it became due after the last process_next()).
    void delayed_heads(std::vector<held_input>& out);
    // Records of one input partition fetched and queued but not processed yet.
    size_t buffered(std::string_view topic, int32_t partition) const;

    // Fires wall-clock punctuators that are due at `now_ms`.
    void punctuate_wall_clock(int64_t now_ms);

    // Offset of the next record to read, for each partition that processed something
    // since its last commit.
    std::map<topic_partition, int64_t, topic_partition_less> committable_offsets() const;
    // `committed` (from committable_offsets()) is committed: a partition that has not
    // processed further since is clean until it does.
    void mark_committed(const std::map<topic_partition, int64_t, topic_partition_less>& committed);
    bool commit_requested() const { return _commit_requested; }
    void clear_commit_request() { _commit_requested = false; }
    // The store named `name`, or null if this task has none by that name.
    state::state_store* find_store(std::string_view name);
    // Flushes every store (before a commit).
    void flush_stores();
    // Exactly-once, after flush_stores(): the stores' writes so far belong to the
    // transaction being committed; later ones wait for the next (restorable::seal()).
    void seal_stores();

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
    task_counters& counters() override { return *_env.counters; }

    // The changelog topic of `store` for application `application_id`.
    static std::string changelog_topic(const std::string& application_id, std::string_view store);

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
        bool at_end = false;     // fetched to the end: nothing to wait for
        // Delayed source: when the head of the queue is due, read once per head; or why
        // its due time cannot be read (then it is due at once, and dead-lettered).
        std::optional<int64_t> head_due;
        std::optional<std::string> head_unreadable;
    };
    // False while an empty input may still have records coming (see process_next()).
    bool may_process();

    // The input for (topic, partition), added on first use; throws topology_error if no
    // source of this task reads the topic. A task has few inputs, so a scan is cheapest.
    input_partition& input(std::string_view topic, int32_t partition);
    // Processes `r`, or, when `unreadable` says why its due time cannot be read, hands it
    // to the deserialization handler with that reason.
    void process_from(input_partition& in, const raw_record& r,
                      const std::optional<std::string>& unreadable = std::nullopt);
    // When the head of `in` (a delayed source's, with a record queued) is due.
    int64_t head_due(input_partition& in);
    void handle_deserialization_error(const raw_record& r, const std::exception& e);
    void punctuate(std::vector<scheduled>& list, int64_t now);
    // state::changelog_writer: logged stores send their writes through the task's collector.
    void log(std::string_view store, std::string_view key, std::optional<std::string_view> value,
             int64_t timestamp) override;

    task_id _id;
    task_environment _env;
    topology::instance _instance;
    std::deque<input_partition> _inputs; // a deque: emplace_back keeps references valid
    // The input of the last enqueued message, by librdkafka topic handle; reset wherever
    // inputs are removed.
    struct enqueue_hit {
        const rd_kafka_topic_t* handle = nullptr;
        input_partition* in = nullptr;
    };
    enqueue_hit _last_enqueued;
    size_t _buffered = 0;
    // When the task began waiting for an empty input; unset while it is not waiting.
    std::optional<std::chrono::steady_clock::time_point> _idle_since;
    std::vector<scheduled> _stream_punctuators;
    std::vector<scheduled> _wall_punctuators;
    const record_metadata* _current = nullptr;
    int64_t _stream_time = -1;
    // Timestamp of the current record (or of the punctuation running): what changelog
    // records carry.
    int64_t _current_timestamp = 0;
    task_counters _own_counters; // used when the environment gives none
    std::vector<changelog_partition> _changelogs;
    bool _stores_open = false;
    bool _commit_requested = false;
    bool _initialized = false;
    bool _closed = false;
};

} // namespace brook
