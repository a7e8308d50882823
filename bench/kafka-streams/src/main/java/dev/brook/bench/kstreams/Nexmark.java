package dev.brook.bench.kstreams;

import java.nio.ByteBuffer;
import java.time.Duration;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.SessionWindows;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.SessionStore;
import org.apache.kafka.streams.state.WindowStore;

/**
 * Nexmark queries 0, 1, 2, 5, 7 and 11 over the topic of {@link Bid}s (String keys, JSON
 * values, event time = the record timestamp = the bid's dateTime), and the sources of every
 * Nexmark query ({@link NexmarkJoins} has q3, q4, q6 and q8, which read persons and auctions
 * too). Windows are 10 s of event time with {@code --grace-ms} of grace. Results are JSON
 * (q11: a decimal count) keyed by a String; repartition topics and stores are named, so their
 * topics are the same every run.
 */
final class Nexmark {

    static final String Q5_COUNT_STORE = "nexmark-q5-counts";
    static final String Q5_HOTTEST_STORE = "nexmark-q5-hottest";
    static final String Q7_HIGHEST_STORE = "nexmark-q7-highest";
    static final String Q11_SESSION_STORE = "nexmark-q11-sessions";

    private static final Duration WINDOW = Duration.ofSeconds(10);
    private static final Duration HOP = Duration.ofSeconds(2);
    private static final Duration SESSION_GAP = Duration.ofSeconds(10);

    private Nexmark() {}

    /** q0, passthrough: each bid parsed and written again, under its key. */
    static void q0(StreamsBuilder builder, Options options) {
        bids(builder, options)
                .to(options.output(), Produced.with(Serdes.String(), Bid.SERDE));
    }

    /**
     * q1, currency conversion: each bid with its price times 0.908, in integer arithmetic:
     * {@code price * 908 / 1000} truncated, computed so that no long price overflows (as
     * Brook's {@code euros()}).
     */
    static void q1(StreamsBuilder builder, Options options) {
        bids(builder, options)
                .mapValues(bid -> bid.withPrice(euros(bid.price())), Named.as("nexmark-q1-convert"))
                .to(options.output(), Produced.with(Serdes.String(), Bid.SERDE));
    }

    /** q2, selection: the auction and price of the bids on every 123rd auction. */
    static void q2(StreamsBuilder builder, Options options) {
        bids(builder, options)
                .filter((id, bid) -> bid.auction() % 123 == 0, Named.as("nexmark-q2-select"))
                .mapValues(bid -> Bid.json(new AuctionPrice(bid.auction(), bid.price())),
                        Named.as("nexmark-q2-to-json"))
                .to(options.output(), Produced.with(Serdes.String(), Serdes.ByteArray()));
    }

    /**
     * q5, hot items: bids per auction in 10 s windows every 2 s (re-keyed by auction, which
     * repartitions), then per window the auction with the most (re-keyed by window start,
     * which repartitions again), the lower auction on a tie. Counts only grow, so the
     * highest of all count updates is the highest final count. Output key: the window start
     * in epoch ms; value {@code {"auction":A,"num":N}}, written on update as the record cache
     * lets updates through.
     */
    static void q5(StreamsBuilder builder, Options options) {
        bids(builder, options)
                .groupBy((id, bid) -> Long.toString(bid.auction()),
                        Grouped.with("nexmark-q5-by-auction", Serdes.String(), Bid.SERDE))
                .windowedBy(TimeWindows.ofSizeAndGrace(WINDOW, grace(options)).advanceBy(HOP))
                .count(Named.as("nexmark-q5-count"),
                        Materialized.<String, Long, WindowStore<Bytes, byte[]>>as(Q5_COUNT_STORE)
                                .withKeySerde(Serdes.String())
                                .withValueSerde(Serdes.Long()))
                .toStream(Named.as("nexmark-q5-count-updates"))
                .filter((window, count) -> count != null, Named.as("nexmark-q5-skip-tombstones"))
                .map((window, count) -> KeyValue.pair(Long.toString(window.window().start()),
                        new AuctionCount(Long.parseLong(window.key()), count)),
                        Named.as("nexmark-q5-key-by-window"))
                .groupByKey(Grouped.with("nexmark-q5-by-window", Serdes.String(), AuctionCount.SERDE))
                .reduce(AuctionCount::hotter, Named.as("nexmark-q5-pick-hottest"),
                        Materialized.<String, AuctionCount, KeyValueStore<Bytes, byte[]>>as(Q5_HOTTEST_STORE)
                                .withKeySerde(Serdes.String())
                                .withValueSerde(AuctionCount.SERDE))
                .toStream(Named.as("nexmark-q5-results"))
                .mapValues(Bid::json, Named.as("nexmark-q5-to-json"))
                .to(options.output(), Produced.with(Serdes.String(), Serdes.ByteArray()));
    }

