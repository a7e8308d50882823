package dev.brook.bench.kstreams;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Function;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.JoinWindows;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.StreamJoined;
import org.apache.kafka.streams.kstream.TableJoined;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The Nexmark queries that join: q3 and q8 over {@link Person}s and {@link Auction}s, q4 and
 * q6 over auctions and {@link Bid}s (sources in {@link Nexmark}). All four results are tables:
 * each update is written under its key (a decimal String; q8 {@code "<id>:<start>"}) as the
 * record cache lets it through, and what counts is the last value of each key, a null value
 * deleting it. Internal keys are longs ({@code Serdes.Long()}); intermediate values use the
 * compact fixed-size binary serdes below. Repartition topics, join names and stores are named
 * ({@code <application-id>-<name>-repartition} for the topics), so they are the same every
 * run and the same as on the Brook side.
 */
final class NexmarkJoins {

    static final String Q3_AUCTIONS = "nexmark-q3-auctions";
    static final String Q3_PERSONS = "nexmark-q3-persons";
    static final String Q3_JOIN = "nexmark-q3-join";
    static final String Q8_JOIN = "nexmark-q8-join";
    static final String Q8_USERS_STORE = "nexmark-q8-users";
    static final String Q4_AVERAGES_STORE = "nexmark-q4-averages";
    static final String Q6_LAST_TEN_STORE = "nexmark-q6-last-ten";

    private static final long Q3_CATEGORY = 10;
    private static final Set<String> Q3_STATES = Set.of("OR", "ID", "CA");
    /** q8's tumbling windows, and so its join window: a pair in one window is this close. */
    private static final long Q8_WINDOW_MS = 10_000;
    /** The longest an auction is open: how long after its auction a bid may join. */
    private static final Duration AUCTION_SPAN = Duration.ofSeconds(20);
    /** q6 averages over each seller's last this many auctions. */
    static final int Q6_AUCTIONS = 10;

    private NexmarkJoins() {}

    /**
     * q3, local item suggestion: who sells in category 10 and lives in Oregon, Idaho or
     * California. Auctions of category 10, re-keyed by auction id, and persons of those
     * states, re-keyed by person id, each become a table (repartitions
     * {@code nexmark-q3-auctions} and {@code nexmark-q3-persons}, stores of the same names);
     * the auctions table is joined with the persons table on its foreign key, the seller
     * ({@code nexmark-q3-join}, Kafka Streams' subscription/response topics). Output key: the
     * auction id; value {@code {"name","city","state","id"}} (the seller's name, city and
     * state, the auction id), or null: the foreign-key join writes a tombstone for an auction
     * whose seller it has not (or no longer) got.
     *
     * <p>Unlike published Nexmark, which emits each match once from an incremental stream
     * join, this is a table-table join: a person or an auction that comes later (or changes)
     * updates the result, which is a table keyed by auction. The final table holds the same
     * rows as the published query's output.
     */
    static void q3(StreamsBuilder builder, Options options) {
        KTable<Long, AuctionSeller> auctions = Nexmark.auctions(builder, options)
                .filter((id, auction) -> auction.category() == Q3_CATEGORY, Named.as("nexmark-q3-select-auctions"))
                .map((id, auction) -> KeyValue.pair(auction.id(), new AuctionSeller(auction.id(), auction.seller())),
                        Named.as("nexmark-q3-key-auctions"))
                .toTable(Named.as(Q3_AUCTIONS),
                        Materialized.<Long, AuctionSeller, KeyValueStore<Bytes, byte[]>>as(Q3_AUCTIONS)
                                .withKeySerde(Serdes.Long())
                                .withValueSerde(AuctionSeller.SERDE));
        KTable<Long, PersonPlace> persons = Nexmark.persons(builder, options)
                .filter((id, person) -> Q3_STATES.contains(person.state()), Named.as("nexmark-q3-select-persons"))
                .map((id, person) -> KeyValue.pair(person.id(),
                        new PersonPlace(person.name(), person.city(), person.state())),
                        Named.as("nexmark-q3-key-persons"))
                .toTable(Named.as(Q3_PERSONS),
                        Materialized.<Long, PersonPlace, KeyValueStore<Bytes, byte[]>>as(Q3_PERSONS)
                                .withKeySerde(Serdes.Long())
                                .withValueSerde(PersonPlace.SERDE));
        auctions.join(persons, AuctionSeller::seller,
                        (auction, seller) -> new LocalItem(seller.name(), seller.city(), seller.state(), auction.id()),
                        TableJoined.as(Q3_JOIN))
                .toStream(Named.as("nexmark-q3-results"))
                .map((auction, item) -> KeyValue.pair(Long.toString(auction), item == null ? null : Bid.json(item)),
                        Named.as("nexmark-q3-to-json"))
                .to(options.output(), Produced.with(Serdes.String(), Serdes.ByteArray()));
    }

