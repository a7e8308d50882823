package dev.brook.bench.kstreams;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.brook.bench.kstreams.NexmarkJoins.AuctionSeller;
import dev.brook.bench.kstreams.NexmarkJoins.AuctionTimes;
import dev.brook.bench.kstreams.NexmarkJoins.BidPrice;
import dev.brook.bench.kstreams.NexmarkJoins.CategoryAverage;
import dev.brook.bench.kstreams.NexmarkJoins.LastAuctions;
import dev.brook.bench.kstreams.NexmarkJoins.LocalItem;
import dev.brook.bench.kstreams.NexmarkJoins.NewUser;
import dev.brook.bench.kstreams.NexmarkJoins.PersonPlace;
import dev.brook.bench.kstreams.NexmarkJoins.PriceSum;
import dev.brook.bench.kstreams.NexmarkJoins.SellerAverage;
import dev.brook.bench.kstreams.NexmarkJoins.SoldAuction;
import dev.brook.bench.kstreams.NexmarkJoins.WinningBid;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serde;
import org.junit.jupiter.api.Test;

class NexmarkJoinsTest {

    private static <T> T roundTrip(Serde<T> serde, T value) {
        return serde.deserializer().deserialize("t", serde.serializer().serialize("t", value));
    }

    /** Round trip, null stays null, and a byte more or less is refused. */
    private static <T> void checkFixedSize(Serde<T> serde, T value, int size) {
        byte[] bytes = serde.serializer().serialize("t", value);
        assertEquals(size, bytes.length);
        assertEquals(value, roundTrip(serde, value));
        assertNull(serde.serializer().serialize("t", null));
        assertNull(serde.deserializer().deserialize("t", null));
        assertThrows(SerializationException.class,
                () -> serde.deserializer().deserialize("t", Arrays.copyOf(bytes, size - 1)));
        assertThrows(SerializationException.class,
                () -> serde.deserializer().deserialize("t", Arrays.copyOf(bytes, size + 1)));
        assertThrows(SerializationException.class, () -> serde.deserializer().deserialize("t", new byte[0]));
    }

    @Test
    void fixedSizeValuesRoundTripAndRefuseOtherLengths() {
        checkFixedSize(AuctionSeller.SERDE, new AuctionSeller(1003, -7), 16);
        checkFixedSize(AuctionTimes.SERDE, new AuctionTimes(1, Long.MAX_VALUE, Long.MIN_VALUE, 10), 32);
        checkFixedSize(BidPrice.SERDE, new BidPrice(2513, 1765000000123L), 16);
        checkFixedSize(WinningBid.SERDE, new WinningBid(1001, 12, 1765000010123L, 99), 32);
        checkFixedSize(PriceSum.SERDE, new PriceSum(-5, 3), 16);
        checkFixedSize(SoldAuction.SERDE, new SoldAuction(5, 6, 7), 24);
    }

    @Test
    void aPersonsPlaceRoundTripsAndRefusesWhatIsCutOrLong() {
        PersonPlace place = new PersonPlace("Zoë Ångström", "", "OR");
        assertEquals(place, roundTrip(PersonPlace.SERDE, place));
        byte[] bytes = PersonPlace.SERDE.serializer().serialize("t", place);
        assertEquals(12 + "Zoë Ångström".getBytes(StandardCharsets.UTF_8).length + 2, bytes.length);
        for (int cut = 0; cut < bytes.length; cut++) {
            byte[] shorter = Arrays.copyOf(bytes, cut);
            assertThrows(SerializationException.class, () -> PersonPlace.SERDE.deserializer().deserialize("t", shorter));
        }
        assertThrows(SerializationException.class,
                () -> PersonPlace.SERDE.deserializer().deserialize("t", Arrays.copyOf(bytes, bytes.length + 1)));
        byte[] negative = bytes.clone();
        negative[0] = (byte) 0x80;
        assertThrows(SerializationException.class, () -> PersonPlace.SERDE.deserializer().deserialize("t", negative));
        assertNull(PersonPlace.SERDE.deserializer().deserialize("t", null));
    }

    @Test
    void aBidWinsOnlyWhileItsAuctionIsOpen() {
        AuctionTimes auction = new AuctionTimes(1000, 5000, 77, 12);
        assertNull(WinningBid.ifInTime(auction, new BidPrice(10, 999)));
        assertEquals(new WinningBid(77, 12, 5000, 10), WinningBid.ifInTime(auction, new BidPrice(10, 1000)));
        assertEquals(new WinningBid(77, 12, 5000, 11), WinningBid.ifInTime(auction, new BidPrice(11, 5000)));
        assertNull(WinningBid.ifInTime(auction, new BidPrice(10, 5001)));
    }

    @Test
    void theHigherPriceWinsAndATieKeepsTheOneHeld() {
        WinningBid held = new WinningBid(1, 10, 100, 50);
        assertSame(held, WinningBid.higher(held, new WinningBid(1, 10, 100, 50)));
        assertSame(held, WinningBid.higher(held, new WinningBid(1, 10, 100, 49)));
        WinningBid higher = new WinningBid(1, 10, 100, 51);
        assertSame(higher, WinningBid.higher(held, higher));
    }

