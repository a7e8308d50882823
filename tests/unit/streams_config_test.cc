// streams_config and the .properties reader: defaults, validation messages that name the
// key and its source, the per-client librdkafka configs, and Java .properties syntax.

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <unistd.h>
#include <vector>

#include <gtest/gtest.h>

#include "engine/config/properties_file.h"
#include "engine/config/streams_config.h"
#include "engine/errors.h"

namespace brook {
namespace {

using namespace std::chrono_literals;
using props = std::map<std::string, std::string>;

props minimal(props extra = {}) {
    props p{{"application.id", "word-count"}, {"bootstrap.servers", "localhost:9092"}};
    for (auto& [k, v] : extra) {
        p[k] = v;
    }
    return p;
}

// Runs f, expects a config_error, and returns its message.
std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const config_error& e) {
        return e.what();
    }
    ADD_FAILURE() << "expected config_error";
    return {};
}

std::string config_error_for(props p) {
    return error_of([&] { streams_config c(std::move(p)); });
}

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

// A file under the temp directory that is removed when the test ends.
class temp_file {
public:
    explicit temp_file(const std::string& text)
        : _path(std::filesystem::temp_directory_path() /
                ("brook-streams-config-" + std::to_string(::getpid()) + "-" +
                 ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".properties")) {
        std::ofstream(_path, std::ios::binary) << text;
    }
    ~temp_file() { std::filesystem::remove(_path); }
    temp_file(const temp_file&) = delete;
    temp_file& operator=(const temp_file&) = delete;
    const std::filesystem::path& path() const { return _path; }

private:
    std::filesystem::path _path;
};

TEST(streams_config, defaults_apply_when_only_the_required_keys_are_given) {
    const streams_config c(minimal());
    EXPECT_EQ(c.application_id(), "word-count");
    EXPECT_EQ(c.bootstrap_servers(), "localhost:9092");
    EXPECT_EQ(c.num_stream_threads(), 1);
    EXPECT_EQ(c.commit_interval(), 30000ms);
    EXPECT_EQ(c.guarantee(), processing_guarantee::at_least_once);
    EXPECT_EQ(c.state_dir(), std::filesystem::path("/tmp/brook-streams"));
    EXPECT_EQ(c.poll_timeout(), 100ms);
    EXPECT_EQ(c.replication_factor(), -1);
    EXPECT_EQ(c.cache_max_bytes(), 10485760);
    EXPECT_EQ(c.buffered_records_per_partition(), 1000);
    EXPECT_EQ(c.max_task_idle(), 0ms);
    EXPECT_EQ(c.on_deserialization_error(), deserialization_handler::fail);
    EXPECT_EQ(c.dead_letter_topic(), "");
    EXPECT_EQ(c.shutdown_timeout(), 30000ms);
    EXPECT_EQ(c.broker_wait_timeout(), 60000ms);
    EXPECT_EQ(c.client_id(), "word-count");
    EXPECT_EQ(c.originals(), minimal());

    const auto consumer = c.consumer_config();
    EXPECT_EQ(consumer.get("bootstrap.servers"), "localhost:9092");
    EXPECT_EQ(consumer.get("client.id"), "word-count");
    EXPECT_EQ(consumer.get("enable.auto.commit"), "false");
    EXPECT_EQ(consumer.get("auto.offset.reset"), "earliest");
    EXPECT_EQ(consumer.get("partition.assignment.strategy"), "range");
    EXPECT_EQ(consumer.get("fetch.wait.max.ms"), "100");
    EXPECT_EQ(consumer.get("isolation.level"), "read_uncommitted");
    EXPECT_FALSE(consumer.get("group.id"));

    const auto producer = c.producer_config();
    EXPECT_EQ(producer.get("linger.ms"), "5");
    EXPECT_EQ(producer.get("enable.idempotence"), "true");
    EXPECT_FALSE(producer.get("transaction.timeout.ms"));
    EXPECT_FALSE(producer.get("transactional.id"));
}