    /**
     * q8, monitor new users: persons who opened an auction in the 10 s tumbling window in
     * which they registered. Persons re-keyed by {@code "<id>:<window start>"} (value: the
     * name) and auctions by {@code "<seller>:<window start>"} (value: the auction id), which
     * repartitions both sides, are joined within 10 s ({@code nexmark-q8-join}, grace
     * {@code --grace-ms}): two records of one key are in one window, so within 10 s of each
     * other. Each key's first match is kept (store {@code nexmark-q8-users}). Output key:
     * {@code "<id>:<start>"}; value {@code {"id","name","starttime"}}, parsed back from the key.
     *
     * <p>Published Nexmark joins the two streams per tumbling window; Kafka Streams has no
     * windowed stream-stream join on tumbling windows, so the window start goes into a
     * composite key and an ordinary sliding join window matches exactly the pairs of one
     * window. Result: one row per (person, window) with an auction, as a table.
     */
    static void q8(StreamsBuilder builder, Options options) {
        KStream<String, String> persons = Nexmark.persons(builder, options)
                .map((id, person) -> KeyValue.pair(person.id() + ":" + windowStart(person.dateTime()), person.name()),
                        Named.as("nexmark-q8-key-persons"));
        KStream<String, Long> auctions = Nexmark.auctions(builder, options)
                .map((id, auction) -> KeyValue.pair(auction.seller() + ":" + windowStart(auction.dateTime()),
                        auction.id()), Named.as("nexmark-q8-key-auctions"));
        persons.join(auctions, (name, auction) -> name,
                        JoinWindows.ofTimeDifferenceAndGrace(Duration.ofMillis(Q8_WINDOW_MS), Nexmark.grace(options)),
                        StreamJoined.with(Serdes.String(), Serdes.String(), Serdes.Long())
                                .withName(Q8_JOIN)
                                .withStoreName(Q8_JOIN))
                // The join's output is keyed as its (repartitioned) inputs: no repartition here.
                .groupByKey(Grouped.with(Serdes.String(), Serdes.String()))
                .reduce((first, next) -> first, Named.as("nexmark-q8-first"),
                        Materialized.<String, String, KeyValueStore<Bytes, byte[]>>as(Q8_USERS_STORE)
                                .withKeySerde(Serdes.String())
                                .withValueSerde(Serdes.String()))
                .toStream(Named.as("nexmark-q8-results"))
                .mapValues((user, name) -> name == null ? null : Bid.json(NewUser.of(user, name)),
                        Named.as("nexmark-q8-to-json"))
                .to(options.output(), Produced.with(Serdes.String(), Serdes.ByteArray()));
    }

