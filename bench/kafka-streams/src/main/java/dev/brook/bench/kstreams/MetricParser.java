package dev.brook.bench.kstreams;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NumericNode;
import com.fasterxml.jackson.databind.node.ValueNode;
import dev.brook.bench.kstreams.ParsedMetric.Invalid;
import dev.brook.bench.kstreams.ParsedMetric.Metric;
import java.io.IOException;
import java.math.BigInteger;
import java.util.Locale;

/**
 * Parses and validates the metrics scenario's input values:
 * {@code {"name": string, "host": string, "value": number, "ts": epoch ms (optional),
 * "unit": string (optional), "tags": object (optional)}}.
 */
final class MetricParser {

    /**
     * A number that does not fit a double (1e999) makes the whole document invalid, as it
     * does for Brook's JSON parser: Jackson would otherwise read it as Infinity.
     */
    private static final class FiniteNumbers extends JsonNodeFactory {
        private static final long serialVersionUID = 1L;

        @Override
        public NumericNode numberNode(double v) {
            if (!Double.isFinite(v)) {
                throw new NumberOverflow();
            }
            return super.numberNode(v);
        }

        @Override
        public ValueNode numberNode(BigInteger v) {
            if (v != null && !Double.isFinite(v.doubleValue())) {
                throw new NumberOverflow();
            }
            return super.numberNode(v);
        }
    }

    private static final class NumberOverflow extends RuntimeException {
        private static final long serialVersionUID = 1L;

        NumberOverflow() {
            super("a number is out of the range of a double", null, false, false);
        }
    }

    // Strict JSON: nothing may follow the document ("{} x" is not JSON).
    private static final ObjectReader READER = JsonMapper.builder()
            .nodeFactory(new FiniteNumbers())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build()
            .reader();

    private MetricParser() {}

    /** {@code recordTimestamp} is the event time when the value has no "ts". */
    static ParsedMetric parse(byte[] raw, long recordTimestamp) {
        if (raw == null) {
            return new Invalid("value is null", null);
        }
        JsonNode doc;
        try {
            doc = READER.readTree(raw);
        } catch (IOException | RuntimeException e) {
            return new Invalid("value is not valid JSON: " + reason(e), raw);
        }
        if (doc == null || doc.isMissingNode()) { // empty or blank input
            return new Invalid("value is not valid JSON: no content", raw);
        }
        if (!doc.isObject()) {
            return new Invalid("value is not a JSON object", raw);
        }
        JsonNode name = doc.get("name");
        JsonNode host = doc.get("host");
        JsonNode value = doc.get("value");
        if (name == null) {
            return new Invalid("missing field 'name'", raw);
        }
        if (host == null) {
            return new Invalid("missing field 'host'", raw);
        }
        if (value == null) {
            return new Invalid("missing field 'value'", raw);
        }
        if (!name.isTextual() || !host.isTextual()) {
            return new Invalid("'name' and 'host' must be strings", raw);
        }
        if (!value.isNumber()) {
            return new Invalid("'value' must be a number", raw);
        }
        String nameText = name.textValue();
        String hostText = host.textValue();
        if (nameText.isBlank() || hostText.isBlank()) {
            return new Invalid("'name' and 'host' must not be empty", raw);
        }
        long ts = recordTimestamp;
        JsonNode tsNode = doc.get("ts");
        if (tsNode != null) {
            if (!tsNode.isIntegralNumber() || !tsNode.canConvertToLong() || tsNode.longValue() < 0) {
                return new Invalid("'ts' must be non-negative epoch milliseconds", raw);
            }
            ts = tsNode.longValue();
        }
        JsonNode unitNode = doc.get("unit");
        if (unitNode != null && !unitNode.isTextual()) {
            return new Invalid("'unit' must be a string", raw);
        }
        JsonNode tags = doc.get("tags");
        if (tags != null && !tags.isObject()) {
            return new Invalid("'tags' must be an object", raw);
        }
        return normalise(hostText, nameText, unitNode == null ? null : unitNode.textValue(),
                value.doubleValue(), ts);
    }

    static Metric normalise(String host, String name, String unit, double value, long ts) {
        String normalisedName = name.strip().toLowerCase(Locale.ROOT);
        if (unit != null) {
            switch (unit.strip().toLowerCase(Locale.ROOT)) {
                case "ms" -> {
                    unit = "s";
                    value /= 1000.0;
                }
                case "percent", "%" -> {
                    unit = "ratio";
                    value /= 100.0;
                }
                default -> {} // any other unit passes through as written
            }
        }
        return new Metric(host, normalisedName, unit, value, ts);
    }

    private static String reason(Throwable e) {
        Throwable cause = e;
        while (!(cause instanceof NumberOverflow) && cause.getCause() != null) {
            cause = cause.getCause();
        }
        if (cause instanceof NumberOverflow) {
            return cause.getMessage();
        }
        String message = e instanceof com.fasterxml.jackson.core.JsonProcessingException j
                ? j.getOriginalMessage()
                : e.getMessage();
        return message == null ? e.getClass().getSimpleName() : message;
    }
}
