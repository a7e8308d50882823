package dev.brook.bench.kstreams;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.brook.bench.kstreams.Options.NexmarkInput;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class OptionsTest {

    private static Options parse(String scenario, String input) {
        return Options.parse(new String[] {"--scenario", scenario, "--bootstrap-servers", "127.0.0.1:9092",
            "--application-id", "app", "--input", input, "--output", "out", "--guarantee", "at_least_once",
            "--commit-interval-ms", "1000", "--state-dir", "state"});
    }

    @Test
    void nexmarkScenariosTakeThreeTopics() {
        for (String q : new String[] {"q0", "q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "q11"}) {
            Options options = parse("nexmark-" + q, "persons,auctions,bids");
            assertEquals(new NexmarkInput("persons", "auctions", "bids"), options.nexmark());
        }
    }

    @Test
    void otherScenariosTakeOneTopic() {
        Options options = parse("passthrough", "a,b");
        assertEquals("a,b", options.input());
        assertNull(options.nexmark());
    }

    @ParameterizedTest
    @ValueSource(strings = {"bids", "persons,auctions", "persons,auctions,bids,more", "persons,,bids",
        ",auctions,bids", "persons,auctions,", ",,"})
    void nexmarkScenariosRefuseAnythingElse(String input) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> parse("nexmark-q4", input));
        assertTrue(e.getMessage().startsWith("--input of nexmark-q4 must be PERSONS,AUCTIONS,BIDS"), e.getMessage());
    }
}
