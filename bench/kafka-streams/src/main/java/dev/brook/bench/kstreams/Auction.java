package dev.brook.bench.kstreams;

import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/**
 * One Nexmark auction, the value of the Nexmark scenarios' AUCTIONS records:
 * {@code {"id":1003,"itemName":"...","description":"...","initialBid":100,"reserve":150,
 * "dateTime":1765000000123,"expires":1765000010123,"seller":1001,"category":10,"extra":"..."}}.
 * The record's timestamp is its {@code dateTime}; the auction is open until {@code expires}
 * (inclusive). Read as strictly as a {@link Bid} (see {@link Bid#JSON}).
 */
record Auction(long id, String itemName, String description, long initialBid, long reserve, long dateTime,
        long expires, long seller, long category, String extra) {

    /**
     * JSON both ways. A value that is not an auction throws SerializationException, so the
     * deserialization exception handler skips its record; null stays null.
     */
    static final Serde<Auction> SERDE = Serdes.serdeFrom(
            (topic, auction) -> auction == null ? null : Bid.json(auction),
            (topic, bytes) -> bytes == null ? null : Bid.read(bytes, Auction.class, "an auction"));
}
