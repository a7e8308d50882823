#pragma once

// stream_task: one sub-topology over one partition number of its input topics.
//
// Lifecycle: constructed (nodes and stores made and wired) -> open_stores() -> (the
// thread restores logged stores from their changelogs) -> initialize_time() with what the
// group committed -> init() -> add partitions, enqueue and process records, punctuate,
// prepare_commit()/post_commit() -> close(). Records of each input partition wait in their
// own queue; process_next() takes the head with the lowest timestamp, so a task merges
// its inputs in time order. An input of a delayed source (due_time.h) whose head record is
// not due yet is passed over until it is; delayed_heads() tells the thread which to pause.
//
// Event time: each input partition has a partition time, the largest timestamp processed
// from it (for a repartition input: its fan_in_watermark, fed by the writers' progress
// markers); the task's stream time is the largest partition time. Both are committed with
// the offsets (commit_metadata.h) and restored by initialize_time(), so a task made again
// goes on where it was.
//
// Threading: owned by one stream_thread (or the test driver) and used only on its thread.
// Ownership: owns its nodes, stores and queued records.

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/processor/record_errors.h"
#include "engine/processor/task_context.h"
#include "engine/runtime/consumed_record.h"
#include "engine/runtime/fan_in_watermark.h"
#include "engine/runtime/task_environment.h"
#include "engine/runtime/task_output.h"
#include "engine/runtime/topic_partition.h"
#include "engine/topology/topology.h"

