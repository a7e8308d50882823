package dev.brook.bench.kstreams;

import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.CloseOptions.GroupMembershipOperation;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.LogAndContinueExceptionHandler;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;

/**
 * Runs one benchmark scenario on Kafka Streams until SIGTERM (or SIGINT), reporting on
 * stdout as {@link Protocol} describes. Exit status: 0 after a clean shutdown, 1 after an
 * error, 2 for a bad command line.
 */
public final class Main {

    /** How long close() may take on shutdown: under exactly_once_v2 it commits a transaction. */
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);

    /**
     * Close within CLOSE_TIMEOUT and leave the consumer group, as Brook's consumer
     * (librdkafka) does. Kafka Streams stays in the group by default, so a restarted instance
     * waits for the old member's session to time out (45 s) before its first rebalance
     * completes, which would swamp the restore timings (measured on 3.9: RUNNING 45.1 s after
     * a restart, 1.6 s when leaving). Kafka Streams 4.x closes its main consumer with an
     * explicit group membership operation, so this is the only way to leave: the
     * internal.leave.group.on.close consumer setting 3.x honoured is gone. (Static
     * membership is the alternative; it needs a stable group.instance.id per instance,
     * which the harness does not provide.)
     */
    static final CloseOptions CLOSE_OPTIONS = CloseOptions.timeout(CLOSE_TIMEOUT)
            .withGroupMembershipOperation(GroupMembershipOperation.LEAVE_GROUP);

    private final Options options;
    private final CountDownLatch stopRequested = new CountDownLatch(1);
    private final CountDownLatch finished = new CountDownLatch(1);
    // Kafka Streams calls the state listener after close() has seen the final state; EXIT
    // must come after the last STATE line.
    private final CountDownLatch lastStateReported = new CountDownLatch(1);
    private final AtomicReference<String> failure = new AtomicReference<>();
    private volatile boolean shuttingDown;
    private volatile int exitStatus;

    private Main(Options options) {
        this.options = options;
    }

    public static void main(String[] args) {
        Protocol.claimStdout();
        Options options;
        try {
            options = Options.parse(args);
        } catch (IllegalArgumentException e) {
            Protocol.error(e.getMessage());
            Protocol.exit();
            System.err.println(Options.USAGE);
            System.exit(2);
            return;
        }
        new Main(options).run();
    }

    /**
     * The settings the harness matches on the Brook side, and topology.optimization. Everything
     * else is Kafka Streams' default (RocksDB stores, changelogs on, acks=all, no compression,
     * the other fetch settings). Leaving the group on close is in {@link #CLOSE_OPTIONS}.
     */
    static Properties config(Options options) {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, options.applicationId());
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, options.bootstrapServers());
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, options.guarantee());
        props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, options.commitIntervalMs());
        props.put(StreamsConfig.STATE_DIR_CONFIG, options.stateDir());
        props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, options.threads());
        // The failover runs set these on both systems alike (Kafka Streams' defaults: no
        // standby, a 45 s session).
        props.put(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, options.standbys());
        props.put(StreamsConfig.consumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG),
                options.sessionTimeoutMs());
        // One broker: internal topics (changelogs, repartition topics) get one replica.
        props.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, 1);
        // Every DSL optimization. They are off by default only so that existing applications
        // keep their internal topics; a new one has none to keep. Of the scenarios only
        // stream-table-join changes: its table's store uses the table topic itself as its
        // changelog instead of a changelog topic that copies every table record. The other
        // topologies (repartitions in metrics and the Nexmark queries, each read by one
        // operator only; no self-join; no source table) come out unchanged but for the
        // numbering of the Nexmark joins' sub-topologies. Outputs are the same either way.
        // Applied by builder.build(props).
        props.put(StreamsConfig.TOPOLOGY_OPTIMIZATION_CONFIG, StreamsConfig.OPTIMIZE);
        // The record cache in front of the stores: 10 MiB, Kafka Streams' default, stated here
        // because Brook's cache is set to the same size.
        props.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 10 * 1024 * 1024L);
        // Every operator names its serdes; these defaults are never used.
        props.put(StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG, Serdes.ByteArraySerde.class);
        props.put(StreamsConfig.DEFAULT_VALUE_SERDE_CLASS_CONFIG, Serdes.ByteArraySerde.class);
        // A record whose key or value does not deserialize is logged and skipped rather than
        // stopping the application (the default). Of the input serdes only the Nexmark
        // scenarios' (Bid, Person and Auction) can fail: values that are not such events are
        // dropped this way. The other scenarios read bytes or strings (metrics parses in a
        // step of its own).
        props.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG,
                LogAndContinueExceptionHandler.class);
        // Producer: linger.ms=5 (Kafka Streams' own default is 100) and 128 KiB batches
        // (the client default is 16 KiB); the harness sets Brook's producer the same way.
        props.put(StreamsConfig.producerPrefix(ProducerConfig.LINGER_MS_CONFIG), 5);
        props.put(StreamsConfig.producerPrefix(ProducerConfig.BATCH_SIZE_CONFIG), 131072);
        // Consumer: up to 1000 records per poll. That is what Kafka Streams already sets
        // (the plain consumer's default is 500); stated so the harness can match it.
        props.put(StreamsConfig.consumerPrefix(ConsumerConfig.MAX_POLL_RECORDS_CONFIG), 1000);
        // The main consumer waits at most 100 ms for a fetch to fill (the client default is
        // 500): Brook's default for its own main consumer, matched here.
        props.put(StreamsConfig.mainConsumerPrefix(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG), 100);
        // Windowed aggregations with emitStrategy(onWindowClose()) look for closed windows at
        // most once a second of wall-clock time: Kafka Streams' default, which is what its
        // users run. Looking after every record (0, as Brook does) turns each record into a
        // store range scan and cut this app to ~2,500 records/s; the bench does not handicap
        // Kafka Streams that way. The default has a cost of its own, seen while writing this:
        // when event time runs ahead faster than size + grace per second and the record
        // cache has evicted them, closed windows fall out of retention before they are
        // emitted (376,570 of 400,000 windows in one test). The bench's grace covers its
        // whole input, so that cannot happen there. -Dbrook.kstreams.emit.interval.ms=0
        // checks after every record.
        props.put(StreamsConfig.InternalConfig.EMIT_INTERVAL_MS_KSTREAMS_WINDOWED_AGGREGATION,
                Long.getLong("brook.kstreams.emit.interval.ms", 1000L));
        return props;
    }

    private void run() {
        // First, so that a SIGTERM at any point from here on still ends with EXIT.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            shuttingDown = true;
            stopRequested.countDown();
            try {
                finished.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            // Without halt() a SIGTERM'd JVM exits with 143 even after a clean shutdown.
            Runtime.getRuntime().halt(exitStatus);
        }, "brook-bench-shutdown"));

        KafkaStreams streams;
        try {
            Properties config = config(options);
            streams = new KafkaStreams(Topologies.build(options, config), config);
        } catch (RuntimeException e) {
            fail(describe(e));
            exit(1);
            return;
        }
        streams.setStateListener((newState, oldState) -> {
            Protocol.state(newState);
            if (newState == KafkaStreams.State.ERROR) {
                stopRequested.countDown();
            }
            if (newState.hasCompletedShutdown()) { // NOT_RUNNING or ERROR
                lastStateReported.countDown();
            }
        });
        streams.setGlobalStateRestoreListener(new RestoreReporter());
        streams.setUncaughtExceptionHandler(e -> {
            fail(describe(e));
            return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });

        try {
            if (!shuttingDown) {
                streams.start();
            }
            stopRequested.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            fail(describe(e));
        }
        if (streams.close(CLOSE_OPTIONS)) {
            try {
                lastStateReported.await(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        } else {
            fail("Kafka Streams did not shut down within " + CLOSE_TIMEOUT.toSeconds() + " s");
        }
        exit(failure.get() == null ? 0 : 1);
    }

    /** Prints EXIT and ends the process with {@code status}. */
    private void exit(int status) {
        exitStatus = status;
        Protocol.exit();
        finished.countDown();
        if (!shuttingDown) {
            System.exit(status);
        }
        // Otherwise the shutdown hook, waiting for `finished`, halts with exitStatus.
    }

    /** Reports the first fatal error only; later ones are usually its consequences. */
    private void fail(String message) {
        if (failure.compareAndSet(null, message)) {
            Protocol.error(message);
        }
    }

    /** The exception and its causes, on one line. */
    static String describe(Throwable e) {
        StringBuilder text = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (text.length() > 0) {
                text.append(": caused by ");
            }
            text.append(t.getClass().getSimpleName());
            if (t.getMessage() != null) {
                text.append(": ").append(t.getMessage());
            }
        }
        return text.toString();
    }
}
