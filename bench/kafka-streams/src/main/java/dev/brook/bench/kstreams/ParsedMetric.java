package dev.brook.bench.kstreams;

/** One input record of the metrics scenario after parsing: a valid metric, or why not. */
sealed interface ParsedMetric {

    /**
     * A valid, normalised metric: name trimmed and lower-cased, "ms" turned into "s" and
     * "percent"/"%" into "ratio" with the value scaled to match. {@code unit} is null when
     * the record has none.
     */
    record Metric(String host, String name, String unit, double value, long ts) implements ParsedMetric {}

    /** A record that goes to the dead-letter topic: {@code raw} is the value as it came. */
    record Invalid(String error, byte[] raw) implements ParsedMetric {}
}