    /**
     * q7, highest bid: the highest bid in each 10 s tumbling window, over all bids (one key,
     * so one partition of the repartition topic does all the work); ties go to the lower
     * auction, then the lower bidder, then the earlier bid. Output key: the window start in
     * epoch ms; value {@code {"auction":A,"bidder":B,"price":P,"dateTime":T}}, written on
     * update as the record cache lets updates through.
     */
    static void q7(StreamsBuilder builder, Options options) {
        bids(builder, options)
                .groupBy((id, bid) -> "all", Grouped.with("nexmark-q7-all", Serdes.String(), Bid.SERDE))
                .windowedBy(TimeWindows.ofSizeAndGrace(WINDOW, grace(options)))
                .aggregate(() -> HighestBid.NONE, (all, bid, highest) -> highest.max(bid),
                        Named.as("nexmark-q7-pick-highest"),
                        Materialized.<String, HighestBid, WindowStore<Bytes, byte[]>>as(Q7_HIGHEST_STORE)
                                .withKeySerde(Serdes.String())
                                .withValueSerde(HighestBid.SERDE))
                .toStream(Named.as("nexmark-q7-results"))
                .map((window, highest) -> KeyValue.pair(Long.toString(window.window().start()),
                        highest == null ? null : Bid.json(highest)), Named.as("nexmark-q7-to-json"))
                .to(options.output(), Produced.with(Serdes.String(), Serdes.ByteArray()));
    }

    /**
     * q11, user sessions: bids per bidder in session windows that close after 10 s without
     * a bid (re-keyed by bidder, which repartitions). Output key
     * {@code <bidder>:<start>:<end>} (end = the session's last bid, epoch ms), value the count
     * in decimal. A bid that extends a session, or joins sessions together, replaces them
     * with a new session, so a new key; each replaced session gets a tombstone (a null value)
     * under its old key.
     */
    static void q11(StreamsBuilder builder, Options options) {
        bids(builder, options)
                .groupBy((id, bid) -> Long.toString(bid.bidder()),
                        Grouped.with("nexmark-q11-by-bidder", Serdes.String(), Bid.SERDE))
                .windowedBy(SessionWindows.ofInactivityGapAndGrace(SESSION_GAP, grace(options)))
                .count(Named.as("nexmark-q11-count"),
                        Materialized.<String, Long, SessionStore<Bytes, byte[]>>as(Q11_SESSION_STORE)
                                .withKeySerde(Serdes.String())
                                .withValueSerde(Serdes.Long()))
                .toStream(Named.as("nexmark-q11-results"))
                .map((session, count) -> KeyValue.pair(
                        session.key() + ":" + session.window().start() + ":" + session.window().end(),
                        count == null ? null : Long.toString(count)), Named.as("nexmark-q11-key-by-session"))
                .to(options.output(), Produced.with(Serdes.String(), Serdes.String()));
    }

    /**
     * The input's bids (the BIDS topic). Values that are not bids never get here (the
     * deserializer throws and the handler skips them); null values are dropped here. The
     * keys, event sequence numbers, are not looked at.
     */
    static KStream<String, Bid> bids(StreamsBuilder builder, Options options) {
        return builder.stream(options.nexmark().bids(), Consumed.with(Serdes.String(), Bid.SERDE))
                .filter((id, bid) -> bid != null, Named.as("nexmark-bids"));
    }