TEST(streams_config, exactly_once_v2_shortens_the_commit_interval_and_reads_committed_only) {
    const streams_config c(minimal({{"processing.guarantee", "exactly_once_v2"}}));
    EXPECT_EQ(c.guarantee(), processing_guarantee::exactly_once_v2);
    EXPECT_EQ(c.commit_interval(), 100ms);
    EXPECT_EQ(c.consumer_config().get("isolation.level"), "read_committed");
    EXPECT_EQ(c.producer_config().get("transaction.timeout.ms"), "60000");
    EXPECT_EQ(c.producer_config().get("message.timeout.ms"), "55000");
}

TEST(streams_config, an_explicit_commit_interval_wins_over_the_exactly_once_default) {
    const streams_config c(
        minimal({{"processing.guarantee", "exactly_once_v2"}, {"commit.interval.ms", "250"}}));
    EXPECT_EQ(c.commit_interval(), 250ms);
}

TEST(streams_config, topology_optimization_takes_kafka_streams_words_and_refuses_the_rest) {
    // A Kafka Streams .properties file often says topology.optimization=all: Brook merges
    // repartition topics and reuses source topics as changelogs, but keeps two stores in a
    // self-join, so it refuses that one by name (topology_optimization_test.cc has more).
    EXPECT_NO_THROW(streams_config(minimal({{"topology.optimization", "none"}})));
    const streams_config all(minimal({{"topology.optimization", "all"}}));
    EXPECT_TRUE(all.topology_optimization().merge_repartition_topics);
    EXPECT_TRUE(all.topology_optimization().reuse_source_topics);
    const std::string error =
        config_error_for(minimal({{"topology.optimization", "single.store.self.join"}}));
    EXPECT_TRUE(contains(error, "topology.optimization")) << error;
    EXPECT_TRUE(contains(error, "Leave it out of the list")) << error;
}

TEST(streams_config, a_missing_application_id_is_rejected_saying_how_to_set_it) {
    const std::string message = config_error_for({{"bootstrap.servers", "localhost:9092"}});
    EXPECT_TRUE(contains(message, "'application.id'")) << message;
    EXPECT_TRUE(contains(message, "required")) << message;
}

TEST(streams_config, a_missing_bootstrap_servers_is_rejected) {
    const std::string message = config_error_for({{"application.id", "app"}});
    EXPECT_TRUE(contains(message, "'bootstrap.servers'")) << message;
}

TEST(streams_config, an_application_id_that_cannot_name_topics_is_rejected) {
    const std::string message = config_error_for(minimal({{"application.id", "word count"}}));
    EXPECT_TRUE(contains(message, "'application.id'")) << message;
}

TEST(streams_config, an_unknown_key_is_rejected_with_the_closest_known_key) {
    const std::string message = config_error_for(minimal({{"comit.interval.ms", "100"}}));
    EXPECT_TRUE(contains(message, "unknown configuration key 'comit.interval.ms'")) << message;
    EXPECT_TRUE(contains(message, "did you mean 'commit.interval.ms'?")) << message;
}

TEST(streams_config, an_unprefixed_librdkafka_key_is_rejected_with_a_hint_to_prefix_it) {
    const std::string message = config_error_for(minimal({{"session.timeout.ms", "10000"}}));
    EXPECT_TRUE(contains(message, "unknown configuration key 'session.timeout.ms'")) << message;
    EXPECT_TRUE(contains(message, "consumer.session.timeout.ms")) << message;
}

TEST(streams_config, a_misspelt_client_prefix_gets_the_right_prefix_suggested) {
    const std::string message = config_error_for(minimal({{"consumr.fetch.max.bytes", "1000"}}));
    EXPECT_TRUE(contains(message, "did you mean 'consumer.fetch.max.bytes'?")) << message;
}

