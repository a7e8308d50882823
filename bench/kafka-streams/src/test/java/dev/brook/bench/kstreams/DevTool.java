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
 * produce-bids BOOTSTRAP TOPIC N START_MS          N Nexmark bids from START_MS on, keyed by
 *                                                  their number, and the invalid samples
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
                    + "\"dateTime\":1,\"extra\":\"\"}");

    private static final ObjectMapper JSON = new ObjectMapper();

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "topics" -> topics(args[1], Integer.parseInt(args[2]), Arrays.asList(args).subList(3, args.length));
            case "produce-metrics" -> produceMetrics(args[1], args[2], Integer.parseInt(args[3]),
                    Long.parseLong(args[4]), Long.parseLong(args[5]), hosts(args, 6));
            case "produce-keys" -> produceKeys(args[1], args[2], Integer.parseInt(args[3]),
                    Integer.parseInt(args[4]), Long.parseLong(args[5]), Long.parseLong(args[6]));
            case "produce-bids" -> produceBids(args[1], args[2], Integer.parseInt(args[3]),
                    Long.parseLong(args[4]));
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

    /**
     * N bids, mostly 0 to 100 ms apart in event time (several per 10 s window, some at the
     * same millisecond), with a 15 s pause every 2,000 bids; 400 auctions (1000-1399) and 300
     * bidders, so that sessions both continue and break; prices from 1 to 2,000, and one in 50
     * from ten large ones, so that a window's highest bid often ties. The record timestamp is
     * the bid's dateTime. Halfway through come the invalid samples and a null value.
     */
    static void produceBids(String bootstrap, String topic, int n, long startMs) {
        Random random = new Random(42);
        String[] channels = {"Google", "Facebook", "Baidu", "Apple"};
        try (KafkaProducer<byte[], byte[]> producer = producer(bootstrap)) {
            long ts = startMs;
            for (int i = 0; i < n; i++) {
                ts += random.nextInt(4) == 0 ? 0 : random.nextInt(100);
                if (i > 0 && i % 2000 == 0) {
                    ts += 15_000;
                }
                long price = random.nextInt(50) == 0
                        ? 1_000_000_000L + random.nextInt(10)
                        : 1 + random.nextInt(2000);
                ObjectNode bid = JSON.createObjectNode()
                        .put("auction", 1000 + random.nextInt(400))
                        .put("bidder", 5000 + random.nextInt(300))
                        .put("price", price)
                        .put("channel", channels[random.nextInt(channels.length)])
                        .put("url", "https://www.nexmark.com/item.htm?query=" + i)
                        .put("dateTime", ts)
                        .put("extra", "x".repeat(random.nextInt(8)));
                producer.send(new ProducerRecord<>(topic, null, ts, utf8(Integer.toString(i)), utf8(bid.toString())));
                if (i == n / 2) {
                    for (String bad : INVALID_BIDS) {
                        producer.send(new ProducerRecord<>(topic, null, ts, utf8("bad"), utf8(bad)));
                    }
                    producer.send(new ProducerRecord<>(topic, null, ts, utf8("bad"), (byte[]) null));
                }
            }
        }
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
