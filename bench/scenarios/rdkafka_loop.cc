// brook-bench-rdkafka: the ceiling for `brook-bench`'s passthrough scenario, a plain
// librdkafka consume -> produce loop with no framework: batch polls, produce with copy,
// Java-compatible partitioning by key (murmur2, as Brook), and per commit interval either
// flush + commit offsets (at_least_once) or send offsets + commit the transaction
// (exactly_once_v2). Same command line and stdout protocol as brook-bench-app; only
// --scenario passthrough is accepted.
//
// It does the job Brook and Kafka Streams do in that scenario, no less: each output record
// keeps the input record's key, value, timestamp and headers, and a failed delivery stops
// the loop (otherwise a commit could pass over a record that never arrived).
//
// Written against the C API directly on purpose: it is what an engineer would write by
// hand, and what Brook's runtime costs are measured against.

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <librdkafka/rdkafka.h>

namespace {

volatile std::sig_atomic_t stop_requested = 0;
// The first failed delivery, set by the delivery report callback (served in rd_kafka_poll
// and rd_kafka_flush on the loop's own thread).
std::string delivery_error;

void say(const std::string& line) {
    std::fputs((line + "\n").c_str(), stdout);
    std::fflush(stdout);
}

[[noreturn]] void fail(const std::string& why) {
    say("ERROR " + why);
    say("EXIT");
    std::exit(1);
}

struct kafka_deleter {
    void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
using kafka_ptr = std::unique_ptr<rd_kafka_t, kafka_deleter>;

rd_kafka_conf_t* make_conf(const std::map<std::string, std::string>& props) {
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    char err[512];
    for (const auto& [k, v] : props) {
        if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
            fail(std::string("config ") + k + ": " + err);
        }
    }
    return conf;
}

void check(rd_kafka_error_t* error, const char* what) {
    if (error != nullptr) {
        const std::string msg = std::string(what) + ": " + rd_kafka_error_string(error);
        rd_kafka_error_destroy(error);
        fail(msg);
    }
}

} // namespace