    /**
     * q4, average price per category: the average winning price of the auctions of each
     * category. The winning bids ({@link #winningBids}) are re-grouped by category
     * (repartition {@code nexmark-q4-by-category}) and summed and counted, a new winning bid
     * of an auction taking its previous one out (store {@code nexmark-q4-averages}). Output
     * key: the category; value {@code {"category","avg","count","sum"}}, avg = sum / count
     * truncated (0 for no auctions), sums wrapping around as longs do.
     *
     * <p>Deviations from published Nexmark: auctions are not waited on to close (the average
     * is of the winning bids so far, updated as bids come), and a bid joins its auction only
     * within 20 s after the auction's dateTime (see {@link #winningBids}).
     */
    static void q4(StreamsBuilder builder, Options options) {
        winningBids(builder, options, "nexmark-q4")
                .groupBy((auction, winner) -> KeyValue.pair(winner.category(), winner.price()),
                        Grouped.with("nexmark-q4-by-category", Serdes.Long(), Serdes.Long()))
                .aggregate(() -> PriceSum.NONE,
                        (category, price, sum) -> sum.plus(price),
                        (category, price, sum) -> sum.minus(price),
                        Named.as("nexmark-q4-average"),
                        Materialized.<Long, PriceSum, KeyValueStore<Bytes, byte[]>>as(Q4_AVERAGES_STORE)
                                .withKeySerde(Serdes.Long())
                                .withValueSerde(PriceSum.SERDE))
                .toStream(Named.as("nexmark-q4-results"))
                .map((category, sum) -> KeyValue.pair(Long.toString(category),
                        sum == null ? null : Bid.json(sum.average(category))), Named.as("nexmark-q4-to-json"))
                .to(options.output(), Produced.with(Serdes.String(), Serdes.ByteArray()));
    }

    /**
     * q6, average selling price by seller: the average winning price of each seller's last
     * 10 auctions. The winning bids ({@link #winningBids}) are re-grouped by seller
     * (repartition {@code nexmark-q6-by-seller}), each as (expires, auction, price); per
     * seller the 10 with the latest (expires, auction) are kept, a new winning bid of an
     * auction replacing its previous one (store {@code nexmark-q6-last-ten}). Output key: the
     * seller; value {@code {"seller","avg","count"}}, avg = the sum of their prices (wrapping)
     * / count, truncated (0 for none).
     *
     * <p>Deviations from published Nexmark: auctions are not waited on to close, so the "last
     * 10" are the 10 with the latest expiry that got a bid in their time, with their highest
     * bid so far; and a bid joins its auction only within 20 s after the auction's dateTime
     * (see {@link #winningBids}).
     */
    static void q6(StreamsBuilder builder, Options options) {
        winningBids(builder, options, "nexmark-q6")
                .groupBy((auction, winner) -> KeyValue.pair(winner.seller(),
                                new SoldAuction(winner.expires(), auction, winner.price())),
                        Grouped.with("nexmark-q6-by-seller", Serdes.Long(), SoldAuction.SERDE))
                .aggregate(() -> LastAuctions.NONE,
                        (seller, sold, last) -> last.with(sold),
                        (seller, sold, last) -> last.without(sold.auction()),
                        Named.as("nexmark-q6-average"),
                        Materialized.<Long, LastAuctions, KeyValueStore<Bytes, byte[]>>as(Q6_LAST_TEN_STORE)
                                .withKeySerde(Serdes.Long())
                                .withValueSerde(LastAuctions.SERDE))
                .toStream(Named.as("nexmark-q6-results"))
                .map((seller, last) -> KeyValue.pair(Long.toString(seller),
                        last == null ? null : Bid.json(last.average(seller))), Named.as("nexmark-q6-to-json"))
                .to(options.output(), Produced.with(Serdes.String(), Serdes.ByteArray()));
    }

