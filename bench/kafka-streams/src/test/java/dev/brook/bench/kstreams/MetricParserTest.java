package dev.brook.bench.kstreams;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.brook.bench.kstreams.ParsedMetric.Invalid;
import dev.brook.bench.kstreams.ParsedMetric.Metric;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MetricParserTest {

    private static ParsedMetric parse(String json) {
        return MetricParser.parse(json.getBytes(StandardCharsets.UTF_8), 777);
    }

    @Test
    void normalisesAValidMetric() {
        Metric m = assertInstanceOf(Metric.class,
                parse("{\"name\":\" CPU.Usage \",\"host\":\"web-1\",\"value\":42,\"unit\":\" Percent \","
                        + "\"ts\":1000,\"tags\":{\"dc\":\"x\"}}"));
        assertEquals(new Metric("web-1", "cpu.usage", "ratio", 0.42, 1000), m);
    }

    @Test
    void recordTimestampWhenNoTs() {
        Metric m = assertInstanceOf(Metric.class, parse("{\"name\":\"a\",\"host\":\"h\",\"value\":1.5}"));
        assertEquals(777, m.ts());
        assertNull(m.unit());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "ms|s|0.25",
        "MS|s|0.25",
        "%|ratio|2.5",
        "bytes|bytes|250",
        " Bytes | Bytes |250",
    })
    void units(String unit, String expectedUnit, double expectedValue) {
        Metric m = assertInstanceOf(Metric.class,
                parse("{\"name\":\"n\",\"host\":\"h\",\"value\":250,\"unit\":\"" + unit + "\"}"));
        assertEquals(expectedUnit, m.unit());
        assertEquals(expectedValue, m.value(), 1e-12);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
        "not json|value is not valid JSON",
        "{\"name\":\"n\",\"host\":\"h\",\"value\":1} x|value is not valid JSON",
        "``|value is not valid JSON",
        "[1,2]|value is not a JSON object",
        "\"text\"|value is not a JSON object",
        "{\"host\":\"h\",\"value\":1}|missing field 'name'",
        "{\"name\":\"n\",\"value\":1}|missing field 'host'",
        "{\"name\":\"n\",\"host\":\"h\"}|missing field 'value'",
        "{\"name\":1,\"host\":\"h\",\"value\":1}|'name' and 'host' must be strings",
        "{\"name\":\"n\",\"host\":null,\"value\":1}|'name' and 'host' must be strings",
        "{\"name\":\"  \",\"host\":\"h\",\"value\":1}|'name' and 'host' must not be empty",
        "{\"name\":\"n\",\"host\":\"\",\"value\":1}|'name' and 'host' must not be empty",
        "{\"name\":\"n\",\"host\":\"h\",\"value\":\"1\"}|'value' must be a number",
        "{\"name\":\"n\",\"host\":\"h\",\"value\":1e999}|value is not valid JSON",
        "{\"name\":\"n\",\"host\":\"h\",\"value\":1,\"tags\":{\"x\":-1e999}}|value is not valid JSON",
        "{\"name\":\"n\",\"host\":\"h\",\"value\":1,\"ts\":-1}|'ts' must be non-negative epoch milliseconds",
        "{\"name\":\"n\",\"host\":\"h\",\"value\":1,\"ts\":1.5}|'ts' must be non-negative epoch milliseconds",
        "{\"name\":\"n\",\"host\":\"h\",\"value\":1,\"ts\":\"5\"}|'ts' must be non-negative epoch milliseconds",
        "{\"name\":\"n\",\"host\":\"h\",\"value\":1,\"ts\":9223372036854775808}|'ts' must be non-negative epoch milliseconds",
        "{\"name\":\"n\",\"host\":\"h\",\"value\":1,\"unit\":5}|'unit' must be a string",
        "{\"name\":\"n\",\"host\":\"h\",\"value\":1,\"tags\":[]}|'tags' must be an object",
        "{\"name\":\"n\",\"host\":\"h\",\"value\":1,\"tags\":null}|'tags' must be an object",
    })
    void rejects(String json, String reasonPrefix) {
        Invalid invalid = assertInstanceOf(Invalid.class, parse(json));
        assertTrue(invalid.error().startsWith(reasonPrefix), invalid.error());
        assertArrayEquals(json.getBytes(StandardCharsets.UTF_8), invalid.raw());
    }

    @Test
    void rejectsNull() {
        Invalid invalid = assertInstanceOf(Invalid.class, MetricParser.parse(null, 0));
        assertEquals("value is null", invalid.error());
        assertNull(invalid.raw());
    }

    @Test
    void serdesRoundTrip() {
        MetricKey key = new MetricKey("hôst", "a|b", "");
        assertEquals(key, MetricKey.SERDE.deserializer().deserialize("t",
                MetricKey.SERDE.serializer().serialize("t", key)));
        MetricStats stats = MetricStats.EMPTY.add(3).add(-1.5).add(10);
        byte[] bytes = MetricStats.SERDE.serializer().serialize("t", stats);
        assertEquals(32, bytes.length);
        assertEquals(new MetricStats(3, 11.5, -1.5, 10), MetricStats.SERDE.deserializer().deserialize("t", bytes));
    }
}