int main(int argc, char** argv) {
    if (argc == 2 && (std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h")) {
        std::printf("usage: brook-bench-rdkafka --scenario passthrough --bootstrap-servers "
                    "HOST:PORT\n"
                    "         --application-id ID --input TOPIC --output TOPIC\n"
                    "         [--guarantee at_least_once|exactly_once_v2] "
                    "[--commit-interval-ms 100]\n"
                    "The librdkafka ceiling of brook-bench's passthrough scenario; see "
                    "docs/benchmarks.md.\n");
        return 0;
    }
    std::map<std::string, std::string> a = {{"guarantee", "at_least_once"},
                                            {"commit-interval-ms", "100"}};
    for (int i = 1; i + 1 < argc; i += 2) {
        a[std::string(argv[i]).substr(2)] = argv[i + 1];
    }
    for (const char* required :
         {"scenario", "bootstrap-servers", "application-id", "input", "output"}) {
        if (!a.contains(required)) {
            fail(std::string("--") + required + " is required");
        }
    }
    if (a["scenario"] != "passthrough") {
        fail("the rdkafka loop only runs the passthrough scenario");
    }
    const bool eos = a["guarantee"] == "exactly_once_v2";
    const auto interval = std::chrono::milliseconds(std::stoll(a["commit-interval-ms"]));
    std::signal(SIGTERM, [](int) { stop_requested = 1; });
    std::signal(SIGINT, [](int) { stop_requested = 1; });

    char err[512];
    std::map<std::string, std::string> pprops = {{"bootstrap.servers", a["bootstrap-servers"]},
                                                 {"linger.ms", "5"},
                                                 {"batch.size", "131072"},
                                                 {"acks", "all"},
                                                 {"enable.idempotence", "true"},
                                                 {"partitioner", "murmur2_random"},
                                                 // Reports only failures: successful
                                                 // deliveries need no work on this thread.
                                                 {"delivery.report.only.error", "true"}};
    if (eos) {
        pprops["transactional.id"] = a["application-id"] + "-rdkafka";
    }
    rd_kafka_conf_t* producer_conf = make_conf(pprops);
    rd_kafka_conf_set_dr_msg_cb(producer_conf, [](rd_kafka_t*, const rd_kafka_message_t* m, void*) {
        if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR && delivery_error.empty()) {
            delivery_error = rd_kafka_err2str(m->err);
        }
    });
    kafka_ptr producer(rd_kafka_new(RD_KAFKA_PRODUCER, producer_conf, err, sizeof err));
    if (!producer) {
        fail(err);
    }
    kafka_ptr consumer(
        rd_kafka_new(RD_KAFKA_CONSUMER,
                     make_conf({{"bootstrap.servers", a["bootstrap-servers"]},
                                {"group.id", a["application-id"]},
                                {"enable.auto.commit", "false"},
                                {"auto.offset.reset", "earliest"},
                                // Brook's consumer default: the same client settings.
                                {"fetch.wait.max.ms", "100"},
                                // Also Brook's: librdkafka stops fetching while the
                                // consumer queue holds queued.min.messages and looks again
                                // fetch.queue.backoff.ms later (1 s by default).
                                {"fetch.queue.backoff.ms", "1"},
                                {"isolation.level", eos ? "read_committed" : "read_uncommitted"}}),
                     err, sizeof err));
    if (!consumer) {
        fail(err);
    }
    rd_kafka_poll_set_consumer(consumer.get());
    rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(topics, a["input"].c_str(), RD_KAFKA_PARTITION_UA);
    rd_kafka_subscribe(consumer.get(), topics);
    rd_kafka_topic_partition_list_destroy(topics);
    if (eos) {
        check(rd_kafka_init_transactions(producer.get(), 60000), "init_transactions");
        check(rd_kafka_begin_transaction(producer.get()), "begin_transaction");
    }
    rd_kafka_topic_t* out = rd_kafka_topic_new(producer.get(), a["output"].c_str(), nullptr);
    rd_kafka_queue_t* queue = rd_kafka_queue_get_consumer(consumer.get());
    std::vector<rd_kafka_message_t*> batch(1000);
    // Next offset to commit per input partition.
    std::map<int32_t, int64_t> positions;
    bool running = false;
    auto last_commit = std::chrono::steady_clock::now();

    const auto commit = [&] {
        if (positions.empty()) {
            return;
        }
        rd_kafka_topic_partition_list_t* offsets =
            rd_kafka_topic_partition_list_new(static_cast<int>(positions.size()));
        for (const auto& [p, o] : positions) {
            rd_kafka_topic_partition_list_add(offsets, a["input"].c_str(), p)->offset = o;
        }
        if (eos) {
            rd_kafka_consumer_group_metadata_t* group =
                rd_kafka_consumer_group_metadata(consumer.get());
            check(rd_kafka_send_offsets_to_transaction(producer.get(), offsets, group, 60000),
                  "send_offsets_to_transaction");
            rd_kafka_consumer_group_metadata_destroy(group);
            check(rd_kafka_commit_transaction(producer.get(), 60000), "commit_transaction");
            check(rd_kafka_begin_transaction(producer.get()), "begin_transaction");
        } else {
            if (rd_kafka_flush(producer.get(), 60000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
                fail("flush timed out");
            }
            if (!delivery_error.empty()) {
                fail("delivery failed: " + delivery_error);
            }
            if (const auto e = rd_kafka_commit(consumer.get(), offsets, 0); e) {
                fail(std::string("commit: ") + rd_kafka_err2str(e));
            }
        }
        rd_kafka_topic_partition_list_destroy(offsets);
        positions.clear();
    };

    while (stop_requested == 0) {
        // Whatever is fetched already, at once; when nothing is, block for one record so
        // the loop neither spins nor waits out a batch timeout.
        ssize_t n = rd_kafka_consume_batch_queue(queue, 0, batch.data(), batch.size());
        if (n == 0) {
            if (rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer.get(), 100)) {
                batch[0] = m;
                n = 1;
            }
        }
        if (!running) {
            rd_kafka_topic_partition_list_t* assigned = nullptr;
            if (rd_kafka_assignment(consumer.get(), &assigned) == RD_KAFKA_RESP_ERR_NO_ERROR) {
                running = assigned->cnt > 0;
                rd_kafka_topic_partition_list_destroy(assigned);
                if (running) {
                    say("STATE RUNNING");
                }
            }
        }
        for (ssize_t i = 0; i < n; ++i) {
            rd_kafka_message_t* m = batch[static_cast<size_t>(i)];
            if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
                // The headers move to the output record (null when there are none).
                rd_kafka_headers_t* headers = nullptr;
                (void)rd_kafka_message_detach_headers(m, &headers);
                rd_kafka_vu_t fields[6];
                size_t count = 0;
                fields[count].vtype = RD_KAFKA_VTYPE_RKT;
                fields[count++].u.rkt = out;
                fields[count].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
                fields[count++].u.i = RD_KAFKA_MSG_F_COPY;
                fields[count].vtype = RD_KAFKA_VTYPE_VALUE;
                fields[count].u.mem.ptr = m->payload;
                fields[count++].u.mem.size = m->len;
                fields[count].vtype = RD_KAFKA_VTYPE_KEY;
                fields[count].u.mem.ptr = m->key;
                fields[count++].u.mem.size = m->key_len;
                fields[count].vtype = RD_KAFKA_VTYPE_TIMESTAMP;
                // -1 (none) becomes 0: librdkafka then stamps the current time, as in Brook.
                fields[count++].u.i64 =
                    std::max<int64_t>(rd_kafka_message_timestamp(m, nullptr), 0);
                if (headers != nullptr) {
                    fields[count].vtype = RD_KAFKA_VTYPE_HEADERS;
                    fields[count++].u.headers = headers;
                }
                for (;;) {
                    rd_kafka_error_t* error = rd_kafka_produceva(producer.get(), fields, count);
                    if (error == nullptr) {
                        break; // the producer owns the headers now
                    }
                    const rd_kafka_resp_err_t code = rd_kafka_error_code(error);
                    rd_kafka_error_destroy(error);
                    if (code != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                        fail(std::string("produce: ") + rd_kafka_err2str(code));
                    }
                    rd_kafka_poll(producer.get(), 10);
                }
                positions[m->partition] = m->offset + 1;
            }
            rd_kafka_message_destroy(m);
        }
        rd_kafka_poll(producer.get(), 0);
        if (!delivery_error.empty()) {
            fail("delivery failed: " + delivery_error);
        }
        if (std::chrono::steady_clock::now() - last_commit >= interval) {
            commit();
            last_commit = std::chrono::steady_clock::now();
        }
    }
    commit();
    if (eos) {
        rd_kafka_abort_transaction(producer.get(), 10000);
    }
    rd_kafka_queue_destroy(queue);
    rd_kafka_topic_destroy(out);
    rd_kafka_consumer_close(consumer.get());
    rd_kafka_flush(producer.get(), 10000);
    say("EXIT");
    return 0;
}