    /**
     * q4's and q6's winning bids, a table auction id -> the highest bid made while the
     * auction was open. Auctions keyed by id, as (dateTime, expires, seller, category), are
     * joined with bids keyed by auction, as (price, dateTime), which repartitions both
     * ({@code <query>-join}): a bid joins from its auction's time to 20 s after (the window
     * is {@code before(0)}, {@code after(20 s)}, grace {@code --grace-ms}), as auctions here
     * are open 1 to 20 s; the joiner then keeps only bids with
     * {@code dateTime <= bid.dateTime <= expires}. Per auction the highest price wins, the
     * one held on a tie (store {@code <query>-winning}).
     *
     * <p>Published Nexmark waits for each auction to close and takes its highest bid then;
     * here the winner is the highest so far, so later stages see it change. A bid more than
     * 20 s after its auction's dateTime never joins, even if the auction were open longer.
     */
    private static KTable<Long, WinningBid> winningBids(StreamsBuilder builder, Options options, String query) {
        KStream<Long, AuctionTimes> auctions = Nexmark.auctions(builder, options)
                .map((id, auction) -> KeyValue.pair(auction.id(), new AuctionTimes(auction.dateTime(),
                        auction.expires(), auction.seller(), auction.category())), Named.as(query + "-key-auctions"));
        KStream<Long, BidPrice> bids = Nexmark.bids(builder, options)
                .map((id, bid) -> KeyValue.pair(bid.auction(), new BidPrice(bid.price(), bid.dateTime())),
                        Named.as(query + "-key-bids"));
        return auctions.join(bids, WinningBid::ifInTime,
                        JoinWindows.ofTimeDifferenceAndGrace(AUCTION_SPAN, Nexmark.grace(options)).before(Duration.ZERO),
                        StreamJoined.with(Serdes.Long(), AuctionTimes.SERDE, BidPrice.SERDE)
                                .withName(query + "-join")
                                .withStoreName(query + "-join"))
                .filter((auction, winner) -> winner != null, Named.as(query + "-in-time"))
                // Keyed by auction id as the join's inputs were: no repartition here.
                .groupByKey(Grouped.with(Serdes.Long(), WinningBid.SERDE))
                .reduce(WinningBid::higher, Named.as(query + "-pick-winner"),
                        Materialized.<Long, WinningBid, KeyValueStore<Bytes, byte[]>>as(query + "-winning")
                                .withKeySerde(Serdes.Long())
                                .withValueSerde(WinningBid.SERDE));
    }

    /** The start of the 10 s tumbling window that holds {@code t} (epoch ms). */
    static long windowStart(long t) {
        return t - Math.floorMod(t, Q8_WINDOW_MS);
    }

    /**
     * A serde of values of exactly {@code size} bytes, big-endian: null stays null, and a
     * value of any other length throws SerializationException.
     */
    private static <T> Serde<T> fixedSize(String what, int size, BiConsumer<ByteBuffer, T> write,
            Function<ByteBuffer, T> read) {
        return Serdes.serdeFrom(
                (topic, value) -> {
                    if (value == null) {
                        return null;
                    }
                    ByteBuffer out = ByteBuffer.allocate(size);
                    write.accept(out, value);
                    return out.array();
                },
                (topic, bytes) -> {
                    if (bytes == null) {
                        return null;
                    }
                    if (bytes.length != size) {
                        throw new SerializationException(what + " must be " + size + " bytes, got " + bytes.length);
                    }
                    return read.apply(ByteBuffer.wrap(bytes));
                });
    }

    /** A q3 auction in its table (16 bytes). */
    record AuctionSeller(long id, long seller) {
        static final Serde<AuctionSeller> SERDE = fixedSize("an auction's seller", 16,
                (out, a) -> out.putLong(a.id).putLong(a.seller),
                in -> new AuctionSeller(in.getLong(), in.getLong()));
    }

