package dev.brook.bench.kstreams;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import dev.brook.bench.kstreams.Nexmark.AuctionCount;
import dev.brook.bench.kstreams.Nexmark.HighestBid;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class BidTest {

    private static final String VALID = "{\"auction\":1003,\"bidder\":1017,\"price\":2513,\"channel\":\"Google\","
            + "\"url\":\"https://www.nexmark.com/abc/def/item.htm?query=1\",\"dateTime\":1765000000123,"
            + "\"extra\":\"xxxx\"}";

    private static Bid read(String json) {
        return Bid.SERDE.deserializer().deserialize("t", json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void readsAndWritesTheSevenFields() throws Exception {
        Bid bid = read(VALID);
        assertEquals(new Bid(1003, 1017, 2513, "Google", "https://www.nexmark.com/abc/def/item.htm?query=1",
                1765000000123L, "xxxx"), bid);
        JsonNode written = Bid.JSON.readTree(Bid.SERDE.serializer().serialize("t", bid));
        assertEquals(Bid.JSON.readTree(VALID), written);
        assertEquals(1765000000123L, written.get("dateTime").longValue());
    }

    @Test
    void ignoresFieldsABidDoesNotHave() {
        assertEquals(read(VALID), read(VALID.replace("}", ",\"other\":[1]}")));
    }

    @Test
    void nullStaysNull() {
        assertNull(Bid.SERDE.deserializer().deserialize("t", null));
        assertNull(Bid.SERDE.serializer().serialize("t", null));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "not json",
        "",
        "null",
        "[1,2]",
        "{\"auction\":1003}",
        "{\"auction\":1003,\"bidder\":1017,\"price\":2513,\"channel\":\"Google\",\"url\":\"u\",\"dateTime\":1}",
        "{\"auction\":1003.5,\"bidder\":1017,\"price\":2513,\"channel\":\"G\",\"url\":\"u\",\"dateTime\":1,\"extra\":\"\"}",
        "{\"auction\":\"1003\",\"bidder\":1017,\"price\":2513,\"channel\":\"G\",\"url\":\"u\",\"dateTime\":1,\"extra\":\"\"}",
        "{\"auction\":1003,\"bidder\":1017,\"price\":2513,\"channel\":7,\"url\":\"u\",\"dateTime\":1,\"extra\":\"\"}",
        "{\"auction\":1003,\"bidder\":1017,\"price\":2513,\"channel\":null,\"url\":\"u\",\"dateTime\":1,\"extra\":\"\"}",
        "{\"auction\":null,\"bidder\":1017,\"price\":2513,\"channel\":\"G\",\"url\":\"u\",\"dateTime\":1,\"extra\":\"\"}",
        "{\"auction\":true,\"bidder\":1017,\"price\":2513,\"channel\":\"G\",\"url\":\"u\",\"dateTime\":1,\"extra\":\"\"}",
        "{\"auction\":1003,\"bidder\":1017,\"price\":2513,\"channel\":\"G\",\"url\":false,\"dateTime\":1,\"extra\":\"\"}",
        "{\"auction\":1003,\"bidder\":1017,\"price\":2513,\"channel\":\"G\",\"url\":\"u\",\"dateTime\":1,\"extra\":{}}",
        "{\"auction\":1e3,\"bidder\":1017,\"price\":2513,\"channel\":\"G\",\"url\":\"u\",\"dateTime\":1,\"extra\":\"\"}",
        "{\"auction\":99999999999999999999,\"bidder\":1,\"price\":2,\"channel\":\"G\",\"url\":\"u\",\"dateTime\":1,"
                + "\"extra\":\"\"}",
        "{\"auction\":1,\"auction\":2,\"bidder\":1,\"price\":2,\"channel\":\"G\",\"url\":\"u\",\"dateTime\":1,"
                + "\"extra\":\"\"}",
        "{\"auction\":1,\"bidder\":1,\"price\":2,\"channel\":\"G\",\"url\":\"u\",\"dateTime\":1,\"extra\":\"\"} {}",
    })
    void rejectsWhatIsNotABid(String json) {
        assertThrows(SerializationException.class, () -> read(json));
    }

    @Test
    void resultsAreWrittenWithTheirFieldNames() throws Exception {
        assertEquals(Bid.JSON.readTree("{\"auction\":5,\"num\":7}"),
                Bid.JSON.readTree(Bid.json(new AuctionCount(5, 7))));
        assertEquals(Bid.JSON.readTree("{\"auction\":1,\"bidder\":2,\"price\":3,\"dateTime\":4}"),
                Bid.JSON.readTree(Bid.json(new HighestBid(1, 2, 3, 4))));
    }

    @Test
    void hotterHasMoreBidsThenTheLowerAuction() {
        AuctionCount a = new AuctionCount(10, 3);
        AuctionCount b = new AuctionCount(5, 3);
        AuctionCount c = new AuctionCount(20, 4);
        assertSame(b, AuctionCount.hotter(a, b));
        assertSame(b, AuctionCount.hotter(b, a));
        assertSame(c, AuctionCount.hotter(b, c));
        assertEquals(c, AuctionCount.SERDE.deserializer().deserialize("t",
                AuctionCount.SERDE.serializer().serialize("t", c)));
    }

    @Test
    void highestBidOrdersByPriceThenAuctionBidderAndTime() {
        HighestBid h = HighestBid.NONE.max(new Bid(7, 8, 100, "c", "u", 50, "e"));
        assertEquals(new HighestBid(7, 8, 100, 50), h);
        assertEquals(new HighestBid(9, 1, 101, 60), h.max(new Bid(9, 1, 101, "c", "u", 60, "e")));
        assertEquals(new HighestBid(6, 9, 100, 70), h.max(new Bid(6, 9, 100, "c", "u", 70, "e")));
        assertEquals(new HighestBid(7, 2, 100, 70), h.max(new Bid(7, 2, 100, "c", "u", 70, "e")));
        assertEquals(new HighestBid(7, 8, 100, 40), h.max(new Bid(7, 8, 100, "c", "u", 40, "e")));
        assertSame(h, h.max(new Bid(7, 8, 100, "c", "u", 60, "e")));
        assertSame(h, h.max(new Bid(8, 1, 100, "c", "u", 10, "e")));
        assertSame(h, h.max(new Bid(1, 1, 99, "c", "u", 10, "e")));
        assertEquals(h, HighestBid.SERDE.deserializer().deserialize("t",
                HighestBid.SERDE.serializer().serialize("t", h)));
    }
}
