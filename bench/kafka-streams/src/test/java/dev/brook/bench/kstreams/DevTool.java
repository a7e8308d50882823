package dev.brook.bench.kstreams;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.admin.ListGroupsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Test helper for the end-to-end check (e2e-test), not part of the benchmark contract:
 *
 * <pre>
 * topics BOOTSTRAP PARTITIONS TOPIC...             (re)create topics
 * produce-metrics BOOTSTRAP TOPIC N START_MS STEP_MS [HOSTS]   N valid metrics, one every
 *                                                  STEP_MS of event time, then the invalid samples
 * produce-keys BOOTSTRAP TOPIC KEYS ROUNDS START_MS STEP_MS   ROUNDS x KEYS records k0..
 * produce-raw BOOTSTRAP TOPIC KEY VALUE [TS]       one record (VALUE "null" = null value)
 * produce-nexmark BOOTSTRAP PERSONS AUCTIONS BIDS N START_MS
 *                                                  N Nexmark bids from START_MS on, with
 *                                                  their persons and auctions, keyed by their
 *                                                  event number, and the invalid samples
 * dump BOOTSTRAP TOPIC                             every committed record as a JSON line
 * produce-closers BOOTSTRAP TOPIC TS [HOSTS]       one metric per host and kind at TS, to
 *                                                  advance stream time on every partition
 * wait-lag BOOTSTRAP GROUP TIMEOUT_S TOPIC:MAX...  until each topic's lag is at most MAX;
 *                                                  prints the milliseconds it took
 * cleanup BOOTSTRAP PREFIX                         delete topics and groups named PREFIX*;
 *                                                  the broker is shared: make PREFIX unique
 * </pre>
 */
public final class DevTool {

    /** Invalid values the metrics scenario must send to the DLQ (and why). */
    static final List<String> INVALID_SAMPLES = List.of(
            "not json at all",
            "[1,2,3]",
            "{\"host\":\"web-1\",\"value\":1}",
            "{\"name\":\"cpu\",\"host\":\"web-1\"}",
            "{\"name\":5,\"host\":\"web-1\",\"value\":1}",
            "{\"name\":\"   \",\"host\":\"web-1\",\"value\":1}",
            "{\"name\":\"cpu\",\"host\":\"web-1\",\"value\":\"high\"}",
            "{\"name\":\"cpu\",\"host\":\"web-1\",\"value\":1e999}",
            "{\"name\":\"cpu\",\"host\":\"web-1\",\"value\":1,\"ts\":-5}",
            "{\"name\":\"cpu\",\"host\":\"web-1\",\"value\":1,\"ts\":12.5}",
            "{\"name\":\"cpu\",\"host\":\"web-1\",\"value\":1,\"unit\":7}",
            "{\"name\":\"cpu\",\"host\":\"web-1\",\"value\":1,\"tags\":\"x\"}");

    /** Values the Nexmark scenarios must skip: not bids. */
    static final List<String> INVALID_BIDS = List.of(
            "not json at all",
            "[1,2,3]",
            "{\"auction\":1003}",
            "{\"auction\":1003,\"bidder\":1,\"price\":\"12\",\"channel\":\"c\",\"url\":\"u\","
                    + "\"dateTime\":1,\"extra\":\"\"}",
            "{\"auction\":1003,\"bidder\":1,\"price\":12.5,\"channel\":\"c\",\"url\":\"u\","
                    + "\"dateTime\":1,\"extra\":\"\"}",
            "{\"auction\":1003,\"bidder\":1,\"bidder\":2,\"price\":12,\"channel\":\"c\",\"url\":\"u\","
                    + "\"dateTime\":1,\"extra\":\"\"}");