    /**
     * A q3 person in its table: each string as its UTF-8 length (4 bytes) and bytes, nothing
     * after the third.
     */
    record PersonPlace(String name, String city, String state) {
        static final Serde<PersonPlace> SERDE = Serdes.serdeFrom(
                (topic, p) -> {
                    if (p == null) {
                        return null;
                    }
                    byte[] name = p.name.getBytes(StandardCharsets.UTF_8);
                    byte[] city = p.city.getBytes(StandardCharsets.UTF_8);
                    byte[] state = p.state.getBytes(StandardCharsets.UTF_8);
                    return ByteBuffer.allocate(12 + name.length + city.length + state.length)
                            .putInt(name.length).put(name)
                            .putInt(city.length).put(city)
                            .putInt(state.length).put(state)
                            .array();
                },
                (topic, bytes) -> {
                    if (bytes == null) {
                        return null;
                    }
                    ByteBuffer in = ByteBuffer.wrap(bytes);
                    PersonPlace p = new PersonPlace(string(in), string(in), string(in));
                    if (in.hasRemaining()) {
                        throw new SerializationException("a person's place has " + in.remaining()
                                + " bytes too many");
                    }
                    return p;
                });

        private static String string(ByteBuffer in) {
            int length = in.remaining() >= 4 ? in.getInt() : -1;
            if (length < 0 || length > in.remaining()) {
                throw new SerializationException("a person's place is cut short");
            }
            String s = new String(in.array(), in.position(), length, StandardCharsets.UTF_8);
            in.position(in.position() + length);
            return s;
        }
    }

    /** q3's result. */
    record LocalItem(String name, String city, String state, long id) {}

    /** q8's result, from its key {@code "<id>:<start>"} and the name. */
    record NewUser(long id, String name, long starttime) {
        static NewUser of(String key, String name) {
            int colon = key.lastIndexOf(':');
            return new NewUser(Long.parseLong(key.substring(0, colon)), name,
                    Long.parseLong(key.substring(colon + 1)));
        }
    }

    /** An auction in q4's and q6's join (32 bytes). */
    record AuctionTimes(long dateTime, long expires, long seller, long category) {
        static final Serde<AuctionTimes> SERDE = fixedSize("an auction's times", 32,
                (out, a) -> out.putLong(a.dateTime).putLong(a.expires).putLong(a.seller).putLong(a.category),
                in -> new AuctionTimes(in.getLong(), in.getLong(), in.getLong(), in.getLong()));
    }

    /** A bid in q4's and q6's join (16 bytes). */
    record BidPrice(long price, long dateTime) {
        static final Serde<BidPrice> SERDE = fixedSize("a bid's price", 16,
                (out, b) -> out.putLong(b.price).putLong(b.dateTime),
                in -> new BidPrice(in.getLong(), in.getLong()));
    }

    /** The highest bid on an auction so far, with what q4 and q6 need of the auction (32 bytes). */
    record WinningBid(long seller, long category, long expires, long price) {
        static final Serde<WinningBid> SERDE = fixedSize("a winning bid", 32,
                (out, w) -> out.putLong(w.seller).putLong(w.category).putLong(w.expires).putLong(w.price),
                in -> new WinningBid(in.getLong(), in.getLong(), in.getLong(), in.getLong()));

        /** The joiner: the bid if it came while the auction was open (both ends included), else null. */
        static WinningBid ifInTime(AuctionTimes auction, BidPrice bid) {
            return auction.dateTime <= bid.dateTime && bid.dateTime <= auction.expires
                    ? new WinningBid(auction.seller, auction.category, auction.expires, bid.price)
                    : null;
        }

        /** The reducer: {@code next} if its price is higher, else the one held. */
        static WinningBid higher(WinningBid held, WinningBid next) {
            return next.price > held.price ? next : held;
        }
    }

    /** q4's sum and count of a category's winning prices (16 bytes). */
    record PriceSum(long sum, long count) {
        static final PriceSum NONE = new PriceSum(0, 0);
        static final Serde<PriceSum> SERDE = fixedSize("a price sum", 16,
                (out, s) -> out.putLong(s.sum).putLong(s.count),
                in -> new PriceSum(in.getLong(), in.getLong()));