TEST(streams_config, a_non_integer_value_is_rejected_naming_the_key_and_the_range) {
    const std::string message = config_error_for(minimal({{"num.stream.threads", "four"}}));
    EXPECT_TRUE(contains(message, "'num.stream.threads' = 'four'")) << message;
    EXPECT_TRUE(contains(message, "from 1 to 64")) << message;
}

TEST(streams_config, an_out_of_range_value_is_rejected_naming_the_key) {
    EXPECT_TRUE(contains(config_error_for(minimal({{"num.stream.threads", "65"}})),
                         "'num.stream.threads'"));
    EXPECT_TRUE(
        contains(config_error_for(minimal({{"replication.factor", "0"}})), "'replication.factor'"));
    EXPECT_TRUE(contains(config_error_for(minimal({{"commit.interval.ms", "-5"}})),
                         "'commit.interval.ms'"));
    EXPECT_TRUE(contains(config_error_for(minimal({{"repartition.purge.interval.ms", "-1"}})),
                         "'repartition.purge.interval.ms'"));
}

TEST(streams_config, repartition_topics_are_purged_every_30_seconds_unless_set) {
    EXPECT_EQ(streams_config(minimal({})).repartition_purge_interval(), 30000ms);
    EXPECT_EQ(streams_config(minimal({{"repartition.purge.interval.ms", "0"}}))
                  .repartition_purge_interval(),
              0ms);
}

TEST(streams_config, an_unknown_guarantee_word_is_rejected_listing_the_valid_ones) {
    const std::string message = config_error_for(minimal({{"processing.guarantee", "exactly"}}));
    EXPECT_TRUE(contains(message, "'processing.guarantee'")) << message;
    EXPECT_TRUE(contains(message, "exactly_once_v2")) << message;
}

TEST(streams_config, the_old_exactly_once_modes_are_rejected_pointing_to_exactly_once_v2) {
    for (const std::string word : {"exactly_once", "exactly_once_beta"}) {
        const std::string message = config_error_for(minimal({{"processing.guarantee", word}}));
        EXPECT_TRUE(contains(message, "use exactly_once_v2")) << message;
    }
}

TEST(streams_config, a_misspelt_prefixed_consumer_key_is_rejected_naming_the_prefixed_key) {
    const std::string message =
        config_error_for(minimal({{"consumer.fetch.max.bytez", "1048576"}}));
    EXPECT_TRUE(contains(message, "'consumer.fetch.max.bytez'")) << message;
    EXPECT_TRUE(contains(message, "consumer")) << message;
}

TEST(streams_config, a_bad_prefixed_value_is_rejected_naming_the_prefixed_key) {
    const std::string message = config_error_for(minimal({{"producer.linger.ms", "soon"}}));
    EXPECT_TRUE(contains(message, "'producer.linger.ms' = 'soon'")) << message;
}

TEST(streams_config, consumer_overrides_apply_only_to_the_consumer) {
    const streams_config c(minimal({{"consumer.fetch.max.bytes", "1048576"},
                                    {"consumer.auto.offset.reset", "latest"},
                                    {"consumer.fetch.wait.max.ms", "500"}}));
    EXPECT_EQ(c.consumer_config().get("fetch.max.bytes"), "1048576");
    EXPECT_EQ(c.consumer_config().get("auto.offset.reset"), "latest");
    EXPECT_EQ(c.consumer_config().get("fetch.wait.max.ms"), "500");
    EXPECT_FALSE(c.restore_consumer_config().get("fetch.wait.max.ms"));
    EXPECT_FALSE(c.producer_config().get("fetch.max.bytes"));
    EXPECT_FALSE(c.admin_config().get("fetch.max.bytes"));
    EXPECT_FALSE(c.restore_consumer_config().get("fetch.max.bytes"));
    EXPECT_EQ(c.restore_consumer_config().get("auto.offset.reset"), "earliest");
}

