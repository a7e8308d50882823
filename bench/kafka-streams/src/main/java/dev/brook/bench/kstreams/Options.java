package dev.brook.bench.kstreams;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The command line the harness passes (the Brook side takes the same one):
 *
 * <pre>
 * --scenario passthrough|metrics|windowed-count|count|stream-table-join|stream-stream-join
 *     |nexmark-q0|nexmark-q1|nexmark-q2|nexmark-q3|nexmark-q4|nexmark-q5|nexmark-q6|nexmark-q7
 *     |nexmark-q8|nexmark-q11 --bootstrap-servers HOST:PORT
 * --application-id ID --input TOPIC --output TOPIC [--dlq TOPIC]
 * --guarantee at_least_once|exactly_once_v2 --commit-interval-ms N --state-dir DIR
 * [--window-ms 60000] [--grace-ms 10000] [--threads 1] [--standbys 0]
 * [--session-timeout-ms 45000]
 * </pre>
 *
 * The Nexmark scenarios take {@code --input PERSONS,AUCTIONS,BIDS}: their three input topics,
 * in that order ({@link #nexmark()}); each query reads the ones it needs. Both
 * {@code --name value} and {@code --name=value} are accepted.
 */
record Options(
        Scenario scenario,
        String bootstrapServers,
        String applicationId,
        String input,
        NexmarkInput nexmark,
        String output,
        String dlq,
        String guarantee,
        long commitIntervalMs,
        String stateDir,
        long windowMs,
        long graceMs,
        int threads,
        int standbys,
        int sessionTimeoutMs) {

    enum Scenario {
        PASSTHROUGH("passthrough"),
        METRICS("metrics"),
        WINDOWED_COUNT("windowed-count"),
        COUNT("count"),
        STREAM_TABLE_JOIN("stream-table-join"),
        STREAM_STREAM_JOIN("stream-stream-join"),
        NEXMARK_Q0("nexmark-q0"),
        NEXMARK_Q1("nexmark-q1"),
        NEXMARK_Q2("nexmark-q2"),
        NEXMARK_Q3("nexmark-q3"),
        NEXMARK_Q4("nexmark-q4"),
        NEXMARK_Q5("nexmark-q5"),
        NEXMARK_Q6("nexmark-q6"),
        NEXMARK_Q7("nexmark-q7"),
        NEXMARK_Q8("nexmark-q8"),
        NEXMARK_Q11("nexmark-q11");

        final String cliName;

        Scenario(String cliName) {
            this.cliName = cliName;
        }

        /** Whether --input names the three Nexmark topics rather than one topic. */
        boolean nexmark() {
            return cliName.startsWith("nexmark-");
        }

        static Scenario of(String name) {
            for (Scenario s : values()) {
                if (s.cliName.equals(name)) {
                    return s;
                }
            }
            throw new IllegalArgumentException(
                    "--scenario must be passthrough, metrics, windowed-count, count, stream-table-join, "
                            + "stream-stream-join, nexmark-q0, nexmark-q1, nexmark-q2, nexmark-q3, nexmark-q4, "
                            + "nexmark-q5, nexmark-q6, nexmark-q7, nexmark-q8 or nexmark-q11, got '" + name + "'");
        }
    }

    static final String USAGE = "usage: run --scenario passthrough|metrics|windowed-count|count|stream-table-join"
            + "|stream-stream-join|nexmark-q0|nexmark-q1|nexmark-q2|nexmark-q3|nexmark-q4|nexmark-q5"
            + "|nexmark-q6|nexmark-q7|nexmark-q8|nexmark-q11"
            + " --bootstrap-servers HOST:PORT --application-id ID --input TOPIC|PERSONS,AUCTIONS,BIDS --output TOPIC"
            + " [--dlq TOPIC] --guarantee at_least_once|exactly_once_v2 --commit-interval-ms N"
            + " --state-dir DIR [--window-ms 60000] [--grace-ms 10000] [--threads 1]"
            + " [--standbys 0] [--session-timeout-ms 45000]";

    private static final List<String> REQUIRED = List.of("scenario", "bootstrap-servers",
            "application-id", "input", "output", "guarantee", "commit-interval-ms", "state-dir");
    private static final Set<String> OPTIONAL = Set.of("dlq", "window-ms", "grace-ms", "threads", "standbys",
            "session-timeout-ms");

    /** Throws IllegalArgumentException with a one-line reason when the arguments are wrong. */
    static Options parse(String[] args) {
        Map<String, String> values = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (!arg.startsWith("--") || arg.length() == 2) {
                throw new IllegalArgumentException("unexpected argument '" + arg + "'");
            }
            String name;
            String value;
            int eq = arg.indexOf('=');
            if (eq >= 0) {
                name = arg.substring(2, eq);
                value = arg.substring(eq + 1);
            } else {
                name = arg.substring(2);
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException("--" + name + " needs a value");
                }
                value = args[++i];
            }
            if (!REQUIRED.contains(name) && !OPTIONAL.contains(name)) {
                throw new IllegalArgumentException("unknown option --" + name);
            }
            if (values.put(name, value) != null) {
                throw new IllegalArgumentException("--" + name + " given twice");
            }
        }
        Scenario scenario = values.containsKey("scenario") ? Scenario.of(values.get("scenario")) : null;
        for (String name : REQUIRED) {
            if (values.getOrDefault(name, "").isEmpty()) {
                throw new IllegalArgumentException("--" + name + " is required");
            }
        }
        String guarantee = values.get("guarantee");
        if (!guarantee.equals("at_least_once") && !guarantee.equals("exactly_once_v2")) {
            throw new IllegalArgumentException(
                    "--guarantee must be at_least_once or exactly_once_v2, got '" + guarantee + "'");
        }
        String input = values.get("input");
        return new Options(
                scenario,
                values.get("bootstrap-servers"),
                values.get("application-id"),
                input,
                scenario.nexmark() ? NexmarkInput.parse(scenario, input) : null,
                values.get("output"),
                // The metrics scenario's dead-letter topic; Brook's default is named the same way.
                values.getOrDefault("dlq", input + ".dlq"),
                guarantee,
                number(values, "commit-interval-ms", null, 0),
                values.get("state-dir"),
                number(values, "window-ms", 60_000L, 1),
                number(values, "grace-ms", 10_000L, 0),
                (int) atMost(values, "threads", number(values, "threads", 1L, 1), 16),
                (int) atMost(values, "standbys", number(values, "standbys", 0L, 0), 16),
                (int) atMost(values, "session-timeout-ms",
                        number(values, "session-timeout-ms", 45_000L, 1), 3_600_000));
    }

    /**
     * The three input topics of a Nexmark scenario, from {@code --input PERSONS,AUCTIONS,BIDS}.
     * The Bid queries (q0, q1, q2, q5, q7, q11) read {@code bids}, q3 and q8 {@code persons}
     * and {@code auctions}, q4 and q6 {@code auctions} and {@code bids}.
     */
    record NexmarkInput(String persons, String auctions, String bids) {

        static NexmarkInput parse(Scenario scenario, String input) {
            String[] topics = input.split(",", -1);
            if (topics.length != 3 || Arrays.stream(topics).anyMatch(String::isEmpty)) {
                throw new IllegalArgumentException("--input of " + scenario.cliName
                        + " must be PERSONS,AUCTIONS,BIDS (three topic names separated by commas), got '"
                        + input + "'");
            }
            return new NexmarkInput(topics[0], topics[1], topics[2]);
        }
    }

    private static long atMost(Map<String, String> values, String name, long n, long max) {
        if (n > max) {
            throw new IllegalArgumentException("--" + name + " must be at most " + max + ", got " + n);
        }
        return n;
    }

    private static long number(Map<String, String> values, String name, Long fallback, long min) {
        String text = values.get(name);
        if (text == null) {
            return fallback;
        }
        long n;
        try {
            n = Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + " must be an integer, got '" + text + "'");
        }
        if (n < min) {
            throw new IllegalArgumentException("--" + name + " must be at least " + min + ", got " + n);
        }
        return n;
    }
}