        PriceSum plus(long price) {
            return new PriceSum(sum + price, count + 1);
        }

        PriceSum minus(long price) {
            return new PriceSum(sum - price, count - 1);
        }

        CategoryAverage average(long category) {
            return new CategoryAverage(category, count == 0 ? 0 : sum / count, count, sum);
        }
    }

    /** q4's result. */
    record CategoryAverage(long category, long avg, long count, long sum) {}

    /** A winning bid on its way to q6's per-seller list (24 bytes). */
    record SoldAuction(long expires, long auction, long price) {
        static final Serde<SoldAuction> SERDE = fixedSize("a sold auction", 24,
                (out, s) -> out.putLong(s.expires).putLong(s.auction).putLong(s.price),
                in -> new SoldAuction(in.getLong(), in.getLong(), in.getLong()));

        /** Latest first: the later expiry, then the higher auction id. */
        static final Comparator<SoldAuction> LATEST_FIRST = Comparator.comparingLong(SoldAuction::expires)
                .thenComparingLong(SoldAuction::auction)
                .reversed();
    }

    /**
     * A seller's last (at most 10) auctions in q6, latest first. Stored as
     * the count and then (expires, auction, price) per auction, longs big-endian: 8 + 24 per
     * auction bytes.
     */
    record LastAuctions(List<SoldAuction> auctions) {
        static final LastAuctions NONE = new LastAuctions(List.of());

        static final Serde<LastAuctions> SERDE = Serdes.serdeFrom(
                (topic, last) -> {
                    if (last == null) {
                        return null;
                    }
                    ByteBuffer out = ByteBuffer.allocate(8 + 24 * last.auctions.size())
                            .putLong(last.auctions.size());
                    for (SoldAuction s : last.auctions) {
                        out.putLong(s.expires()).putLong(s.auction()).putLong(s.price());
                    }
                    return out.array();
                },
                (topic, bytes) -> {
                    if (bytes == null) {
                        return null;
                    }
                    ByteBuffer in = ByteBuffer.wrap(bytes);
                    long count = bytes.length >= 8 ? in.getLong() : -1;
                    if (count < 0 || count > Q6_AUCTIONS || bytes.length != 8 + 24 * count) {
                        throw new SerializationException("a seller's last auctions: " + bytes.length
                                + " bytes" + (count < 0 ? "" : " for " + count + " auctions"));
                    }
                    List<SoldAuction> auctions = new ArrayList<>((int) count);
                    for (long i = 0; i < count; i++) {
                        auctions.add(new SoldAuction(in.getLong(), in.getLong(), in.getLong()));
                    }
                    return new LastAuctions(List.copyOf(auctions));
                });

        /**
         * The adder: {@code sold} in place of any entry of its auction, then the latest 10
         * by (expires, auction).
         */
        LastAuctions with(SoldAuction sold) {
            List<SoldAuction> next = new ArrayList<>(auctions.size() + 1);
            for (SoldAuction s : auctions) {
                if (s.auction() != sold.auction()) {
                    next.add(s);
                }
            }
            next.add(sold);
            next.sort(SoldAuction.LATEST_FIRST);
            return new LastAuctions(List.copyOf(next.subList(0, Math.min(next.size(), Q6_AUCTIONS))));
        }

        /** The subtractor: without the entry of {@code auction}, if there is one. */
        LastAuctions without(long auction) {
            if (auctions.stream().noneMatch(s -> s.auction() == auction)) {
                return this;
            }
            return new LastAuctions(auctions.stream().filter(s -> s.auction() != auction).toList());
        }

        SellerAverage average(long seller) {
            long sum = 0;
            for (SoldAuction s : auctions) {
                sum += s.price();
            }
            int count = auctions.size();
            return new SellerAverage(seller, count == 0 ? 0 : sum / count, count);
        }
    }

    /** q6's result. */
    record SellerAverage(long seller, long avg, long count) {}
}
