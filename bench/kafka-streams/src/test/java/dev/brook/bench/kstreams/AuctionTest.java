package dev.brook.bench.kstreams;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class AuctionTest {

    static final String VALID = "{\"id\":1003,\"itemName\":\"lamp\",\"description\":\"a lamp\",\"initialBid\":100,"
            + "\"reserve\":150,\"dateTime\":1765000000123,\"expires\":1765000010123,\"seller\":1001,"
            + "\"category\":10,\"extra\":\"xx\"}";

    private static Auction read(String json) {
        return Auction.SERDE.deserializer().deserialize("t", json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void readsAndWritesTheTenFields() throws Exception {
        Auction auction = read(VALID);
        assertEquals(new Auction(1003, "lamp", "a lamp", 100, 150, 1765000000123L, 1765000010123L, 1001, 10, "xx"),
                auction);
        assertEquals(Bid.JSON.readTree(VALID), Bid.JSON.readTree(Auction.SERDE.serializer().serialize("t", auction)));
    }

    @Test
    void ignoresFieldsAnAuctionDoesNotHave() {
        assertEquals(read(VALID), read(VALID.replace("{", "{\"bidder\":5,\"other\":null,")));
    }

    @Test
    void acceptsTheExtremesOfALong() {
        Auction auction = read(VALID.replace("\"reserve\":150", "\"reserve\":-9223372036854775808")
                .replace("\"initialBid\":100", "\"initialBid\":9223372036854775807"));
        assertEquals(Long.MIN_VALUE, auction.reserve());
        assertEquals(Long.MAX_VALUE, auction.initialBid());
    }

    @Test
    void nullStaysNull() {
        assertNull(Auction.SERDE.deserializer().deserialize("t", null));
        assertNull(Auction.SERDE.serializer().serialize("t", null));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "not json",
        "",
        "null",
        "\"auction\"",
        "{}",
        PersonTest.VALID,
        "{\"auction\":1003,\"bidder\":1017,\"price\":2513,\"channel\":\"Google\",\"url\":\"u\","
                + "\"dateTime\":1765000000123,\"extra\":\"\"}",
    })
    void rejectsWhatIsNotAnAuction(String json) {
        assertThrows(SerializationException.class, () -> read(json));
    }

    /** Each field missing, null, of the wrong type or given twice: refused, naming the field. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "\"id\":1003,|",
        "\"id\":1003|\"id\":null",
        "\"id\":1003|\"id\":\"1003\"",
        "\"id\":1003|\"id\":1003.0",
        "\"id\":1003|\"id\":1003,\"id\":1003",
        "\"itemName\":\"lamp\",|",
        "\"itemName\":\"lamp\"|\"itemName\":1",
        "\"description\":\"a lamp\"|\"description\":null",
        "\"initialBid\":100|\"initialBid\":\"100\"",
        "\"reserve\":150|\"reserve\":1.5e2",
        "\"dateTime\":1765000000123,|",
        "\"expires\":1765000010123|\"expires\":true",
        "\"expires\":1765000010123|\"expires\":9223372036854775808",
        "\"seller\":1001|\"seller\":[1001]",
        "\"category\":10|\"category\":\"10\"",
        "\"category\":10|\"category\":10,\"category\":11",
        ",\"extra\":\"xx\"|",
        "\"extra\":\"xx\"|\"extra\":{}",
    })
    void rejectsAFieldThatIsWrong(String field, String replacement) {
        String json = VALID.replace(field, replacement == null ? "" : replacement);
        SerializationException e = assertThrows(SerializationException.class, () -> read(json), json);
        String name = field.substring(field.indexOf('"') + 1, field.indexOf('"', field.indexOf('"') + 1));
        assertTrue(e.getMessage().startsWith("not an auction: "), e.getMessage());
        // Jackson names the field as 'name' (missing, duplicate) or as Type["name"] (its value).
        assertTrue(e.getMessage().contains("'" + name + "'") || e.getMessage().contains("[\"" + name + "\"]"),
                e.getMessage());
    }
}
