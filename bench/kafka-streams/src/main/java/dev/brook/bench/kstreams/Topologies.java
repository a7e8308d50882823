package dev.brook.bench.kstreams;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.brook.bench.kstreams.ParsedMetric.Invalid;
import dev.brook.bench.kstreams.ParsedMetric.Metric;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.EmitStrategy;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.JoinWindows;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.StreamJoined;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.processor.api.ContextualFixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.WindowStore;

/** The benchmark scenarios, each the same work as its Brook counterpart. */
final class Topologies {

    static final String METRICS_STORE = "metrics-windows";
    static final String WINDOWED_COUNT_STORE = "windowed-counts";
    static final String COUNT_STORE = "counts";

    private static final ObjectMapper JSON = new ObjectMapper();

    private Topologies() {}

    /** {@code config} is the application's: building with it applies topology.optimization. */
    static Topology build(Options options, Properties config) {
        StreamsBuilder builder = new StreamsBuilder();
        switch (options.scenario()) {
            case PASSTHROUGH -> passthrough(builder, options);
            case METRICS -> metrics(builder, options);
            case WINDOWED_COUNT -> windowedCount(builder, options);
            case COUNT -> count(builder, options);
            case STREAM_TABLE_JOIN -> streamTableJoin(builder, options);
            case STREAM_STREAM_JOIN -> streamStreamJoin(builder, options);
            case NEXMARK_Q0 -> Nexmark.q0(builder, options);
            case NEXMARK_Q1 -> Nexmark.q1(builder, options);
            case NEXMARK_Q2 -> Nexmark.q2(builder, options);
            case NEXMARK_Q3 -> NexmarkJoins.q3(builder, options);
            case NEXMARK_Q4 -> NexmarkJoins.q4(builder, options);
            case NEXMARK_Q5 -> Nexmark.q5(builder, options);
            case NEXMARK_Q6 -> NexmarkJoins.q6(builder, options);
            case NEXMARK_Q7 -> Nexmark.q7(builder, options);
            case NEXMARK_Q8 -> NexmarkJoins.q8(builder, options);
            case NEXMARK_Q11 -> Nexmark.q11(builder, options);
        }
        return builder.build(config);
    }