    /** Values the Nexmark scenarios must skip: not persons. */
    static final List<String> INVALID_PERSONS = List.of(
            "not json at all",
            "{\"id\":1}",
            "{\"id\":1,\"name\":\"n\",\"emailAddress\":\"e\",\"creditCard\":\"c\",\"city\":\"x\","
                    + "\"state\":\"OR\",\"dateTime\":\"1\",\"extra\":\"\"}",
            "{\"id\":1,\"name\":\"n\",\"emailAddress\":\"e\",\"creditCard\":\"c\",\"city\":\"x\","
                    + "\"state\":\"OR\",\"state\":\"CA\",\"dateTime\":1,\"extra\":\"\"}",
            "{\"id\":1,\"name\":null,\"emailAddress\":\"e\",\"creditCard\":\"c\",\"city\":\"x\","
                    + "\"state\":\"OR\",\"dateTime\":1,\"extra\":\"\"}");

    /** Values the Nexmark scenarios must skip: not auctions. */
    static final List<String> INVALID_AUCTIONS = List.of(
            "[1,2,3]",
            "{\"id\":1,\"itemName\":\"i\",\"description\":\"d\",\"initialBid\":1,\"reserve\":1,"
                    + "\"dateTime\":1,\"expires\":1.5,\"seller\":1000,\"category\":10,\"extra\":\"\"}",
            "{\"id\":1,\"itemName\":\"i\",\"description\":\"d\",\"initialBid\":1,\"reserve\":1,"
                    + "\"dateTime\":1,\"expires\":2,\"seller\":1000,\"seller\":1001,\"category\":10,\"extra\":\"\"}",
            "{\"id\":1,\"itemName\":\"i\",\"description\":\"d\",\"initialBid\":1,\"reserve\":1,"
                    + "\"dateTime\":1,\"expires\":2,\"seller\":1000,\"category\":10}");