TEST(streams_config, sasl_and_security_keys_apply_to_every_client) {
    const streams_config c(minimal({{"security.protocol", "SASL_PLAINTEXT"},
                                    {"sasl.mechanisms", "PLAIN"},
                                    {"sasl.username", "alice"},
                                    {"sasl.password", "s3cret"}}));
    for (const auto& client : {c.consumer_config(), c.producer_config(), c.admin_config(),
                               c.restore_consumer_config()}) {
        EXPECT_EQ(client.get("security.protocol"), "SASL_PLAINTEXT");
        EXPECT_EQ(client.get("sasl.username"), "alice");
        EXPECT_EQ(client.get("sasl.password"), "s3cret");
    }
}

TEST(streams_config, a_prefixed_key_wins_over_the_client_wide_one) {
    const streams_config c(
        minimal({{"sasl.username", "alice"}, {"producer.sasl.username", "bob"}}));
    EXPECT_EQ(c.producer_config().get("sasl.username"), "bob");
    EXPECT_EQ(c.consumer_config().get("sasl.username"), "alice");
}

TEST(streams_config, the_restore_consumer_always_reads_committed_and_joins_no_group) {
    const streams_config c(minimal());
    const auto restore = c.restore_consumer_config();
    EXPECT_EQ(restore.get("isolation.level"), "read_committed");
    EXPECT_FALSE(restore.get("partition.assignment.strategy"));
    const std::string message =
        config_error_for(minimal({{"restore.consumer.isolation.level", "read_uncommitted"}}));
    EXPECT_TRUE(contains(message, "'restore.consumer.isolation.level'")) << message;
}

TEST(streams_config, keys_the_runtime_owns_are_rejected) {
    EXPECT_TRUE(
        contains(config_error_for(minimal({{"consumer.group.id", "g"}})), "'consumer.group.id'"));
    EXPECT_TRUE(contains(config_error_for(minimal({{"consumer.enable.auto.commit", "true"}})),
                         "'consumer.enable.auto.commit'"));
}

TEST(streams_config, an_assignor_that_splits_co_partitioned_inputs_is_refused) {
    const std::string message = config_error_for(
        minimal({{"consumer.partition.assignment.strategy", "cooperative-sticky"}}));
    EXPECT_TRUE(contains(message, "'consumer.partition.assignment.strategy'")) << message;
    EXPECT_TRUE(contains(message, "must be range")) << message;
    const streams_config explicit_range(
        minimal({{"consumer.partition.assignment.strategy", "range"}}));
    EXPECT_EQ(explicit_range.consumer_config().get("partition.assignment.strategy"), "range");
}

TEST(streams_config, static_membership_is_set_once_for_the_application_not_per_client) {
    EXPECT_TRUE(contains(config_error_for(minimal({{"consumer.group.instance.id", "a"}})),
                         "set group.instance.id instead"));
    EXPECT_TRUE(
        contains(config_error_for(minimal({{"group.instance.id", "a b"}})), "'group.instance.id'"));
    const streams_config c(minimal({{"group.instance.id", "node-1"}}));
    EXPECT_EQ(c.group_instance_id(), "node-1");
    EXPECT_FALSE(c.consumer_config().get("group.instance.id"));
    EXPECT_EQ(streams_config(minimal()).group_instance_id(), "");
}

TEST(streams_config, a_message_timeout_not_below_the_transaction_timeout_is_rejected_under_eos) {
    const std::string message = config_error_for(minimal(
        {{"processing.guarantee", "exactly_once_v2"}, {"producer.message.timeout.ms", "60000"}}));
    EXPECT_TRUE(contains(message, "'producer.message.timeout.ms'")) << message;
    EXPECT_TRUE(contains(message, "abort the transaction")) << message;
    // The alias librdkafka also accepts is caught the same way.
    EXPECT_TRUE(contains(config_error_for(minimal({{"processing.guarantee", "exactly_once_v2"},
                                                   {"producer.delivery.timeout.ms", "90000"}})),
                         "'producer.delivery.timeout.ms'"));
    // Under at_least_once there is no transaction to abort.
    EXPECT_NO_THROW(streams_config(minimal({{"producer.message.timeout.ms", "600000"}})));
}