    /** The input's persons (the PERSONS topic), read as {@link #bids} reads bids. */
    static KStream<String, Person> persons(StreamsBuilder builder, Options options) {
        return builder.stream(options.nexmark().persons(), Consumed.with(Serdes.String(), Person.SERDE))
                .filter((id, person) -> person != null, Named.as("nexmark-persons"));
    }

    /** The input's auctions (the AUCTIONS topic), read as {@link #bids} reads bids. */
    static KStream<String, Auction> auctions(StreamsBuilder builder, Options options) {
        return builder.stream(options.nexmark().auctions(), Consumed.with(Serdes.String(), Auction.SERDE))
                .filter((id, auction) -> auction != null, Named.as("nexmark-auctions"));
    }

    /** {@code dollars * 908 / 1000}, truncated toward zero, without overflow. */
    static long euros(long dollars) {
        return dollars / 1000 * 908 + dollars % 1000 * 908 / 1000;
    }

    /** The grace of every window and join window: {@code --grace-ms}. */
    static Duration grace(Options options) {
        return Duration.ofMillis(options.graceMs());
    }

    /** q2's result. */
    record AuctionPrice(long auction, long price) {}

    /**
     * An auction's bid count in one window: q5's intermediate value (16 bytes) and, as JSON,
     * its result.
     */
    record AuctionCount(long auction, long num) {

        static final Serde<AuctionCount> SERDE = Serdes.serdeFrom(
                (topic, count) -> count == null ? null : ByteBuffer.allocate(16)
                        .putLong(count.auction)
                        .putLong(count.num)
                        .array(),
                (topic, bytes) -> {
                    if (bytes == null) {
                        return null;
                    }
                    if (bytes.length != 16) {
                        throw new SerializationException(
                                "an auction count must be 16 bytes, got " + bytes.length);
                    }
                    ByteBuffer in = ByteBuffer.wrap(bytes);
                    return new AuctionCount(in.getLong(), in.getLong());
                });

        /** The one with more bids; on a tie, the lower auction. */
        static AuctionCount hotter(AuctionCount a, AuctionCount b) {
            if (a.num != b.num) {
                return a.num > b.num ? a : b;
            }
            return a.auction <= b.auction ? a : b;
        }
    }

    /**
     * The highest bid so far in a q7 window (32 bytes in the store) and, as JSON, its result.
     * {@link #NONE} starts each window; every bid is at least as high.
     */
    record HighestBid(long auction, long bidder, long price, long dateTime) {

        static final HighestBid NONE =
                new HighestBid(Long.MAX_VALUE, Long.MAX_VALUE, Long.MIN_VALUE, Long.MAX_VALUE);

        static final Serde<HighestBid> SERDE = Serdes.serdeFrom(
                (topic, h) -> h == null ? null : ByteBuffer.allocate(32)
                        .putLong(h.auction)
                        .putLong(h.bidder)
                        .putLong(h.price)
                        .putLong(h.dateTime)
                        .array(),
                (topic, bytes) -> {
                    if (bytes == null) {
                        return null;
                    }
                    if (bytes.length != 32) {
                        throw new SerializationException("a highest bid must be 32 bytes, got " + bytes.length);
                    }
                    ByteBuffer in = ByteBuffer.wrap(bytes);
                    return new HighestBid(in.getLong(), in.getLong(), in.getLong(), in.getLong());
                });

        /**
         * This or {@code bid}, whichever is higher: the higher price, then the lower auction,
         * the lower bidder, the earlier dateTime. A bid equal to this one in all four changes
         * nothing that shows.
         */
        HighestBid max(Bid bid) {
            int order = price != bid.price() ? Long.compare(bid.price(), price)
                    : auction != bid.auction() ? Long.compare(auction, bid.auction())
                    : bidder != bid.bidder() ? Long.compare(bidder, bid.bidder())
                    : Long.compare(dateTime, bid.dateTime());
            return order > 0
                    ? new HighestBid(bid.auction(), bid.bidder(), bid.price(), bid.dateTime())
                    : this;
        }
    }
}
