#pragma once

// streams_config: the whole configuration of one Brook application, with Kafka Streams'
// key names, so a Kafka Streams user's .properties file means the same thing here.
//
// Every key and value is checked when the object is built, so a typo fails at start-up
// with a config_error that names the key, says where it came from (file and line, or
// command-line override) and what to write instead. Nothing is checked later.
//
// Keys fall in three groups:
//   - Brook's own keys (application.id, commit.interval.ms, ...), read into typed fields;
//   - client-wide librdkafka keys (client.id, security.protocol, sasl.*, ssl.*), given to
//     every Kafka client Brook creates;
//   - librdkafka keys for one kind of client, prefixed with consumer., producer., admin. or
//     restore.consumer.; the prefix is stripped and the key goes to that client only.
// Any other key is rejected; an unprefixed librdkafka key gets a hint to add a prefix.
//
// Sizes are bounded, whatever the source (a file, an override, a map built in code), so
// that no configuration can make start-up slow: at most max_config_entries keys, each key
// at most max_config_key_bytes (the longest real one, a prefixed librdkafka property, is
// under 60) and each value at most max_config_value_bytes (a PEM bundle of CA
// certificates is the largest in practice). A longer key is refused as unknown without
// looking for a close match; the "did you mean" search is linear in the key's length.
//
// Lifecycle and threading: immutable once constructed; copyable; any number of threads may
// read one instance at once. The client_config accessors return fresh copies that the
// runtime completes (group.id, transactional.id, per-thread client.id suffixes).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "engine/kafka/client_config.h"
#include "engine/topology/topology_optimization.h"

namespace brook {

inline constexpr std::size_t max_config_entries = 10'000;
inline constexpr std::size_t max_config_key_bytes = 256;
inline constexpr std::size_t max_config_value_bytes = std::size_t{1} << 20;

enum class processing_guarantee { at_least_once, exactly_once_v2 };

// What a task does with a record that fails: one its deserializer cannot read
// (default.deserialization.exception.handler), one a processor throws on
// (processing.exception.handler, KIP-1033) or one that cannot be produced
// (default.production.exception.handler).
enum class error_handler {
    fail,             // stop the application with the error (Kafka's LogAndFail)
    log_and_continue, // log it, skip the record
    dead_letter,      // send the record to dead_letter_topic() with the reason, skip it
};
using deserialization_handler = error_handler;

class streams_config {
public:
    // Validates every key and value of props (the user's configuration, before defaults).
    // Throws config_error naming the key for: unknown keys (with a "did you mean" when a
    // known key is close), sizes past the bounds above, bad values (non-integer, out of
    // range, unknown word), a missing
    // application.id or bootstrap.servers, librdkafka keys that librdkafka rejects, and
    // combinations that would break Brook's guarantees (see the .cc for the list).
    explicit streams_config(std::map<std::string, std::string> props);

    // Builds a configuration from, in increasing precedence: defaults (the application's
    // own), the .properties file (skipped when file is empty), then overrides, each
    // "key=value", applied in order so a later one wins. Errors name the file and line or
    // the override the bad key came from. Throws config_error also for an unreadable file,
    // a malformed file, or an override without '=' or with an empty key.
    static streams_config from_sources(const std::filesystem::path& file,
                                       const std::vector<std::string>& overrides,
                                       std::map<std::string, std::string> defaults = {});