TEST(streams_config, a_shorter_transaction_timeout_brings_the_message_timeout_down_with_it) {
    const streams_config c(minimal({{"processing.guarantee", "exactly_once_v2"},
                                    {"producer.transaction.timeout.ms", "12000"}}));
    EXPECT_EQ(c.producer_config().get("message.timeout.ms"), "11000");
}

TEST(streams_config, the_old_cache_key_is_accepted_as_an_alias) {
    EXPECT_EQ(streams_config(minimal({{"cache.max.bytes.buffering", "0"}})).cache_max_bytes(), 0);
    EXPECT_EQ(streams_config(minimal({{"statestore.cache.max.bytes", "42"}})).cache_max_bytes(),
              42);
    EXPECT_TRUE(contains(config_error_for(minimal({{"cache.max.bytes.buffering", "1"},
                                                   {"statestore.cache.max.bytes", "2"}})),
                         "keep only statestore.cache.max.bytes"));
}

TEST(streams_config, deserialization_handlers_accept_words_and_kafka_class_names) {
    const auto handler = [](const std::string& word) {
        return streams_config(minimal({{"default.deserialization.exception.handler", word}}))
            .on_deserialization_error();
    };
    EXPECT_EQ(handler("log_and_continue"), deserialization_handler::log_and_continue);
    EXPECT_EQ(handler("LogAndContinueExceptionHandler"), deserialization_handler::log_and_continue);
    EXPECT_EQ(handler("org.apache.kafka.streams.errors.LogAndFailExceptionHandler"),
              deserialization_handler::fail);
    EXPECT_TRUE(contains(
        config_error_for(minimal({{"default.deserialization.exception.handler", "ignore"}})),
        "'default.deserialization.exception.handler'"));
}

TEST(streams_config, the_dead_letter_handler_uses_the_application_topic_unless_one_is_named) {
    const streams_config by_default(
        minimal({{"default.deserialization.exception.handler", "dead_letter"}}));
    EXPECT_EQ(by_default.dead_letter_topic(), "word-count-dlq");
    const streams_config named(
        minimal({{"default.deserialization.exception.handler", "dead_letter"},
                 {"errors.dead.letter.queue.topic.name", "bad-records"}}));
    EXPECT_EQ(named.dead_letter_topic(), "bad-records");
    EXPECT_TRUE(contains(
        config_error_for(minimal({{"default.deserialization.exception.handler", "dead_letter"},
                                  {"errors.dead.letter.queue.topic.name", ""}})),
        "'errors.dead.letter.queue.topic.name'"));
}

TEST(streams_config, to_string_lists_effective_settings_and_hides_passwords) {
    const streams_config c(minimal({{"sasl.password", "s3cret"},
                                    {"ssl.key.password", "k3y"},
                                    {"producer.ssl.keystore.password", "shh"}}));
    const std::string text = c.to_string();
    EXPECT_FALSE(contains(text, "s3cret")) << text;
    EXPECT_FALSE(contains(text, "k3y")) << text;
    EXPECT_FALSE(contains(text, "shh")) << text;
    EXPECT_TRUE(contains(text, "consumer.sasl.password=[hidden]\n")) << text;
    EXPECT_TRUE(contains(text, "commit.interval.ms=30000\n")) << text;
    EXPECT_TRUE(contains(text, "application.id=word-count\n")) << text;
    EXPECT_TRUE(contains(text, "consumer.enable.auto.commit=false\n")) << text;
}