    private static final ObjectMapper JSON = new ObjectMapper();

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "topics" -> topics(args[1], Integer.parseInt(args[2]), Arrays.asList(args).subList(3, args.length));
            case "produce-metrics" -> produceMetrics(args[1], args[2], Integer.parseInt(args[3]),
                    Long.parseLong(args[4]), Long.parseLong(args[5]), hosts(args, 6));
            case "produce-keys" -> produceKeys(args[1], args[2], Integer.parseInt(args[3]),
                    Integer.parseInt(args[4]), Long.parseLong(args[5]), Long.parseLong(args[6]));
            case "produce-nexmark" -> produceNexmark(args[1], args[2], args[3], args[4], Integer.parseInt(args[5]),
                    Long.parseLong(args[6]));
            case "produce-raw" -> produceRaw(args[1], args[2], args[3], args[4],
                    args.length > 5 ? Long.parseLong(args[5]) : null);
            case "dump" -> dump(args[1], args[2]);
            case "produce-closers" -> produceClosers(args[1], args[2], Long.parseLong(args[3]), hosts(args, 4));
            case "wait-lag" -> waitLag(args[1], args[2], Long.parseLong(args[3]),
                    Arrays.asList(args).subList(4, args.length));
            case "cleanup" -> cleanup(args[1], args[2]);
            default -> throw new IllegalArgumentException("unknown command " + args[0]);
        }
    }

    static void topics(String bootstrap, int partitions, List<String> names) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            Set<String> existing = admin.listTopics().names().get();
            List<String> stale = names.stream().filter(existing::contains).toList();
            if (!stale.isEmpty()) {
                admin.deleteTopics(stale).all().get();
                while (admin.listTopics().names().get().stream().anyMatch(stale::contains)) {
                    TimeUnit.MILLISECONDS.sleep(200);
                }
            }
            List<NewTopic> topics = names.stream().map(n -> new NewTopic(n, partitions, (short) 1)).toList();
            while (true) {
                try {
                    admin.createTopics(topics).all().get();
                    break;
                } catch (Exception e) { // deletion may still be finishing
                    if (!String.valueOf(e.getMessage()).contains("marked for deletion")) {
                        throw e;
                    }
                    TimeUnit.MILLISECONDS.sleep(500);
                }
            }
        }
    }

    private static KafkaProducer<byte[], byte[]> producer(String bootstrap) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 20);
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, 262144);
        return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    private static byte[] utf8(String s) {
        return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
    }

    private static final String[] HOSTS = {"web-1", "web-2", "db-1"};

    /** The three hosts above, or N hosts h0..h{N-1} when args[index] gives N. */
    private static String[] hosts(String[] args, int index) {
        if (args.length <= index) {
            return HOSTS;
        }
        String[] hosts = new String[Integer.parseInt(args[index])];
        for (int i = 0; i < hosts.length; i++) {
            hosts[i] = "h" + i;
        }
        return hosts;
    }
    private static final String[][] KINDS = {{" CPU.Usage ", "percent"}, {"Request.Latency", "ms"},
        {"disk.free", "bytes"}, {"mem.used", "%"}, {"Uptime", null}};

    static void produceMetrics(String bootstrap, String topic, int n, long startMs, long stepMs, String[] hosts) {
        String[][] kinds = KINDS;
        try (KafkaProducer<byte[], byte[]> producer = producer(bootstrap)) {
            for (int i = 0; i < n; i++) {
                String host = hosts[i % hosts.length];
                String[] kind = kinds[(i / hosts.length) % kinds.length];
                ObjectNode m = JSON.createObjectNode().put("name", kind[0]).put("host", host)
                        .put("value", i % 1000).put("ts", startMs + i * stepMs);
                if (kind[1] != null) {
                    m.put("unit", kind[1]);
                }
                if (i % 7 == 0) {
                    m.putObject("tags").put("i", i);
                }
                producer.send(new ProducerRecord<>(topic, utf8(host), m.toString().getBytes(StandardCharsets.UTF_8)));
            }
            for (String bad : INVALID_SAMPLES) {
                producer.send(new ProducerRecord<>(topic, utf8("bad"), utf8(bad)));
            }
            producer.send(new ProducerRecord<>(topic, utf8("bad"), null));
        }
    }

    static void produceClosers(String bootstrap, String topic, long ts, String[] hosts) {
        try (KafkaProducer<byte[], byte[]> producer = producer(bootstrap)) {
            for (String host : hosts) {
                for (String[] kind : KINDS) {
                    ObjectNode m = JSON.createObjectNode().put("name", kind[0]).put("host", host)
                            .put("value", 0).put("ts", ts);
                    if (kind[1] != null) {
                        m.put("unit", kind[1]);
                    }
                    producer.send(new ProducerRecord<>(topic, utf8(host), utf8(m.toString())));
                }
            }
        }
    }

    static void waitLag(String bootstrap, String group, long timeoutS, List<String> limits) throws Exception {
        long start = System.nanoTime();
        long deadline = start + TimeUnit.SECONDS.toNanos(timeoutS);
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            while (true) {
                boolean done = true;
                for (String limit : limits) {
                    int colon = limit.lastIndexOf(':');
                    if (lag(admin, group, limit.substring(0, colon)) > Long.parseLong(limit.substring(colon + 1))) {
                        done = false;
                        break;
                    }
                }
                if (done) {
                    System.out.println((System.nanoTime() - start) / 1_000_000);
                    return;
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("lag still above " + limits + " after " + timeoutS + " s");
                }
                TimeUnit.MILLISECONDS.sleep(100);
            }
        }
    }

    static void cleanup(String bootstrap, String prefix) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            List<String> topics = admin.listTopics().names().get().stream().filter(t -> t.startsWith(prefix)).toList();
            admin.deleteTopics(topics).all().get();
            List<String> groups = admin.listGroups(ListGroupsOptions.forConsumerGroups()).all().get().stream()
                    .map(GroupListing::groupId).filter(g -> g.startsWith(prefix)).toList();
            for (var result : admin.deleteConsumerGroups(groups).deletedGroups().values()) {
                try {
                    result.get();
                } catch (Exception e) { // already gone, or still in use
                    System.err.println("cleanup: " + e.getMessage());
                }
            }
        }
    }

    static void produceKeys(String bootstrap, String topic, int keys, int rounds, long startMs, long stepMs) {
        try (KafkaProducer<byte[], byte[]> producer = producer(bootstrap)) {
            long ts = startMs;
            for (int r = 0; r < rounds; r++) {
                for (int k = 0; k < keys; k++) {
                    producer.send(new ProducerRecord<>(topic, null, ts, utf8("k" + k), utf8("v" + r)));
                    ts += stepMs;
                }
            }
        }
    }

    private static final String[] STATES = {"AZ", "CA", "ID", "OR", "WA", "WY"};
    private static final String[] CITIES = {"Phoenix", "Los Angeles", "Boise", "Portland", "Seattle", "Cheyenne"};

    /**
     * A Nexmark event stream: N bids, mostly 0 to 100 ms apart in event time (several per 10 s
     * window, some at the same millisecond), with a 15 s pause every 2,000 bids; a person
     * every 30 bids and an auction every 10, at the time of the bid they come with. Every
     * record is keyed by its event number; its timestamp is its dateTime.
     *
     * <ul>
     * <li>Persons 1000, 1001, ... in states AZ CA ID OR WA WY.
     * <li>Auctions 100000, 100001, ..., of categories 10 to 14, open 1 to 20 s (expires =
     *     dateTime + 1,000..20,000 ms), sold by an existing person: half of them by the
     *     newest one (so the person often registered in the same 10 s window, for q8).
     * <li>Bids by 300 bidders, so that sessions both continue and break; mostly on one of the
     *     30 latest auctions (open or just closed), some on an older auction (mostly closed)
     *     and some on one of the next two auctions (before it opens). Prices from 1 to 2,000,
     *     one in 50 from ten large ones (so that a window's highest bid often ties) and one in
     *     1,000 near Long.MAX_VALUE (so that q4's and q6's sums wrap around).
     * </ul>
     *
     * Halfway through, each topic gets its invalid samples and a null value.
     */
    static void produceNexmark(String bootstrap, String personsTopic, String auctionsTopic, String bidsTopic, int n,
            long startMs) {
        Random random = new Random(42);
        long[] times = new long[n];
        long ts = startMs;
        for (int i = 0; i < n; i++) {
            ts += random.nextInt(4) == 0 ? 0 : random.nextInt(100);
            if (i > 0 && i % 2000 == 0) {
                ts += 15_000;
            }
            times[i] = ts;
        }
        // Auction j comes with bid 10 j + 5, person p with bid 30 p.
        int auctions = (n + 4) / 10;
        String[] channels = {"Google", "Facebook", "Baidu", "Apple"};
        long event = 0;
        try (KafkaProducer<byte[], byte[]> producer = producer(bootstrap)) {
            for (int i = 0; i < n; i++) {
                long t = times[i];
                int newestPerson = i / 30;
                if (i % 30 == 0) {
                    int state = random.nextInt(STATES.length);
                    ObjectNode person = JSON.createObjectNode()
                            .put("id", 1000 + newestPerson)
                            .put("name", "person " + newestPerson)
                            .put("emailAddress", "p" + newestPerson + "@example.com")
                            .put("creditCard", String.format("%04d %04d", random.nextInt(10000), newestPerson % 10000))
                            .put("city", CITIES[state])
                            .put("state", STATES[state])
                            .put("dateTime", t)
                            .put("extra", "x".repeat(random.nextInt(8)));
                    send(producer, personsTopic, event++, t, person);
                }
                if (i % 10 == 5) {
                    int j = i / 10;
                    long seller = 1000 + (random.nextBoolean() ? newestPerson : random.nextInt(newestPerson + 1));
                    ObjectNode auction = JSON.createObjectNode()
                            .put("id", 100_000 + j)
                            .put("itemName", "item " + j)
                            .put("description", "auction " + j)
                            .put("initialBid", 1 + random.nextInt(100))
                            .put("reserve", 100 + random.nextInt(1000))
                            .put("dateTime", t)
                            .put("expires", t + 1000 + random.nextInt(19_001))
                            .put("seller", seller)
                            .put("category", 10 + random.nextInt(5))
                            .put("extra", "x".repeat(random.nextInt(8)));
                    send(producer, auctionsTopic, event++, t, auction);
                }
                int latest = Math.floorDiv(i - 5, 10); // the newest auction so far; -1 before the first
                int pick = random.nextInt(100);
                int auction = pick < 85 ? latest - random.nextInt(30)
                        : pick < 95 ? random.nextInt(Math.max(latest, 0) + 1)
                        : latest + 1 + random.nextInt(2);
                auction = Math.max(0, Math.min(auction, auctions - 1));
                int price = random.nextInt(1000);
                ObjectNode bid = JSON.createObjectNode()
                        .put("auction", 100_000 + auction)
                        .put("bidder", 5000 + random.nextInt(300))
                        .put("price", price == 0 ? Long.MAX_VALUE - random.nextInt(1000)
                                : price < 20 ? 1_000_000_000L + random.nextInt(10)
                                : 1 + random.nextInt(2000))
                        .put("channel", channels[random.nextInt(channels.length)])
                        .put("url", "https://www.nexmark.com/item.htm?query=" + i)
                        .put("dateTime", t)
                        .put("extra", "x".repeat(random.nextInt(8)));
                send(producer, bidsTopic, event++, t, bid);
                if (i == n / 2) {
                    sendInvalid(producer, personsTopic, t, INVALID_PERSONS);
                    sendInvalid(producer, auctionsTopic, t, INVALID_AUCTIONS);
                    sendInvalid(producer, bidsTopic, t, INVALID_BIDS);
                }
            }
        }
    }

    private static void send(KafkaProducer<byte[], byte[]> producer, String topic, long event, long ts, ObjectNode value) {
        producer.send(new ProducerRecord<>(topic, null, ts, utf8(Long.toString(event)), utf8(value.toString())));
    }

    /** The samples, then a null value, keyed "bad". */
    private static void sendInvalid(KafkaProducer<byte[], byte[]> producer, String topic, long ts, List<String> samples) {
        for (String bad : samples) {
            producer.send(new ProducerRecord<>(topic, null, ts, utf8("bad"), utf8(bad)));
        }
        producer.send(new ProducerRecord<>(topic, null, ts, utf8("bad"), (byte[]) null));
    }

    static void produceRaw(String bootstrap, String topic, String key, String value, Long ts) {
        try (KafkaProducer<byte[], byte[]> producer = producer(bootstrap)) {
            producer.send(new ProducerRecord<>(topic, null, ts, utf8(key), "null".equals(value) ? null : utf8(value)));
        }
    }

    static void dump(String bootstrap, String topic) throws Exception {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000);
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(info -> new TopicPartition(topic, info.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            StringBuilder out = new StringBuilder();
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    ObjectNode line = JSON.createObjectNode()
                            .put("partition", r.partition()).put("offset", r.offset()).put("ts", r.timestamp())
                            .put("key", r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8))
                            .put("value", r.value() == null ? null : new String(r.value(), StandardCharsets.UTF_8));
                    ObjectNode headers = line.putObject("headers");
                    for (Header h : r.headers()) {
                        headers.put(h.key(), new String(h.value(), StandardCharsets.UTF_8));
                    }
                    out.append(line).append('\n');
                    if (out.length() > 1 << 16) {
                        System.out.print(out);
                        out.setLength(0);
                    }
                }
            }
            System.out.print(out);
            System.out.flush();
        }
    }

    /** The topic's end offsets minus the group's committed offsets (0 where none yet). */
    static long lag(Admin admin, String group, String topic) throws Exception {
        Map<TopicPartition, OffsetAndMetadata> committed =
                admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
        int partitions = admin.describeTopics(List.of(topic)).allTopicNames().get()
                .get(topic).partitions().size();
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        for (int p = 0; p < partitions; p++) {
            latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
        }
        long lag = 0;
        for (var e : admin.listOffsets(latest).all().get().entrySet()) {
            OffsetAndMetadata c = committed.get(e.getKey());
            lag += e.getValue().offset() - (c == null ? 0 : c.offset());
        }
        return lag;
    }

    private DevTool() {}
}
