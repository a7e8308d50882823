#pragma once

// In-memory clients for runtime unit tests (engine/runtime/clients.h): a fake_cluster holds
// topics as logs, the group's committed offsets and open transactions; fake consumers and
// producers read and write it as a single broker would, and let a test script what a real
// broker only does by chance:
//
//   - rebalances: assign, revoke or lose partitions at the next poll;
//   - failures: the next commit, send_offsets, commit_transaction or abort throws a given
//     kafka_error; a transactional.id initialized again fences the older producer;
//   - timing: commits can be held on a gate, so that a test acts while one is under way.
//
// read_committed throughout: a consumer sees a transaction's records once it commits,
// never an aborted one, and stops at the first record of a transaction still open (the
// last stable offset), as Kafka does.
//
// Threading: every object is safe to use from the stream thread, the committer thread and
// the test thread at once (one mutex in the cluster, one per client for its own state).
// Ownership: the factory owns nothing but hands out clients that point to the cluster,
// which must outlive them.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "engine/kafka/kafka_error.h"
#include "engine/record.h"
#include "engine/runtime/clients.h"

namespace brook::testing {

struct stored_record {
    std::optional<std::string> key;
    std::optional<std::string> value;
    int64_t timestamp = 0;
    headers hdrs;
    int64_t offset = 0;
    enum class state : uint8_t { committed, open, aborted } status = state::committed;
    uint64_t transaction = 0; // 0: not transactional
};

class fake_cluster {
public:
    void create_topic(const std::string& name, int32_t partitions);
    // 0 when the topic does not exist.
    int32_t partitions(const std::string& topic) const;
    // Appends a committed record, as a producer outside the test would; returns its offset.
    int64_t append(const std::string& topic, int32_t partition, std::optional<std::string> key,
                   std::optional<std::string> value, int64_t timestamp = 0, headers hdrs = {});
    // The records a read_committed consumer sees, in offset order.
    std::vector<stored_record> read_committed(const std::string& topic, int32_t partition) const;
    // Every record, whatever its transaction's state.
    std::vector<stored_record> read_all(const std::string& topic, int32_t partition) const;
    // What the group committed for a partition.
    std::optional<committed_position> committed(const topic_partition& tp) const;
    uint64_t committed_transactions() const;
    uint64_t aborted_transactions() const;

    // ---- used by the fake clients ----
    // Log end (high watermark) and last stable offset (before the first open record).
    int64_t end_offset(const topic_partition& tp) const;
    int64_t last_stable_offset(const topic_partition& tp) const;
    std::vector<stored_record> fetch(const topic_partition& tp, int64_t from, size_t max) const;
    int64_t append_transactional(const std::string& topic, int32_t partition, stored_record r,
                                 uint64_t transaction);
    void commit_offsets(const offset_map& offsets);
    // Ends a transaction: its records become committed (and its offsets the group's) or
    // aborted.
    void end_transaction(uint64_t transaction, bool commit, const offset_map& offsets);
    // A new transaction of `transactional_id` (the one a fence aborts); ended by
    // end_transaction().
    uint64_t begin_transaction(const std::string& transactional_id);
    // A producer with `transactional_id` (re)initializes: returns the epoch it must present
    // from now on, and the transaction an older producer left open is aborted.
    uint64_t fence(const std::string& transactional_id);
    uint64_t epoch(const std::string& transactional_id) const;

private:
    std::vector<stored_record>& log(const topic_partition& tp);
    const std::vector<stored_record>* find_log(const topic_partition& tp) const;

    mutable std::mutex _mutex;
    std::map<std::string, std::vector<std::vector<stored_record>>> _logs;
    offset_map _offsets;
    std::map<std::string, uint64_t> _epochs;
    std::map<std::string, uint64_t> _open_transactions; // by transactional.id
    uint64_t _next_transaction = 1;
    uint64_t _committed_transactions = 0;
    uint64_t _aborted_transactions = 0;
};

// What a scripted failure throws.
kafka::kafka_error abortable_error(const std::string& what);
kafka::kafka_error fenced_error(const std::string& what);
kafka::kafka_error rebalancing_error(const std::string& what);

class fake_consumer final : public consumer_client {
public:
    fake_consumer(fake_cluster& cluster, partition_listener* listener);

    // ---- scripting (any thread): applied at the next poll, in order ----
    void script_assign(std::vector<topic_partition> partitions);
    void script_revoke(std::vector<topic_partition> partitions);
    void script_lose(std::vector<topic_partition> partitions);
    // The next commit() throws `e`.
    void fail_next_commit(kafka::kafka_error e);
    // With auto-assignment (the default) the first poll after subscribe() assigns every
    // partition of the subscribed topics, as a group with one member would.
    void set_auto_assign(bool on);
    std::vector<topic_partition> assignment() const;
    size_t polls() const;

    // ---- consumer_client ----
    void subscribe(const std::vector<std::string>& topics) override;
    void assign(const std::vector<std::pair<topic_partition, record_offset>>& positions) override;
    void poll(std::vector<consumed_record>& records, std::vector<consumer_event>& events,
              size_t max, std::chrono::milliseconds timeout) override;
    void commit(const offset_map& offsets) override;
    offset_map committed(const std::vector<topic_partition>& partitions,
                         std::chrono::milliseconds timeout) override;
    std::optional<int64_t> cached_end_offset(const topic_partition& partition) override;
    std::pair<int64_t, int64_t> query_watermarks(const topic_partition& partition,
                                                 std::chrono::milliseconds timeout) override;
    partition_map<int64_t> end_offsets(const std::vector<topic_partition>& partitions,
                                       std::chrono::milliseconds timeout) override;
    partition_map<record_offset> positions(const std::vector<topic_partition>& partitions) override;
    void pause(const std::vector<topic_partition>& partitions) override;
    void resume(const std::vector<topic_partition>& partitions) override;
    void seek(const topic_partition& partition, record_offset next,
              std::chrono::milliseconds timeout) override;
    kafka::group_metadata_ptr group_metadata() override { return nullptr; }
    void close() override;