TEST(streams_config, a_rejected_secret_is_not_repeated_in_the_error) {
    const std::string message = config_error_for(minimal({{"sasl.passwordd", "s3cret"}}));
    EXPECT_TRUE(contains(message, "'sasl.passwordd'")) << message;
    EXPECT_FALSE(contains(message, "s3cret")) << message;
}

TEST(properties_file, comments_blank_lines_and_all_three_separators_are_understood) {
    const auto p = parse_properties("# a comment\n"
                                    "! another comment\n"
                                    "\n"
                                    "   \t\n"
                                    "equals=1\n"
                                    "colon: 2\n"
                                    "space   3\n"
                                    "  indented = 4\n"
                                    "both = : 5\n"
                                    "empty=\n"
                                    "bare\n"
                                    "trailing = kept  \r\n"
                                    "equals=6\n",
                                    "test");
    EXPECT_EQ(p, (props{{"equals", "6"},
                        {"colon", "2"},
                        {"space", "3"},
                        {"indented", "4"},
                        {"both", ": 5"},
                        {"empty", ""},
                        {"bare", ""},
                        {"trailing", "kept  "}}));
}

TEST(properties_file, a_trailing_backslash_continues_the_line_without_its_indentation) {
    const auto p = parse_properties("list = a,\\\n"
                                    "       b,\\\n"
                                    "       c\n"
                                    "even = x\\\\\n"
                                    "next = y\n"
                                    "# a comment ends here \\\n"
                                    "after = z\n",
                                    "test");
    EXPECT_EQ(p.at("list"), "a,b,c");
    EXPECT_EQ(p.at("even"), "x\\");
    EXPECT_EQ(p.at("next"), "y");
    EXPECT_EQ(p.at("after"), "z");
}

TEST(properties_file, escapes_are_decoded_in_keys_and_values) {
    const auto p = parse_properties("tab=a\\tb\n"
                                    "lines=1\\n2\\r3\n"
                                    "slash=c:\\\\dir\n"
                                    "key\\=with\\:separators\\ and\\ space = v\\=1\\:2\n"
                                    "hash=\\#not a comment\n",
                                    "test");
    EXPECT_EQ(p.at("tab"), "a\tb");
    EXPECT_EQ(p.at("lines"), "1\n2\r3");
    EXPECT_EQ(p.at("slash"), "c:\\dir");
    EXPECT_EQ(p.at("key=with:separators and space"), "v=1:2");
    EXPECT_EQ(p.at("hash"), "#not a comment");
}

TEST(properties_file, unicode_escapes_become_utf8) {
    const auto p = parse_properties("e=caf\\u00e9\n"
                                    "euro=\\u20AC\n"
                                    "emoji=\\uD83D\\uDE00\n",
                                    "test");
    EXPECT_EQ(p.at("e"), "caf\xC3\xA9");
    EXPECT_EQ(p.at("euro"), "\xE2\x82\xAC");
    EXPECT_EQ(p.at("emoji"), "\xF0\x9F\x98\x80");
}

TEST(properties_file, a_bad_unicode_escape_is_rejected_with_the_source_and_line) {
    const std::string message =
        error_of([] { (void)parse_properties("a=1\n# note\nb=bad\\u12G4\n", "app.properties"); });
    EXPECT_TRUE(contains(message, "app.properties:3:")) << message;
    EXPECT_TRUE(contains(message, "\\u12G4")) << message;

    const std::string continued =
        error_of([] { (void)parse_properties("a=one,\\\n  two,\\\n  \\u12\n", "app.properties"); });
    EXPECT_TRUE(contains(continued, "app.properties:3:")) << continued;

    const std::string lone = error_of([] { (void)parse_properties("a=\\uD83D\n", "x"); });
    EXPECT_TRUE(contains(lone, "surrogate")) << lone;
}

TEST(properties_file, an_unreadable_file_is_rejected_naming_it) {
    const std::string message =
        error_of([] { (void)load_properties_file("/nonexistent/brook/app.properties"); });
    EXPECT_TRUE(contains(message, "/nonexistent/brook/app.properties")) << message;
}

