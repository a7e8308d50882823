package dev.brook.bench.kstreams;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/**
 * What the metrics scenario aggregates by. {@code unit} is "" when the metric has none.
 * Serialised as three length-prefixed UTF-8 strings, so no two keys share bytes.
 */
record MetricKey(String host, String name, String unit) {

    static final Serde<MetricKey> SERDE = Serdes.serdeFrom(
            (topic, key) -> key == null ? null : key.toBytes(),
            (topic, bytes) -> bytes == null ? null : fromBytes(bytes));

    byte[] toBytes() {
        byte[] h = host.getBytes(StandardCharsets.UTF_8);
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        byte[] u = unit.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(12 + h.length + n.length + u.length)
                .putInt(h.length).put(h)
                .putInt(n.length).put(n)
                .putInt(u.length).put(u)
                .array();
    }

    static MetricKey fromBytes(byte[] bytes) {
        ByteBuffer in = ByteBuffer.wrap(bytes);
        MetricKey key = new MetricKey(field(in), field(in), field(in));
        if (in.hasRemaining()) {
            throw new SerializationException("a metric key has bytes after its three fields");
        }
        return key;
    }

    private static String field(ByteBuffer in) {
        if (in.remaining() < 4) {
            throw new SerializationException("a metric key is cut short");
        }
        int length = in.getInt();
        if (length < 0 || length > in.remaining()) {
            throw new SerializationException("a metric key is cut short");
        }
        String s = new String(in.array(), in.position(), length, StandardCharsets.UTF_8);
        in.position(in.position() + length);
        return s;
    }
}
