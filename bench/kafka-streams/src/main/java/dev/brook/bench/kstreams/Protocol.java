package dev.brook.bench.kstreams;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * The lines the benchmark harness reads from stdout, one event per line, flushed at once:
 *
 * <pre>
 * STATE &lt;KafkaStreams.State&gt;              on every state change
 * RESTORED &lt;store&gt; &lt;records&gt; &lt;millis&gt;   when a store partition finishes restoring
 * ERROR &lt;message&gt;                          on a fatal error (the exit status is then non-zero)
 * EXIT                                     last, just before the process exits
 * </pre>
 *
 * Nothing else may reach stdout: {@link #claimStdout()} points {@code System.out} at stderr
 * so that a library printing to it cannot break a line.
 */
final class Protocol {
    private static PrintStream out = System.out;

    private Protocol() {}

    static synchronized void claimStdout() {
        out = new PrintStream(new FileOutputStream(FileDescriptor.out), false, StandardCharsets.UTF_8);
        System.setOut(System.err);
    }

    static synchronized void line(String text) {
        out.print(text);
        out.print('\n');
        out.flush();
    }

    static void state(Object newState) {
        line("STATE " + newState);
    }

    static void restored(String store, long records, long millis) {
        line("RESTORED " + store + " " + records + " " + millis);
    }

    /** One line, whatever the message holds. */
    static void error(String message) {
        line("ERROR " + message.replaceAll("\\s+", " ").trim());
    }

    static void exit() {
        line("EXIT");
    }
}