TEST(streams_config, from_sources_applies_defaults_then_the_file_then_overrides_in_order) {
    const temp_file file("application.id = from-file\n"
                         "bootstrap.servers = broker:9092\n"
                         "num.stream.threads = 2\n"
                         "poll.ms = 50\n");
    const streams_config c = streams_config::from_sources(
        file.path(), {"num.stream.threads=3", "commit.interval.ms = 500", "num.stream.threads=4"},
        {{"num.stream.threads", "8"}, {"poll.ms", "10"}, {"max.task.idle.ms", "7"}});
    EXPECT_EQ(c.application_id(), "from-file");
    EXPECT_EQ(c.num_stream_threads(), 4);
    EXPECT_EQ(c.commit_interval(), 500ms);
    EXPECT_EQ(c.poll_timeout(), 50ms);
    EXPECT_EQ(c.max_task_idle(), 7ms);
}

TEST(streams_config, from_sources_errors_name_the_file_line_or_the_override) {
    const temp_file file("application.id = app\n"
                         "bootstrap.servers = broker:9092\n"
                         "\n"
                         "comit.interval.ms = 5\n");
    const std::string from_file =
        error_of([&] { (void)streams_config::from_sources(file.path(), {}); });
    EXPECT_TRUE(contains(from_file, file.path().string() + " line 4")) << from_file;

    const std::string from_flag = error_of([&] {
        (void)streams_config::from_sources(
            {}, {"application.id=a", "bootstrap.servers=b", "poll.ms=often"});
    });
    EXPECT_TRUE(contains(from_flag, "override 'poll.ms=often'")) << from_flag;

    const std::string bad_syntax =
        error_of([&] { (void)streams_config::from_sources(file.path(), {"num.stream.threads"}); });
    EXPECT_TRUE(contains(bad_syntax, "key=value")) << bad_syntax;

    // An override quoted in an error is bounded (found by fuzz/streams_config.cc: 24 KB).
    const std::string long_override =
        error_of([&] { (void)streams_config::from_sources({}, {std::string(30000, '.')}); });
    EXPECT_LT(long_override.size(), 1024u);
    EXPECT_TRUE(contains(long_override, "key=value")) << long_override;
}

// ---- sizes from outside are bounded -----------------------------------------------------

TEST(streams_config, a_key_of_thirty_thousand_dots_is_refused_as_unknown_without_a_search) {
    // Once a quadratic "did you mean" search: 8,000 dots took 23 s, 30,000 hung start-up.
    const std::string message = config_error_for(minimal({{std::string(30000, '.'), "x"}}));
    EXPECT_TRUE(contains(message, "unknown configuration key '....")) << message;
    EXPECT_TRUE(contains(message, "it is 30000 bytes long")) << message;
    EXPECT_TRUE(contains(message, "no configuration key is longer than 256")) << message;
    EXPECT_FALSE(contains(message, "did you mean")) << message;
    EXPECT_LT(message.size(), 1000u) << "the message quotes the whole key";
}

TEST(streams_config, a_thirty_thousand_dot_key_in_a_file_is_refused_naming_the_file_and_line) {
    const temp_file file(std::string("application.id = app\n"
                                     "bootstrap.servers = broker:9092\n") +
                         std::string(30000, '.') + "=1\n");
    const std::string message =
        error_of([&] { (void)streams_config::from_sources(file.path(), {}); });
    EXPECT_TRUE(contains(message, file.path().string() + " line 3")) << message;
    EXPECT_TRUE(contains(message, "no configuration key is longer than 256")) << message;
}