    // application.id: required, [A-Za-z0-9._-]+; names the consumer group, the
    // transactional ids and every internal topic.
    const std::string& application_id() const noexcept { return _application_id; }
    // bootstrap.servers: required; the word "embedded" asks for the in-process mock cluster.
    const std::string& bootstrap_servers() const noexcept { return _bootstrap_servers; }
    // num.stream.threads: 1..64, default 1.
    int num_stream_threads() const noexcept { return _num_stream_threads; }
    // num.standby.replicas: 0..16, default 0. How many other instances keep each stateful
    // task's persistent stores warm from its changelog (standby_updater.h).
    int num_standby_replicas() const noexcept { return _num_standby_replicas; }
    // acceptable.recovery.lag: >= 0, default 10000. A standby at most this many changelog
    // records behind counts as caught up: interactive queries that allow stale reads are
    // answered from it, and not from one further behind.
    std::int64_t acceptable_recovery_lag() const noexcept { return _acceptable_recovery_lag; }
    // warmup.timeout.ms (Brook's): >= 0, default 300000. An instance joining a running
    // group first warms up the tasks `range` will give it (standby_updater.h) until they
    // are within acceptable.recovery.lag, for at most this long; 0: joins at once.
    std::chrono::milliseconds warmup_timeout() const noexcept { return _warmup_timeout; }
    // commit.interval.ms: >= 0; default 30000, or 100 under exactly_once_v2.
    std::chrono::milliseconds commit_interval() const noexcept { return _commit_interval; }
    // repartition.purge.interval.ms: >= 0, default 30000; how often, at most, a stream
    // thread deletes the records it has committed from the repartition topics it reads.
    std::chrono::milliseconds repartition_purge_interval() const noexcept {
        return _repartition_purge_interval;
    }
    // processing.guarantee: at_least_once (default) or exactly_once_v2.
    processing_guarantee guarantee() const noexcept { return _guarantee; }
    // state.dir: default /tmp/brook-streams; each application uses <state.dir>/<application.id>.
    const std::filesystem::path& state_dir() const noexcept { return _state_dir; }
    // poll.ms: how long a stream thread blocks in poll when no records wait; 1.., default 100.
    std::chrono::milliseconds poll_timeout() const noexcept { return _poll_timeout; }
    // replication.factor of internal topics: -1 (the broker's default, the default) or 1..32767.
    int replication_factor() const noexcept { return _replication_factor; }
    // statestore.cache.max.bytes (old name cache.max.bytes.buffering): >= 0, default 10 MiB,
    // shared by all stores of the application; 0 turns caching off.
    std::int64_t cache_max_bytes() const noexcept { return _cache_max_bytes; }
    // rocksdb.block.cache.bytes (Brook): the one block cache all RocksDB stores of the
    // application share; >= 1 MiB, default 64 MiB.
    std::int64_t rocksdb_block_cache_bytes() const noexcept { return _rocksdb_block_cache_bytes; }
    // rocksdb.write.buffer.manager.bytes (Brook): the cap on all stores' memtables
    // together; >= 1 MiB, default 64 MiB.
    std::int64_t rocksdb_write_buffer_bytes() const noexcept { return _rocksdb_write_buffer_bytes; }
    // buffered.records.per.partition: 1.., default 1000; past it the partition is paused.
    int buffered_records_per_partition() const noexcept { return _buffered_records_per_partition; }
    // max.task.idle.ms: how long a task waits for data on its empty inputs before processing
    // the others out of timestamp order; default 0, -1 means never wait.
    std::chrono::milliseconds max_task_idle() const noexcept { return _max_task_idle; }
    // topology.optimization: none (default), all, or a list of merge.repartition.topics and
    // reuse.ktable.source.topics; single.store.self.join is refused with the reason
    // (topology_optimization.h). Build the DSL's topology with stream_builder::build(config)
    // for it to apply.
    const brook::topology_optimization& topology_optimization() const noexcept {
        return _topology_optimization;
    }
    // default.deserialization.exception.handler: fail (default), log_and_continue or
    // dead_letter; Kafka's LogAndFailExceptionHandler / LogAndContinueExceptionHandler class
    // names (simple or fully qualified) are accepted too.
    deserialization_handler on_deserialization_error() const noexcept { return _on_deser_error; }
    // default.production.exception.handler (or production.exception.handler, its name since
    // Kafka 4.0): what happens to a record that cannot be produced (larger than the
    // producer's message.max.bytes, an invalid topic name, a value that cannot be
    // serialized). fail (default), log_and_continue or dead_letter.
    error_handler on_production_error() const noexcept { return _on_production_error; }
    // processing.exception.handler (KIP-1033): what happens to a record a processor throws
    // on. fail (default), log_and_continue or dead_letter.
    error_handler on_processing_error() const noexcept { return _on_processing_error; }
    // max.event.time.future.ms (Brook's): a record whose event time is further than this
    // ahead of the wall clock is handed to the deserialization handler instead of moving
    // stream time years ahead; -1 (default, as Kafka Streams) checks nothing.
    std::chrono::milliseconds max_event_time_future() const noexcept {
        return _max_event_time_future;
    }
    // stall.timeout.ms (Brook's): a stream thread whose loop has not come around for this
    // long is reported stuck by health() (/health, /ready), with where it is stuck.
    std::chrono::milliseconds stall_timeout() const noexcept { return _stall_timeout; }
    // group.instance.id (static membership, KIP-345): each stream thread joins the group as
    // "<group.instance.id>-<thread>", so a restart within the session timeout takes its
    // partitions back without a rebalance. Empty: dynamic membership (the default).
    const std::string& group_instance_id() const noexcept { return _group_instance_id; }
    // application.server: "host:port" of this instance's HTTP endpoint, advertised to the
    // other instances (in each consumer's client.id) so that a query for a key another
    // instance owns is sent there. Empty: not advertised.
    const std::string& application_server() const noexcept { return _application_server; }
    // The topic dead_letter records go to: errors.dead.letter.queue.topic.name when set,
    // else "<application.id>-dlq" when some handler is dead_letter, else "" (none is used).
    const std::string& dead_letter_topic() const noexcept { return _dead_letter_topic; }
    // shutdown.timeout.ms (Brook): how long close() waits for the threads; >= 0, default 30000.
    std::chrono::milliseconds shutdown_timeout() const noexcept { return _shutdown_timeout; }
    // broker.wait.timeout.ms (Brook): how long the application waits for an unreachable
    // broker before it moves to ERROR; >= 0, default 60000.
    std::chrono::milliseconds broker_wait_timeout() const noexcept { return _broker_wait_timeout; }
    // client.id: default application.id.
    const std::string& client_id() const noexcept { return _client_id; }