    ~fake_consumer() override;
    std::function<void()> on_destroy; // set by the factory

private:
    struct scripted {
        enum class kind : uint8_t { assign, revoke, lose } what;
        std::vector<topic_partition> partitions;
    };
    struct position {
        int64_t next = -1; // -1: from the committed offset (or 0) at the first fetch
        int64_t eof_reported = -1;
        bool paused = false;
    };
    void add_partitions(const std::vector<topic_partition>& partitions);
    void remove_partitions(const std::vector<topic_partition>& partitions);

    fake_cluster& _cluster;
    partition_listener* _listener;
    mutable std::mutex _mutex;
    std::deque<scripted> _script;
    std::optional<kafka::kafka_error> _commit_failure;
    std::vector<std::string> _subscribed;
    bool _auto_assign = true;
    bool _auto_assigned = false;
    bool _closed = false;
    partition_map<position> _positions;
    size_t _polls = 0;
    // Interned topic names: a record's topic key and view point here.
    std::map<std::string, std::unique_ptr<std::string>, std::less<>> _topic_names;
};

class fake_producer final : public producer_client {
public:
    fake_producer(fake_cluster& cluster, const kafka::client_config& config,
                  delivery_handler on_delivery);
    ~fake_producer() override;

    // ---- scripting (any thread) ----
    void fail_next_send_offsets(kafka::kafka_error e);
    void fail_next_commit(kafka::kafka_error e);
    // Deliveries to `topic` fail (their reports carry `error`) until cleared.
    void fail_deliveries_to(std::string topic, rd_kafka_resp_err_t error);
    // commit_transaction() waits until the gate opens; entered() tells that one waits.
    void close_commit_gate();
    void open_commit_gate();
    bool commit_waiting_at_gate() const;
    uint64_t commits_attempted() const;
    uint64_t aborts() const;

    // ---- producer_client ----
    topic_handle open_topic(const std::string& name) override;
    std::string_view topic_name(topic_handle topic) const override;
    std::optional<int32_t> partition_count(topic_handle topic,
                                           std::chrono::milliseconds timeout) override;
    void produce(topic_handle topic, int32_t partition, nullable_bytes key, nullable_bytes value,
                 int64_t timestamp_ms, kafka::headers_ptr headers) override;
    int poll(std::chrono::milliseconds timeout) override;
    void flush(std::chrono::milliseconds timeout) override;
    size_t max_record_bytes() const override { return _max_record_bytes; }
    void init_transactions(std::chrono::milliseconds timeout) override;
    void begin_transaction() override;
    void send_offsets_to_transaction(const offset_map& offsets,
                                     const rd_kafka_consumer_group_metadata_t* group,
                                     std::chrono::milliseconds timeout) override;
    void commit_transaction(std::chrono::milliseconds timeout) override;
    void abort_transaction(std::chrono::milliseconds timeout) override;

    std::function<void()> on_destroy; // set by the factory

private:
    struct pending_report {
        std::string topic;
        int32_t partition;
        int64_t offset;
        rd_kafka_resp_err_t error;
        std::optional<std::string> key;
        std::optional<std::string> value;
    };
    int serve_reports();
    void check_not_fenced() const;

    fake_cluster& _cluster;
    delivery_handler _on_delivery;
    const std::string _transactional_id; // empty: not transactional
    const size_t _max_record_bytes;
    mutable std::mutex _mutex;
    std::condition_variable _gate_changed;
    std::deque<std::unique_ptr<std::string>> _topics; // handles point here
    std::deque<pending_report> _reports;
    std::optional<kafka::kafka_error> _send_offsets_failure;
    std::optional<kafka::kafka_error> _commit_failure;
    std::map<std::string, rd_kafka_resp_err_t> _failing_topics;
    bool _gate_closed = false;
    bool _at_gate = false;
    uint64_t _epoch = 0;
    uint64_t _transaction = 0;        // open transaction, 0: none
    bool _transaction_failed = false; // a delivery of the open transaction failed
    offset_map _transaction_offsets;
    uint64_t _commits_attempted = 0;
    uint64_t _aborts = 0;
};

// Makes fake clients over one cluster and keeps a pointer to the last of each kind, for
// the test to script (they live as long as the stream thread that owns them).
class fake_client_factory final : public client_factory {
public:
    explicit fake_client_factory(fake_cluster& cluster) : _cluster(cluster) {}

    std::unique_ptr<consumer_client> consumer(const kafka::client_config& config,
                                              partition_listener* listener) override;
    std::unique_ptr<consumer_client> restore_consumer(const kafka::client_config& config) override;
    std::unique_ptr<producer_client>
    producer(const kafka::client_config& config,
             producer_client::delivery_handler on_delivery) override;

    // The last group consumer / producer made (null before the first). Any thread.
    fake_consumer* last_consumer() const;
    fake_producer* last_producer() const;
    size_t producers_made() const;
    // Called with each consumer and producer as it is made, before it is returned.
    std::function<void(fake_consumer&)> on_consumer;
    std::function<void(fake_producer&)> on_producer;

private:
    fake_cluster& _cluster;
    mutable std::mutex _mutex;
    fake_consumer* _consumer = nullptr;
    fake_producer* _producer = nullptr;
    size_t _producers = 0;
};

} // namespace brook::testing