TEST(streams_config, keys_up_to_the_limit_are_looked_up_and_longer_ones_are_not) {
    // 256 bytes, starting with a misspelt prefix: still searched, and still unknown.
    const std::string at_limit = "consumr." + std::string(248, '.');
    ASSERT_EQ(at_limit.size(), max_config_key_bytes);
    const std::string message = config_error_for(minimal({{at_limit, "1"}}));
    EXPECT_TRUE(contains(message, "unknown configuration key")) << message;
    EXPECT_FALSE(contains(message, "bytes long")) << message;

    const std::string past_limit = "consumer.fetch.max.bytes" + std::string(233, ' ');
    ASSERT_EQ(past_limit.size(), max_config_key_bytes + 1);
    EXPECT_TRUE(contains(config_error_for(minimal({{past_limit, "1"}})), "257 bytes long"));
}

TEST(streams_config, a_value_over_a_mebibyte_is_refused_naming_its_key_and_not_quoted_whole) {
    const std::string message =
        config_error_for(minimal({{"client.id", std::string(max_config_value_bytes + 1, 'v')}}));
    EXPECT_TRUE(contains(message, "configuration key 'client.id'")) << message;
    EXPECT_TRUE(contains(message, "has a value of 1048577 bytes")) << message;
    EXPECT_LT(message.size(), 1000u);
    // One at the limit is not refused for its size (librdkafka takes a long client.id).
    EXPECT_NO_THROW(streams_config(
        minimal({{"consumer.client.rack", std::string(max_config_value_bytes, 'r')}})));
}

TEST(streams_config, more_keys_than_any_configuration_has_are_refused) {
    props p = minimal();
    for (std::size_t i = 0; i < max_config_entries; ++i) {
        p["consumer.x" + std::to_string(i)] = "1";
    }
    const std::string message = config_error_for(p);
    EXPECT_TRUE(contains(message, "10002 keys, more than the 10000")) << message;
}

TEST(streams_config, keys_and_values_quoted_in_messages_are_made_safe_text) {
    const std::string message = config_error_for(minimal({{"num.stream.threads", "\xff\n2"}}));
    EXPECT_TRUE(contains(message, "'num.stream.threads' = '\\xFF\\n2'")) << message;
}

TEST(properties_file, more_lines_than_the_bound_are_refused_naming_the_source) {
    std::string text;
    for (std::size_t i = 0; i <= max_properties_lines; ++i) {
        text += "\n";
    }
    const std::string message = error_of([&] { (void)parse_properties(text, "big.properties"); });
    EXPECT_TRUE(contains(message, "big.properties: more than 100000 lines")) << message;
}

TEST(properties_file, an_entry_longer_than_the_bound_is_refused_naming_its_first_line) {
    // Continuation lines each short, together past the bound.
    std::string text = "a=1\nkey = ";
    const std::string piece(1000, 'x');
    for (std::size_t joined = 0; joined <= max_property_line_bytes; joined += piece.size()) {
        text += piece + "\\\n";
    }
    text += "end\n";
    const std::string message = error_of([&] { (void)parse_properties(text, "app.properties"); });
    EXPECT_TRUE(contains(message, "app.properties:2: the entry starting here is longer than 2 MiB"))
        << message;
}

TEST(properties_file, text_and_files_over_the_size_bound_are_refused_reading_no_further) {
    const std::string text(max_properties_bytes + 1, '#');
    EXPECT_TRUE(
        contains(error_of([&] { (void)parse_properties(text, "x"); }), "larger than 8 MiB"));
    // An endless file: read up to the bound, then refused.
    const std::string message = error_of([] { (void)load_properties_file("/dev/zero"); });
    EXPECT_TRUE(contains(message, "'/dev/zero': it is larger than 8 MiB")) << message;
}

TEST(streams_config, copies_are_equal_and_independent) {
    const streams_config a(minimal({{"num.stream.threads", "3"}}));
    const streams_config b = a; // NOLINT(performance-unnecessary-copy-initialization)
    EXPECT_EQ(b.num_stream_threads(), 3);
    EXPECT_EQ(b.to_string(), a.to_string());
}

} // namespace
} // namespace brook