    // The librdkafka properties of each kind of client: Brook's defaults for that kind,
    // then bootstrap.servers, client.id and the client-wide keys, then the kind's prefixed
    // keys with the prefix stripped (so a prefixed key wins). group.id, transactional.id and
    // the like are left to the runtime.
    //   consumer: enable.auto.commit=false, auto.offset.reset=earliest,
    //             partition.assignment.strategy=cooperative-sticky, isolation.level =
    //             read_committed under exactly_once_v2, read_uncommitted otherwise.
    //   producer: linger.ms=5, enable.idempotence=true; under exactly_once_v2 also
    //             transaction.timeout.ms=60000 and message.timeout.ms=55000 (11/12 of the
    //             user's producer.transaction.timeout.ms when only that is set).
    //   restore consumer: like the consumer without group keys, always read_committed.
    kafka::client_config consumer_config() const { return _consumer; }
    kafka::client_config producer_config() const { return _producer; }
    kafka::client_config admin_config() const { return _admin; }
    kafka::client_config restore_consumer_config() const { return _restore_consumer; }

    // The keys and values the user gave, before defaults.
    const std::map<std::string, std::string>& originals() const noexcept { return _originals; }

    // Every effective setting as key=value lines, sorted by key: Brook's keys with their
    // defaults filled in, then each client's properties under its prefix (consumer.,
    // producer., admin., restore.consumer.). Secret values are shown as [hidden].
    std::string to_string() const;

private:
    // origins maps a key to where it came from ("file app.properties line 3"), for errors.
    streams_config(std::map<std::string, std::string> props,
                   const std::map<std::string, std::string>& origins);

    std::map<std::string, std::string> _originals;
    std::string _application_id;
    std::string _bootstrap_servers;
    int _num_stream_threads = 1;
    std::chrono::milliseconds _commit_interval{30000};
    std::chrono::milliseconds _repartition_purge_interval{30000};
    processing_guarantee _guarantee = processing_guarantee::at_least_once;
    std::filesystem::path _state_dir{"/tmp/brook-streams"};
    std::chrono::milliseconds _poll_timeout{100};
    int _replication_factor = -1;
    std::int64_t _cache_max_bytes = 10 * 1024 * 1024;
    std::int64_t _rocksdb_block_cache_bytes = 64LL << 20;
    std::int64_t _rocksdb_write_buffer_bytes = 64LL << 20;
    int _buffered_records_per_partition = 1000;
    std::chrono::milliseconds _max_task_idle{0};
    brook::topology_optimization _topology_optimization;
    deserialization_handler _on_deser_error = deserialization_handler::fail;
    error_handler _on_production_error = error_handler::fail;
    error_handler _on_processing_error = error_handler::fail;
    std::chrono::milliseconds _max_event_time_future{-1};
    std::chrono::milliseconds _stall_timeout{60000};
    int _num_standby_replicas = 0;
    std::int64_t _acceptable_recovery_lag = 10000;
    std::chrono::milliseconds _warmup_timeout{300000};
    std::string _group_instance_id;
    std::string _application_server;
    std::string _dead_letter_topic;
    std::chrono::milliseconds _shutdown_timeout{30000};
    std::chrono::milliseconds _broker_wait_timeout{60000};
    std::string _client_id;
    kafka::client_config _consumer;
    kafka::client_config _producer;
    kafka::client_config _admin;
    kafka::client_config _restore_consumer;
};

} // namespace brook