    @Test
    void categoryAveragesTruncateTowardZeroAndWrapAround() {
        assertEquals(new CategoryAverage(10, 0, 0, 0), PriceSum.NONE.average(10));
        PriceSum sum = PriceSum.NONE.plus(10).plus(5).plus(6);
        assertEquals(new CategoryAverage(11, 7, 3, 21), sum.average(11));
        assertEquals(new CategoryAverage(11, 5, 2, 11), sum.minus(10).average(11));
        assertEquals(new CategoryAverage(12, -3, 2, -7), PriceSum.NONE.plus(-3).plus(-4).average(12));
        PriceSum wrapped = PriceSum.NONE.plus(Long.MAX_VALUE).plus(Long.MAX_VALUE);
        assertEquals(new CategoryAverage(13, -1, 2, -2), wrapped.average(13));
        assertEquals(PriceSum.NONE, wrapped.minus(Long.MAX_VALUE).minus(Long.MAX_VALUE));
    }

    @Test
    void theLastAuctionsKeepTheTenLatestByExpiryThenAuction() {
        LastAuctions last = LastAuctions.NONE;
        for (long i = 0; i < 12; i++) {
            last = last.with(new SoldAuction(1000 + i / 2, 200 - i, i));
        }
        assertEquals(10, last.auctions().size());
        // Latest first: expiry 1005 (auctions 190, 189), 1004 (192, 191), ... 1001 (198, 197);
        // both of expiry 1000 are out.
        assertEquals(List.of(190L, 189L, 192L, 191L, 194L, 193L, 196L, 195L, 198L, 197L),
                last.auctions().stream().map(SoldAuction::auction).toList());
        // An older auction does not get in; a new price of one that is in replaces it.
        assertEquals(last, last.with(new SoldAuction(1000, 500, 1)));
        LastAuctions repriced = last.with(new SoldAuction(1005, 190, 1000));
        assertEquals(new SoldAuction(1005, 190, 1000), repriced.auctions().get(0));
        assertEquals(10, repriced.auctions().size());
        // The subtractor takes its auction out if it is there, and nothing otherwise.
        assertSame(last, last.without(200));
        assertEquals(9, last.without(195).auctions().size());
        assertEquals(LastAuctions.NONE.auctions(), LastAuctions.NONE.with(new SoldAuction(1, 2, 3)).without(2).auctions());
    }

    @Test
    void sellerAveragesTruncateAndWrapAround() {
        assertEquals(new SellerAverage(5, 0, 0), LastAuctions.NONE.average(5));
        LastAuctions last = LastAuctions.NONE.with(new SoldAuction(1, 1, 10)).with(new SoldAuction(2, 2, 5));
        assertEquals(new SellerAverage(5, 7, 2), last.average(5));
        LastAuctions wrapped = last.with(new SoldAuction(3, 3, Long.MAX_VALUE)).with(new SoldAuction(4, 4, Long.MAX_VALUE));
        // 15 + 2 * MAX wraps to 13.
        assertEquals(new SellerAverage(6, 3, 4), wrapped.average(6));
    }

    @Test
    void theLastAuctionsAreStoredAsACountAndTheirEntries() {
        LastAuctions last = LastAuctions.NONE;
        for (long i = 0; i < 10; i++) {
            last = last.with(new SoldAuction(i, i, -i));
        }
        byte[] bytes = LastAuctions.SERDE.serializer().serialize("t", last);
        assertEquals(8 + 24 * 10, bytes.length);
        assertEquals(last, roundTrip(LastAuctions.SERDE, last));
        assertEquals(LastAuctions.NONE, roundTrip(LastAuctions.SERDE, LastAuctions.NONE));
        assertEquals(8, LastAuctions.SERDE.serializer().serialize("t", LastAuctions.NONE).length);
        for (int length : new int[] {0, 7, 9, 8 + 24 * 9, 8 + 24 * 10 - 1, 8 + 24 * 11}) {
            byte[] wrong = Arrays.copyOf(bytes, length);
            assertThrows(SerializationException.class, () -> LastAuctions.SERDE.deserializer().deserialize("t", wrong));
        }
        byte[] eleven = new byte[8 + 24 * 11];
        eleven[7] = 11;
        assertThrows(SerializationException.class, () -> LastAuctions.SERDE.deserializer().deserialize("t", eleven));
        assertNull(LastAuctions.SERDE.deserializer().deserialize("t", null));
    }

    @Test
    void windowsStartOnMultiplesOfTenSeconds() {
        assertEquals(1765000000000L, NexmarkJoins.windowStart(1765000009999L));
        assertEquals(1765000010000L, NexmarkJoins.windowStart(1765000010000L));
        assertEquals(-10000L, NexmarkJoins.windowStart(-1));
        assertEquals(0L, NexmarkJoins.windowStart(0));
    }

    @Test
    void resultsAreWrittenWithTheSpecsFieldNamesInItsOrder() {
        assertEquals("{\"name\":\"Peter\",\"city\":\"Boise\",\"state\":\"ID\",\"id\":1003}",
                json(new LocalItem("Peter", "Boise", "ID", 1003)));
        assertEquals("{\"id\":1001,\"name\":\"Peter\",\"starttime\":1765000000000}",
                json(NewUser.of("1001:1765000000000", "Peter")));
        assertEquals(new NewUser(-5, "n", -10000), NewUser.of("-5:-10000", "n"));
        assertEquals("{\"category\":10,\"avg\":7,\"count\":3,\"sum\":21}",
                json(new PriceSum(21, 3).average(10)));
        assertEquals("{\"seller\":1001,\"avg\":7,\"count\":2}",
                json(new SellerAverage(1001, 7, 2)));
    }

    private static String json(Object value) {
        return new String(Bid.json(value), StandardCharsets.UTF_8);
    }
}
