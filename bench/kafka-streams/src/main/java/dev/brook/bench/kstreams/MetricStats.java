package dev.brook.bench.kstreams;

import java.nio.ByteBuffer;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/** One window's aggregate; stored as a fixed 32 bytes (count, sum, min, max). */
record MetricStats(long count, double sum, double min, double max) {

    static final MetricStats EMPTY = new MetricStats(0, 0, 0, 0);

    static final Serde<MetricStats> SERDE = Serdes.serdeFrom(
            (topic, stats) -> stats == null ? null : ByteBuffer.allocate(32)
                    .putLong(stats.count)
                    .putDouble(stats.sum)
                    .putDouble(stats.min)
                    .putDouble(stats.max)
                    .array(),
            (topic, bytes) -> {
                if (bytes == null) {
                    return null;
                }
                if (bytes.length != 32) {
                    throw new SerializationException("metric stats must be 32 bytes, got " + bytes.length);
                }
                ByteBuffer in = ByteBuffer.wrap(bytes);
                return new MetricStats(in.getLong(), in.getDouble(), in.getDouble(), in.getDouble());
            });

    MetricStats add(double value) {
        return count == 0
                ? new MetricStats(1, value, value, value)
                : new MetricStats(count + 1, sum + value, Math.min(min, value), Math.max(max, value));
    }

    double avg() {
        return count > 0 ? sum / count : 0.0;
    }
}