namespace brook {

// A logged store of a task, as restore and checkpointing see it: its changelog, or the
// source topic of a table whose store restores from it (reuse.ktable.source.topics).
struct changelog_partition {
    std::string store;
    std::string topic; // <application.id>-<store>-changelog, or the table's source topic
    int32_t partition = 0;
    bool persistent = false;
    state::restorable* target = nullptr;
    // The changelog offset the local data reflects (next offset to read), if known.
    std::optional<int64_t> checkpoint;
    // Source topics only: how a record becomes the store's entry (owned by the topology),
    // and where restore stops, the group's committed offset of the partition (records
    // after it are the task's to process); task_manager sets it before restore.
    const source_changelog* source = nullptr;
    std::optional<int64_t> restore_end;
};

class stream_task final : public task_context,
                          public record_errors,
                          private state::changelog_writer {
public:
    // The offset after the last acknowledged write to a changelog partition, if any.
    using acked_offsets = std::function<std::optional<int64_t>(std::string_view, int32_t)>;

    // Throws topology_error if the sub-topology cannot be instantiated.
    stream_task(task_id id, const topology& topo, task_environment env);
    ~stream_task() override;
    stream_task(const stream_task&) = delete;
    stream_task& operator=(const stream_task&) = delete;

    // Opens every store in <state_dir>/<task id>/. Throws state::state_error.
    void open_stores();
    // The task's logged stores with their checkpoints (read at open_stores()).
    std::vector<changelog_partition>& changelogs() { return _changelogs; }
    // Restores partition times, stream time and watermarks from what the group committed
    // for this task's inputs (entries of other partitions are ignored). Call before
    // processing; metadata that is not Brook's is ignored (time starts unknown).
    void initialize_time(const offset_map& committed);
    // Initializes the nodes (after the stores are open and restored); call once.
    void init();
    bool initialized() const { return _initialized; }
    // Closes nodes and stores. Idempotent.
    void close();

    void add_partition(const topic_partition& tp);
    // Drops a partition and its queued records (on revocation). Returns true if the task
    // has no partitions left.
    bool remove_partition(const topic_partition& tp);
    std::vector<topic_partition> partitions() const;

    // Queues a consumed record for later processing.
    void enqueue(consumed_record r);
    size_t buffered() const { return _buffered; }
    // Processes the queued record with the lowest timestamp; false when none is queued, or
    // when the task waits for an input, as Kafka Streams since KIP-695: a task with several
    // inputs processes only while each of them has a record queued or is caught up (its
    // fetched position is at the end the last fetch reported); a caught-up input is waited
    // for up to max.task.idle.ms (0: not at all; -1: no input is ever waited for).
    //
    // An input of a delayed source whose head record is not due by the task's wall clock is
    // held: it is neither processed nor waited for as empty, and the records behind its head
    // wait with it (see due_time.h).
    bool process_next();
    // The consumer fetched all there is of one of its partitions, up to `end`.
    void mark_end_of_partition(const topic_partition& tp, int64_t end);
    // Processes one record at once (the test driver's path), due or not. Applies the
    // deserialization handler; throws streams_error under `fail`, and lets processor
    // exceptions through.
    void process(const raw_record& r);
    // Whether every input is caught up with nothing queued: what this task's progress
    // markers call idle.
    bool caught_up();
    // Repartition inputs: whether an upstream writer's idle claim waits for confirmation
    // (env.confirm_idle), and the watermarks recomputed once fresh input ends are known.
    bool awaits_idle_confirmation() const;
    void recheck_watermarks();

    // Delayed sources: the time `r` is due at, when the source reading its topic is
    // delayed; nullopt for a source that processes records as they come. Throws
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
    size_t buffered(const topic_partition& tp) const;

    // Fires wall-clock punctuators that are due at `now_ms`.
    void punctuate_wall_clock(int64_t now_ms);
    // Sends a progress marker into every partition of each repartition topic this task
    // writes, when the largest timestamp it wrote there or its idleness changed since the
    // last, or `heartbeat` is set. No-op without a layout or repartition outputs.
    void send_progress_markers(bool heartbeat);

    // The commit pair. prepare_commit(): flushes the stores (their cached writes go to the
    // changelogs), clears a commit request and returns the offsets to commit, with their
    // metadata, of the partitions that processed something since the last commit; with
    // `seal` (exactly-once, pipelined) the stores' writes so far belong to the transaction
    // being committed and later ones wait for the next. post_commit(): `committed` (what
    // prepare_commit() returned) is committed: stores apply the sealed writes and record
    // the changelog offsets they reflect, and those partitions are clean until they
    // process again.
    offset_map prepare_commit(bool seal);
    void post_commit(const offset_map& committed, const acked_offsets& acked);
    bool commit_requested() const { return _commit_requested; }
    // The store named `name`, or null if this task has none by that name.
    state::state_store* find_store(std::string_view name);

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
    record_collector& collector() override { return _output; }
    void request_commit() override { _commit_requested = true; }
    task_counters& counters() override { return *_env.counters; }

    // record_errors: the processing and production exception handlers, and the
    // deserialization handler for event times past max.event.time.future.ms.
    void processing_failed(std::string_view node, const std::exception& e) override;
    void production_failed(std::string_view topic, nullable_bytes key, nullable_bytes value,
                           int64_t timestamp, const headers& hdrs,
                           std::string_view reason) override;
    void event_time_refused(std::string_view topic, nullable_bytes key, nullable_bytes value,
                            int64_t timestamp, const headers& hdrs, int64_t ahead_ms) override;

    // The changelog topic of `store` for application `application_id`.
    static std::string changelog_topic(const std::string& application_id, std::string_view store);

private:
    struct scheduled {
        int64_t interval_ms;
        int64_t next_ms; // the stream or wall-clock time it fires at next
        punctuator fn;
        std::shared_ptr<bool> cancelled;
    };
    // One input partition: its queue, the source that reads it, and its progress.
    struct input_partition {
        topic_partition tp;
        source_node_base* source;
        std::deque<consumed_record> queue;
        int64_t next_offset = 0; // offset after the last processed record
        bool dirty = false;      // processed something since the last commit
        // Largest timestamp processed (a repartition input: its watermark); -1: none yet.
        int64_t partition_time = -1;
        // How far the consumer has fetched: after the last queued record, or the end an
        // end-of-partition event reported; -1 while unknown.
        int64_t fetched_to = -1;
        // After the last record queued (-1: none yet). Offsets only grow while an input is
        // assigned (a rewind makes the task again), so one below it was handed out twice.
        int64_t queued_to = -1;
        // KIP-695: when the task stops waiting for this caught-up, empty input.
        std::optional<std::chrono::steady_clock::time_point> idle_deadline;
        // A repartition input: its writers' progress (null for other inputs).
        std::unique_ptr<fan_in_watermark> watermark;
        // Delayed source: when the head of the queue is due, read once per head; or why
        // its due time cannot be read (then it is due at once, and dead-lettered).
        std::optional<int64_t> head_due;
        std::optional<std::string> head_unreadable;
    };
    // KIP-695: false while an empty input may still have records coming.
    bool ready_to_process();
    // Records known to be on the broker but not queued yet; nullopt while unknown.
    std::optional<int64_t> lag(const input_partition& in) const;

    // The input for (topic, partition), added on first use; throws topology_error if no
    // source of this task reads the topic. A task has few inputs, so a scan is cheapest.
    input_partition& input(std::string_view topic, int32_t partition);
    // Consumes the progress markers at the head of a repartition input's queue.
    void take_markers(input_partition& in);
    // Processes `r`, or, when `unreadable` says why its due time cannot be read, hands it
    // to the deserialization handler with that reason.
    void process_from(input_partition& in, const raw_record& r,
                      const std::optional<std::string>& unreadable = std::nullopt);
    // When the head of `in` (a delayed source's, with a record queued) is due.
    int64_t head_due(input_partition& in);
    void handle_deserialization_error(const raw_record& r, const std::exception& e);
    // Applies `handler` to a failed record: `what` names the handler's key for the fail
    // message. With dead_letter, sends `key`/`value`/`hdrs` to the dead-letter topic with
    // `reason` and where the record came from (values too large for the producer are
    // replaced by a note of their size).
    void handle_failure(error_handler handler, std::string_view what, const std::string& reason,
                        nullable_bytes key, nullable_bytes value, int64_t timestamp, headers hdrs);
    void send_dead_letter(nullable_bytes key, nullable_bytes value, int64_t timestamp,
                          const headers& hdrs, const std::string& reason);
    // "<topic>-<partition> offset <offset>" of the current record, or "a punctuator".
    std::string current_position() const;
    // Raises stream time to `time` (if later) and fires the stream-time punctuators due.
    void advance_stream_time(int64_t time);
    void punctuate(std::vector<scheduled>& list, int64_t now);
    void commit_stores(const offset_map& committed, const acked_offsets& acked);
    // state::changelog_writer: logged stores send their writes through the task's collector.
    void log(std::string_view store, std::string_view key, std::optional<std::string_view> value,
             int64_t timestamp) override;

    task_id _id;
    task_environment _env;
    topology::instance _instance;
    std::deque<input_partition> _inputs; // a deque: emplace_back keeps references valid
    // Since when no input of the task has had a record queued (unset while some has): a
    // task idle as a whole for max.task.idle.ms waits afresh for its empty inputs when a
    // burst arrives on one of them (ready_to_process).
    std::optional<std::chrono::steady_clock::time_point> _all_empty_since;
    // The input of the last enqueued record, by topic key; reset wherever inputs are removed.
    struct enqueue_hit {
        const void* topic_key = nullptr;
        input_partition* in = nullptr;
    };
    enqueue_hit _last_enqueued;
    size_t _buffered = 0;
    uint64_t _redelivered = 0; // records the consumer handed out twice, dropped
    std::vector<scheduled> _stream_punctuators;
    std::vector<scheduled> _wall_punctuators;
    const record_metadata* _current = nullptr;
    const raw_record* _current_raw = nullptr; // the record being processed, as consumed
    uint64_t _failures_logged = 0;
    input_partition* _current_input = nullptr; // the input of the record being processed
    int64_t _stream_time = -1;
    // Stream time as the stores see it (store_context::stream_time): it catches up with
    // _stream_time once the record or watermark that moved it has been processed and the
    // stream-time punctuators have run, so a window that the move closed is emitted before
    // its segment can expire.
    int64_t _store_time = -1;
    // Timestamp of the current record (or of the punctuation running): what changelog
    // records carry.
    int64_t _current_timestamp = 0;
    task_output _output;
    // Progress markers: where they go, and what the last one to each said.
    struct marker_target {
        std::string topic;
        int32_t partitions = 0;
        int64_t marked_time = -2; // never sent
        bool marked_idle = false;
    };
    std::vector<marker_target> _marker_targets;
    int32_t _subtopology_tasks = 1;
    task_counters _own_counters; // used when the environment gives none
    std::vector<changelog_partition> _changelogs;
    // Stores that restore from their table's source topic, with how (the topology's).
    std::map<std::string, const source_changelog*, std::less<>> _source_changelogs;
    bool _stores_open = false;
    bool _commit_requested = false;
    bool _initialized = false;
    bool _closed = false;
};

} // namespace brook