    /** Bytes in, the same bytes out. */
    static void passthrough(StreamsBuilder builder, Options options) {
        builder.stream(options.input(), Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()))
                .to(options.output(), Produced.with(Serdes.ByteArray(), Serdes.ByteArray()));
    }

    /**
     * JSON metrics are validated (invalid records go unchanged to the dead-letter topic with
     * an "error" header), normalised, re-keyed by (host, name, unit) — which repartitions —
     * and aggregated in tumbling event-time windows; each window's result is written once,
     * when it closes, as JSON keyed by host.
     */
    static void metrics(StreamsBuilder builder, Options options) {
        Map<String, KStream<byte[], ParsedMetric>> branches = builder
                .stream(options.input(), Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()))
                .processValues(ParseMetric::new, Named.as("parse-metric"))
                .split(Named.as("metrics-"))
                .branch((key, parsed) -> parsed instanceof Metric, Branched.as("valid"))
                .defaultBranch(Branched.as("invalid"));

        branches.get("metrics-valid")
                .map((key, parsed) -> {
                    Metric m = (Metric) parsed;
                    return KeyValue.pair(new MetricKey(m.host(), m.name(), m.unit() == null ? "" : m.unit()),
                            m.value());
                }, Named.as("key-by-host-name-unit"))
                .groupByKey(Grouped.with("metrics-by-host-name", MetricKey.SERDE, Serdes.Double()))
                .windowedBy(TimeWindows.ofSizeAndGrace(
                        Duration.ofMillis(options.windowMs()), Duration.ofMillis(options.graceMs())))
                .emitStrategy(EmitStrategy.onWindowClose())
                .aggregate(
                        () -> MetricStats.EMPTY,
                        (key, value, stats) -> stats.add(value),
                        Named.as("metrics-aggregate"),
                        Materialized.<MetricKey, MetricStats, WindowStore<Bytes, byte[]>>as(METRICS_STORE)
                                .withKeySerde(MetricKey.SERDE)
                                .withValueSerde(MetricStats.SERDE))
                .toStream(Named.as("metrics-results"))
                .map((window, stats) -> KeyValue.pair(window.key().host(), toJson(window, stats)),
                        Named.as("metrics-to-json"))
                .to(options.output(), Produced.with(Serdes.String(), Serdes.ByteArray()));

        branches.get("metrics-invalid")
                .processValues(DeadLetter::new, Named.as("dead-letter"))
                .to(options.dlq(), Produced.with(Serdes.ByteArray(), Serdes.ByteArray()));
    }

    /** Counts per String key in tumbling windows; results as the cache lets updates through. */
    static void windowedCount(StreamsBuilder builder, Options options) {
        // Values are not looked at, so they are not decoded.
        builder.stream(options.input(), Consumed.with(Serdes.String(), Serdes.ByteArray()))
                .groupByKey()
                .windowedBy(TimeWindows.ofSizeAndGrace(
                        Duration.ofMillis(options.windowMs()), Duration.ofMillis(options.graceMs())))
                .count(Materialized.as(WINDOWED_COUNT_STORE))
                .toStream((window, count) -> window.key())
                .mapValues(Topologies::decimal)
                .to(options.output(), Produced.with(Serdes.String(), Serdes.String()));
    }

    /** Counts per String key in a key-value store with a changelog (the restore scenario). */
    static void count(StreamsBuilder builder, Options options) {
        builder.stream(options.input(), Consumed.with(Serdes.String(), Serdes.ByteArray()))
                .groupByKey()
                .count(Materialized.<String, Long, KeyValueStore<Bytes, byte[]>>as(COUNT_STORE))
                .toStream()
                .mapValues(Topologies::decimal)
                .to(options.output(), Produced.with(Serdes.String(), Serdes.String()));
    }

    /** Each record joined with its key's row of "<input>-table"; the result is a length. */
    static void streamTableJoin(StreamsBuilder builder, Options options) {
        KTable<String, byte[]> table = builder.table(options.input() + "-table",
                Consumed.with(Serdes.String(), Serdes.ByteArray()));
        builder.stream(options.input(), Consumed.with(Serdes.String(), Serdes.ByteArray()))
                .join(table, (value, row) -> Integer.toString(value.length + row.length))
                .to(options.output(), Produced.with(Serdes.String(), Serdes.String()));
    }

    /** Each record joined with "<input>-right" records of its key within 1 s (no grace). */
    static void streamStreamJoin(StreamsBuilder builder, Options options) {
        KStream<String, byte[]> right = builder.stream(options.input() + "-right",
                Consumed.with(Serdes.String(), Serdes.ByteArray()));
        builder.stream(options.input(), Consumed.with(Serdes.String(), Serdes.ByteArray()))
                .join(right, (l, r) -> Integer.toString(l.length + r.length),
                        JoinWindows.ofTimeDifferenceWithNoGrace(Duration.ofSeconds(1)),
                        StreamJoined.with(Serdes.String(), Serdes.ByteArray(), Serdes.ByteArray()))
                .to(options.output(), Produced.with(Serdes.String(), Serdes.String()));
    }

    private static String decimal(Long count) {
        return count == null ? null : Long.toString(count);
    }

    static byte[] toJson(Windowed<MetricKey> window, MetricStats stats) {
        if (stats == null) {
            return null;
        }
        MetricKey key = window.key();
        ObjectNode json = JSON.createObjectNode()
                .put("host", key.host())
                .put("name", key.name());
        if (key.unit().isEmpty()) {
            json.putNull("unit");
        } else {
            json.put("unit", key.unit());
        }
        json.put("window_start", window.window().start())
                .put("window_end", window.window().end())
                .put("count", stats.count())
                .put("sum", stats.sum())
                .put("min", stats.min())
                .put("max", stats.max())
                .put("avg", stats.avg());
        try {
            return JSON.writeValueAsBytes(json);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write a metrics result as JSON", e);
        }
    }

    /** Parses each value; a valid metric's event time ("ts") becomes the record's timestamp. */
    static final class ParseMetric extends ContextualFixedKeyProcessor<byte[], byte[], ParsedMetric> {
        @Override
        public void process(FixedKeyRecord<byte[], byte[]> record) {
            ParsedMetric parsed = MetricParser.parse(record.value(), record.timestamp());
            if (parsed instanceof Metric metric) {
                context().forward(record.withValue(parsed).withTimestamp(metric.ts()));
            } else {
                context().forward(record.withValue(parsed));
            }
        }
    }

    /** The input value as it came, with an "error" header that says why it was rejected. */
    static final class DeadLetter extends ContextualFixedKeyProcessor<byte[], ParsedMetric, byte[]> {
        @Override
        public void process(FixedKeyRecord<byte[], ParsedMetric> record) {
            Invalid invalid = (Invalid) record.value();
            Headers headers = new RecordHeaders(record.headers().toArray());
            headers.remove("error");
            headers.add("error", invalid.error().getBytes(StandardCharsets.UTF_8));
            context().forward(record.withValue(invalid.raw()).withHeaders(headers));
        }
    }
}
