#include "engine/config/streams_config.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <utility>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "engine/config/properties_file.h"
#include "engine/errors.h"
#include "engine/kafka/handles.h"
#include "engine/text/safe_text.h"

namespace brook {
namespace {

// Brook's own keys. Kafka Streams' names where Kafka Streams has the setting.
constexpr std::string_view application_id_key = "application.id";
constexpr std::string_view bootstrap_servers_key = "bootstrap.servers";
constexpr std::string_view num_stream_threads_key = "num.stream.threads";
constexpr std::string_view num_standby_replicas_key = "num.standby.replicas";
constexpr std::string_view acceptable_recovery_lag_key = "acceptable.recovery.lag";
constexpr std::string_view warmup_timeout_key = "warmup.timeout.ms";
constexpr std::string_view commit_interval_key = "commit.interval.ms";
constexpr std::string_view repartition_purge_interval_key = "repartition.purge.interval.ms";
constexpr std::string_view processing_guarantee_key = "processing.guarantee";
constexpr std::string_view state_dir_key = "state.dir";
constexpr std::string_view poll_ms_key = "poll.ms";
constexpr std::string_view replication_factor_key = "replication.factor";
constexpr std::string_view cache_max_bytes_key = "statestore.cache.max.bytes";
constexpr std::string_view old_cache_max_bytes_key = "cache.max.bytes.buffering";
constexpr std::string_view buffered_records_key = "buffered.records.per.partition";
constexpr std::string_view max_task_idle_key = "max.task.idle.ms";
constexpr std::string_view deser_handler_key = "default.deserialization.exception.handler";
constexpr std::string_view dead_letter_topic_key = "errors.dead.letter.queue.topic.name";
constexpr std::string_view production_handler_key = "default.production.exception.handler";
constexpr std::string_view new_production_handler_key = "production.exception.handler";
constexpr std::string_view processing_handler_key = "processing.exception.handler";
constexpr std::string_view max_event_time_future_key = "max.event.time.future.ms";
constexpr std::string_view stall_timeout_key = "stall.timeout.ms";
constexpr std::string_view group_instance_id_key = "group.instance.id";
constexpr std::string_view application_server_key = "application.server";
constexpr std::string_view shutdown_timeout_key = "shutdown.timeout.ms";
constexpr std::string_view broker_wait_timeout_key = "broker.wait.timeout.ms";
constexpr std::string_view client_id_key = "client.id";
constexpr std::string_view security_protocol_key = "security.protocol";
constexpr std::string_view rocksdb_block_cache_key = "rocksdb.block.cache.bytes";
constexpr std::string_view rocksdb_write_buffer_key = "rocksdb.write.buffer.manager.bytes";
constexpr std::string_view topology_optimization_key = "topology.optimization";

constexpr std::array brook_keys{
    application_id_key,
    bootstrap_servers_key,
    num_stream_threads_key,
    num_standby_replicas_key,
    acceptable_recovery_lag_key,
    warmup_timeout_key,
    commit_interval_key,
    repartition_purge_interval_key,
    processing_guarantee_key,
    state_dir_key,
    poll_ms_key,
    replication_factor_key,
    cache_max_bytes_key,
    old_cache_max_bytes_key,
    buffered_records_key,
    max_task_idle_key,
    deser_handler_key,
    dead_letter_topic_key,
    production_handler_key,
    new_production_handler_key,
    processing_handler_key,
    max_event_time_future_key,
    stall_timeout_key,
    group_instance_id_key,
    application_server_key,
    shutdown_timeout_key,
    broker_wait_timeout_key,
    client_id_key,
    security_protocol_key,
    rocksdb_block_cache_key,
    rocksdb_write_buffer_key,
    topology_optimization_key,
};

// The kinds of Kafka client Brook creates, each with the prefix that addresses it.
enum class client_kind { consumer, producer, admin, restore_consumer };

struct client_prefix {
    client_kind kind;
    std::string_view prefix;
    std::string_view noun; // for messages
};

// restore.consumer. is listed before consumer. only for readability: neither prefix is
// the start of the other, so the order does not decide anything.
constexpr std::array client_prefixes{
    client_prefix{client_kind::restore_consumer, "restore.consumer.", "restore consumer"},
    client_prefix{client_kind::consumer, "consumer.", "consumer"},
    client_prefix{client_kind::producer, "producer.", "producer"},
    client_prefix{client_kind::admin, "admin.", "admin client"},
};
constexpr std::size_t producer_index = 2;
static_assert(client_prefixes[producer_index].kind == client_kind::producer);

// librdkafka accepts some properties under two names. When a later layer (the user's
// prefixed keys) sets one name, an earlier layer's value under the other name must go,
// or the order librdkafka applies a std::map in would decide the winner.
constexpr std::array<std::pair<std::string_view, std::string_view>, 3> librdkafka_aliases{{
    {"delivery.timeout.ms", "message.timeout.ms"},
    {"queue.buffering.max.ms", "linger.ms"},
    {"sasl.mechanism", "sasl.mechanisms"},
}};

std::string_view canonical_name(std::string_view key) {
    for (const auto& [alias, name] : librdkafka_aliases) {
        if (key == alias) {
            return name;
        }
    }
    return key;
}

bool is_client_wide(std::string_view key) {
    return key == client_id_key || key == security_protocol_key || key.starts_with("sasl.") ||
           key.starts_with("ssl.");
}

bool is_secret(std::string_view key) {
    std::string lower(key);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return lower.find("password") != std::string::npos ||
           lower.find("secret") != std::string::npos || lower.ends_with("ssl.key.pem") ||
           lower.ends_with("sasl.oauthbearer.config") || lower.ends_with("sasl.jaas.config");
}

// How much of a key or value a message quotes: enough to recognise it, never a
// certificate bundle or a 60 KB typo.
constexpr std::size_t quoted_limit = 200;

std::string shown_value(std::string_view key, std::string_view value) {
    return is_secret(key) ? std::string("[hidden]") : text::safe(value, quoted_limit);
}

std::string shown_key(std::string_view key) {
    return text::safe(key, quoted_limit);
}

std::string_view trim(std::string_view s) {
    const auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
    while (!s.empty() && blank(s.front())) {
        s.remove_prefix(1);
    }
    while (!s.empty() && blank(s.back())) {
        s.remove_suffix(1);
    }
    return s;
}

// Optimal string alignment distance: insertions, deletions, substitutions and adjacent
// transpositions each cost one, so "comit" and "commti" are both one step from "commit".
// Strings whose lengths differ by more than `limit` are that far apart at least, so they
// get limit + 1 without the quadratic table; callers compare short known names.
std::size_t edit_distance(std::string_view a, std::string_view b, std::size_t limit = 2) {
    const std::size_t n = a.size();
    const std::size_t m = b.size();
    if ((n > m ? n - m : m - n) > limit) {
        return limit + 1;
    }
    std::vector<std::vector<std::size_t>> d(n + 1, std::vector<std::size_t>(m + 1));
    for (std::size_t i = 0; i <= n; ++i) {
        d[i][0] = i;
    }
    for (std::size_t j = 0; j <= m; ++j) {
        d[0][j] = j;
    }
    for (std::size_t i = 1; i <= n; ++i) {
        for (std::size_t j = 1; j <= m; ++j) {
            const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
                d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
            }
        }
    }
    return d[n][m];
}

// Asks librdkafka whether it accepts key=value; returns its reason when it does not.
// rd_kafka_conf_set checks one property at a time, which is what lets a rejection be
// pinned on the user's own (prefixed) key.
std::optional<std::string> librdkafka_rejects(const std::string& key, const std::string& value) {
    kafka::conf_ptr conf(rd_kafka_conf_new());
    std::array<char, 512> errstr{};
    if (rd_kafka_conf_set(conf.get(), key.c_str(), value.c_str(), errstr.data(), errstr.size()) ==
        RD_KAFKA_CONF_OK) {
        return std::nullopt;
    }
    return std::string(errstr.data());
}

bool librdkafka_knows(const std::string& key) {
    kafka::conf_ptr conf(rd_kafka_conf_new());
    std::array<char, 512> errstr{};
    // The value may be invalid for this key; only "unknown" says librdkafka lacks the key.
    return rd_kafka_conf_set(conf.get(), key.c_str(), "", errstr.data(), errstr.size()) !=
           RD_KAFKA_CONF_UNKNOWN;
}

// The value librdkafka will use for key after applying every property of config, with
// aliases and case already normalised by librdkafka (e.g. "T" -> "true").
std::string effective_value(const kafka::client_config& config, const char* key) {
    kafka::conf_ptr conf = config.build();
    std::array<char, 512> value{};
    std::size_t size = value.size();
    if (rd_kafka_conf_get(conf.get(), key, value.data(), &size) != RD_KAFKA_CONF_OK) {
        return {};
    }
    return std::string(value.data());
}

// The user's keys for one kind of client, prefix stripped, and where each came from.
struct client_overrides {
    const client_prefix* prefix = nullptr;
    std::map<std::string, std::string> props; // stripped key -> value

    std::string original_key(std::string_view stripped) const {
        return fmt::format("{}{}", prefix->prefix, stripped);
    }
};

// Reads and checks the user's map; every failure names the key and where it came from.
class validator {
public:
    validator(const std::map<std::string, std::string>& props,
              const std::map<std::string, std::string>& origins)
        : _props(props), _origins(origins) {}

    std::string where(std::string_view key) const {
        auto it = _origins.find(std::string(key));
        return it == _origins.end() ? std::string() : fmt::format(" (from {})", it->second);
    }

    // "configuration key 'x' = 'v' (from f line 3)", the start of most messages.
    std::string describe(std::string_view key) const {
        auto it = _props.find(std::string(key));
        if (it == _props.end()) {
            return fmt::format("configuration key '{}'{}", shown_key(key), where(key));
        }
        return fmt::format("configuration key '{}' = '{}'{}", shown_key(key),
                           shown_value(key, it->second), where(key));
    }

    [[noreturn]] void fail(std::string_view key, std::string_view problem) const {
        throw config_error(fmt::format("{} {}", describe(key), problem));
    }

    std::optional<std::string> get(std::string_view key) const {
        auto it = _props.find(std::string(key));
        if (it == _props.end()) {
            return std::nullopt;
        }
        return std::string(trim(it->second));
    }

    std::string get_or(std::string_view key, std::string fallback) const {
        return get(key).value_or(std::move(fallback));
    }

    // An integer in [min, max], or fallback when the key is absent.
    std::int64_t get_int(std::string_view key, std::int64_t fallback, std::int64_t min,
                         std::int64_t max = std::numeric_limits<std::int64_t>::max()) const {
        const std::optional<std::string> text = get(key);
        if (!text) {
            return fallback;
        }
        const std::string range = max == std::numeric_limits<std::int64_t>::max()
                                      ? fmt::format("a whole number >= {}", min)
                                      : fmt::format("a whole number from {} to {}", min, max);
        std::int64_t value = 0;
        const char* first = text->data();
        const char* last = first + text->size();
        const auto [end, ec] = std::from_chars(first, last, value);
        if (ec == std::errc::result_out_of_range) {
            fail(key, fmt::format("is out of range; write {}", range));
        }
        if (ec != std::errc() || end != last || text->empty()) {
            fail(key, fmt::format("is not a whole number; write {}", range));
        }
        if (value < min || value > max) {
            fail(key, fmt::format("is out of range; write {}", range));
        }
        return value;
    }

    std::chrono::milliseconds get_ms(std::string_view key, std::int64_t fallback,
                                     std::int64_t min) const {
        return std::chrono::milliseconds(get_int(key, fallback, min));
    }

    // Builds the message for a key that is neither Brook's, client-wide nor prefixed.
    [[noreturn]] void fail_unknown(const std::string& key) const {
        std::string message =
            fmt::format("unknown configuration key '{}'{}", shown_key(key), where(key));
        if (key.size() > max_config_key_bytes) {
            // No key is this long: nothing to look up, nothing close to suggest.
            throw config_error(fmt::format("{}: it is {} bytes long, and no configuration key is "
                                           "longer than {}; check the line for a missing "
                                           "separator or newline",
                                           message, key.size(), max_config_key_bytes));
        }
        if (librdkafka_knows(key)) {
            throw config_error(fmt::format(
                "{}: it is a librdkafka client property, so prefix it with the client it is for: "
                "consumer., producer., admin. or restore.consumer. (e.g. 'consumer.{}')",
                message, key));
        }
        if (const std::optional<std::string> close = suggestion(key)) {
            throw config_error(fmt::format("{}; did you mean '{}'?", message, *close));
        }
        throw config_error(fmt::format(
            "{}; Brook accepts {}, the client-wide keys sasl.* and ssl.*, and librdkafka "
            "properties prefixed with consumer., producer., admin. or restore.consumer.",
            message, fmt::join(brook_keys, ", ")));
    }

private:
    static std::optional<std::string> suggestion(const std::string& key) {
        std::optional<std::string> best;
        std::size_t best_distance = 3; // suggest only within distance 2
        for (std::string_view known : brook_keys) {
            const std::size_t d = edit_distance(key, known);
            if (d < best_distance) {
                best_distance = d;
                best = std::string(known);
            }
        }
        if (best) {
            return best;
        }
        // A misspelt prefix ("consumr.fetch.max.bytes"), or Kafka Streams' main.consumer.,
        // in front of a property librdkafka knows.
        constexpr std::array<std::pair<std::string_view, std::string_view>, 7> prefixes{{
            {"consumer.", "consumer."},
            {"producer.", "producer."},
            {"admin.", "admin."},
            {"restore.consumer.", "restore.consumer."},
            {"main.consumer.", "consumer."},
            {"sasl.", "sasl."},
            {"ssl.", "ssl."},
        }};
        // Only a head within edit distance 2 of a prefix can match, so only the dots in the
        // first few bytes are looked at: the work is bounded whatever the key.
        constexpr std::size_t longest_head = std::string_view("restore.consumer.").size() + 2;
        for (std::size_t dot = key.find('.'); dot != std::string::npos && dot < longest_head;
             dot = key.find('.', dot + 1)) {
            const std::string_view head = std::string_view(key).substr(0, dot + 1);
            const std::string rest = key.substr(dot + 1);
            if (rest.empty()) {
                continue;
            }
            for (const auto& [typo_of, replacement] : prefixes) {
                const bool client_wide = replacement == "sasl." || replacement == "ssl.";
                const std::string candidate = fmt::format("{}{}", replacement, rest);
                if (edit_distance(head, typo_of) <= 2 &&
                    librdkafka_knows(client_wide ? candidate : rest)) {
                    return candidate;
                }
            }
        }
        return std::nullopt;
    }

    const std::map<std::string, std::string>& _props;
    const std::map<std::string, std::string>& _origins;
};

// Rejects a map that sets one librdkafka property under both of its names, since only the
// std::map order would decide which one wins. key_of turns a map key back into the user's.
template <typename KeyOf>
void reject_alias_pairs(const validator& v, const std::map<std::string, std::string>& props,
                        KeyOf key_of) {
    for (const auto& [alias, name] : librdkafka_aliases) {
        if (props.contains(std::string(alias)) && props.contains(std::string(name))) {
            v.fail(key_of(alias), fmt::format("and '{}' are two names librdkafka has for one "
                                              "property; keep only one",
                                              key_of(name)));
        }
    }
}

// Under exactly_once_v2 a record still being retried when its transaction times out would
// abort the transaction, and a commit interval past the transaction timeout would time out
// every transaction. librdkafka itself only insists on message.timeout.ms <=
// transaction.timeout.ms, and only when the producer is created.
void check_transaction_timeouts(const validator& v, const client_overrides& user,
                                const kafka::client_config& producer,
                                std::chrono::milliseconds commit_interval) {
    const auto user_key = [&](std::string_view canonical) -> std::optional<std::string> {
        for (const auto& [key, unused] : user.props) {
            if (canonical_name(key) == canonical) {
                return user.original_key(key);
            }
        }
        return std::nullopt;
    };
    const std::string transaction_key =
        user_key("transaction.timeout.ms")
            .value_or(fmt::format("{}transaction.timeout.ms", user.prefix->prefix));
    // Both values were accepted by librdkafka as integers, and it reports them as such.
    const std::int64_t message_timeout =
        std::stoll(effective_value(producer, "message.timeout.ms"));
    const std::int64_t transaction_timeout =
        std::stoll(effective_value(producer, "transaction.timeout.ms"));
    const std::string transaction_shown =
        fmt::format("{} ({} ms{})", transaction_key, transaction_timeout,
                    user_key("transaction.timeout.ms") ? "" : ", Brook's default");
    // librdkafka reads message.timeout.ms=0 as "never time out". Brook's own default and the
    // one derived from a user's transaction timeout are below it, so a violation is always
    // the user's message timeout.
    if (message_timeout == 0 || message_timeout >= transaction_timeout) {
        const std::string message_key =
            user_key("message.timeout.ms")
                .value_or(fmt::format("{}message.timeout.ms", user.prefix->prefix));
        v.fail(message_key,
               fmt::format("is not below {} under exactly_once_v2{}: a record still being "
                           "retried when its transaction times out would abort the transaction; "
                           "lower {} or raise {}",
                           transaction_shown, message_timeout == 0 ? " (0 means never)" : "",
                           message_key, transaction_key));
    }
    if (commit_interval.count() >= transaction_timeout) {
        v.fail(commit_interval_key,
               fmt::format("is not below {} under exactly_once_v2: every transaction would "
                           "time out before its commit; lower commit.interval.ms or raise {}",
                           transaction_shown, transaction_key));
    }
}

bool is_valid_topic_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
}

// Brook's own defaults for each client kind. They go in first so that the user's keys
// replace them.
kafka::client_config brook_defaults(client_kind kind, processing_guarantee guarantee) {
    const bool eos = guarantee == processing_guarantee::exactly_once_v2;
    switch (kind) {
    case client_kind::consumer:
        // Offsets are committed by the runtime after the records are processed (or inside
        // the transaction). The range assignor gives partition p of every topic to the same
        // member, so a task's co-partitioned inputs stay together (docs/runtime.md: Placement).
        // fetch.wait.max.ms: librdkafka keeps one fetch in flight per broker, and a newly
        // assigned partition joins the next fetch only once its start offset is known. The
        // first fetch after an assignment often carries only an empty partition (a
        // repartition topic, or under read_committed one whose records wait for a commit),
        // and the broker holds it for the full wait while the other partitions have data:
        // half a second idle with librdkafka's default of 500 ms, measured in brook-bench.
        return {{"enable.auto.commit", "false"},
                {"auto.offset.reset", "earliest"},
                {"partition.assignment.strategy", "range"},
                {"fetch.wait.max.ms", "100"},
                {"isolation.level", eos ? "read_committed" : "read_uncommitted"}};
    case client_kind::restore_consumer:
        // Changelogs may be written transactionally; a restore must never see aborted data.
        // No group: the restore consumer assigns partitions itself.
        return {{"enable.auto.commit", "false"},
                {"auto.offset.reset", "earliest"},
                {"isolation.level", "read_committed"}};
    case client_kind::producer: {
        kafka::client_config c{{"linger.ms", "5"}, {"enable.idempotence", "true"}};
        if (eos) {
            // A message still retried when its transaction times out would abort the
            // transaction, so its timeout stays below the transaction's.
            c.set("transaction.timeout.ms", "60000");
            c.set("message.timeout.ms", "55000");
        }
        return c;
    }
    case client_kind::admin:
        return {};
    }
    return {};
}

// Sets key in config, removing any earlier value under librdkafka's other name for it.
void set_replacing_alias(kafka::client_config& config, const std::string& key,
                         const std::string& value) {
    const std::string_view canonical = canonical_name(key);
    std::vector<std::string> doomed;
    for (const auto& [existing, unused] : config.properties()) {
        if (existing != key && canonical_name(existing) == canonical) {
            doomed.push_back(existing);
        }
    }
    if (doomed.empty()) {
        config.set(key, value);
        return;
    }
    std::map<std::string, std::string> kept = config.properties();
    for (const std::string& k : doomed) {
        kept.erase(k);
    }
    kept[key] = value;
    config = kafka::client_config{};
    for (auto& [k, v] : kept) {
        config.set(k, std::move(v));
    }
}

} // namespace

streams_config::streams_config(std::map<std::string, std::string> props)
    : streams_config(std::move(props), {}) {}

streams_config::streams_config(std::map<std::string, std::string> props,
                               const std::map<std::string, std::string>& origins)
    : _originals(std::move(props)) {
    const validator v(_originals, origins);

    // 0. Sizes, before any work that grows with them.
    if (_originals.size() > max_config_entries) {
        throw config_error(fmt::format("the configuration has {} keys, more than the {} Brook "
                                       "reads; a configuration has a few dozen",
                                       _originals.size(), max_config_entries));
    }
    for (const auto& [key, value] : _originals) {
        if (key.size() > max_config_key_bytes) {
            v.fail_unknown(key);
        }
        if (value.size() > max_config_value_bytes) {
            v.fail(key, fmt::format("has a value of {} bytes, more than the {} MiB a value may "
                                    "have; the largest real values are certificate bundles",
                                    value.size(), max_config_value_bytes >> 20));
        }
    }

    // 1. Sort every key into Brook's, client-wide or one client's; reject the rest.
    std::map<std::string, std::string> client_wide;
    std::array<client_overrides, client_prefixes.size()> per_client;
    for (std::size_t i = 0; i < client_prefixes.size(); ++i) {
        per_client[i].prefix = &client_prefixes[i];
    }
    for (const auto& [key, value] : _originals) {
        if (std::find(brook_keys.begin(), brook_keys.end(), key) != brook_keys.end() &&
            !is_client_wide(key)) {
            continue;
        }
        if (is_client_wide(key)) {
            if (const std::optional<std::string> reason = librdkafka_rejects(key, value)) {
                v.fail(key, fmt::format("is not accepted by librdkafka: {}", *reason));
            }
            client_wide[key] = value;
            continue;
        }
        bool prefixed = false;
        for (std::size_t i = 0; i < client_prefixes.size(); ++i) {
            const std::string_view prefix = client_prefixes[i].prefix;
            if (!key.starts_with(prefix)) {
                continue;
            }
            prefixed = true;
            const std::string stripped = key.substr(prefix.size());
            if (stripped.empty()) {
                v.fail(key, fmt::format("names no librdkafka property after the prefix; write "
                                        "e.g. '{}fetch.max.bytes'",
                                        prefix));
            }
            if (const std::optional<std::string> reason = librdkafka_rejects(stripped, value)) {
                v.fail(key, fmt::format("is not accepted by librdkafka for the {}: {}",
                                        client_prefixes[i].noun, *reason));
            }
            per_client[i].props[stripped] = value;
            break;
        }
        if (!prefixed) {
            v.fail_unknown(key);
        }
    }

    // 2. Brook's own keys. The guarantee comes first: other defaults depend on it.
    if (const std::optional<std::string> word = v.get(processing_guarantee_key)) {
        if (*word == "at_least_once") {
            _guarantee = processing_guarantee::at_least_once;
        } else if (*word == "exactly_once_v2") {
            _guarantee = processing_guarantee::exactly_once_v2;
        } else if (*word == "exactly_once" || *word == "exactly_once_beta") {
            v.fail(processing_guarantee_key,
                   "names an exactly-once mode Brook does not implement (Kafka Streams "
                   "deprecated it in 3.0); use exactly_once_v2");
        } else {
            v.fail(processing_guarantee_key, "is not a processing guarantee; write at_least_once "
                                             "or exactly_once_v2");
        }
    }
    const bool eos = _guarantee == processing_guarantee::exactly_once_v2;

    _application_id = v.get_or(application_id_key, "");
    if (_application_id.empty()) {
        v.fail(application_id_key, "is required: set application.id to a name for this "
                                   "application, e.g. application.id=word-count");
    }
    if (!std::all_of(_application_id.begin(), _application_id.end(), is_valid_topic_char)) {
        v.fail(application_id_key, "may only contain letters, digits, '.', '_' and '-', because "
                                   "it names the consumer group and internal topics");
    }
    _bootstrap_servers = v.get_or(bootstrap_servers_key, "");
    if (_bootstrap_servers.empty()) {
        v.fail(bootstrap_servers_key, "is required: set bootstrap.servers to host:port[,...] of "
                                      "your brokers, or to 'embedded' for the in-process demo "
                                      "cluster");
    }

    _num_stream_threads = static_cast<int>(v.get_int(num_stream_threads_key, 1, 1, 64));
    _num_standby_replicas = static_cast<int>(v.get_int(num_standby_replicas_key, 0, 0, 16));
    _acceptable_recovery_lag = v.get_int(acceptable_recovery_lag_key, 10000, 0);
    _warmup_timeout = v.get_ms(warmup_timeout_key, 300000, 0);
    _commit_interval = v.get_ms(commit_interval_key, eos ? 100 : 30000, 0);
    _repartition_purge_interval = v.get_ms(repartition_purge_interval_key, 30000, 0);
    _state_dir = v.get_or(state_dir_key, "/tmp/brook-streams");
    if (_state_dir.empty()) {
        v.fail(state_dir_key, "is empty; give a directory for the state stores or remove the key "
                              "to use /tmp/brook-streams");
    }
    // 0 would make every stream thread spin on an empty poll.
    _poll_timeout = v.get_ms(poll_ms_key, 100, 1);
    _replication_factor = static_cast<int>(v.get_int(replication_factor_key, -1, -1, 32767));
    if (_replication_factor == 0) {
        v.fail(replication_factor_key,
               "is not a replication factor; write -1 for the broker's default or 1 or more");
    }

    const std::optional<std::string> new_cache = v.get(cache_max_bytes_key);
    const std::optional<std::string> old_cache = v.get(old_cache_max_bytes_key);
    if (new_cache && old_cache && *new_cache != *old_cache) {
        v.fail(old_cache_max_bytes_key,
               fmt::format("is the old name of '{}', which is also set, to '{}'; keep only {}",
                           cache_max_bytes_key, *new_cache, cache_max_bytes_key));
    }
    _cache_max_bytes = new_cache || !old_cache
                           ? v.get_int(cache_max_bytes_key, 10 * 1024 * 1024, 0)
                           : v.get_int(old_cache_max_bytes_key, 10 * 1024 * 1024, 0);

    _rocksdb_block_cache_bytes = v.get_int(rocksdb_block_cache_key, 64LL << 20, 1LL << 20);
    _rocksdb_write_buffer_bytes = v.get_int(rocksdb_write_buffer_key, 64LL << 20, 1LL << 20);

    _buffered_records_per_partition =
        static_cast<int>(v.get_int(buffered_records_key, 1000, 1, std::numeric_limits<int>::max()));
    _max_task_idle = v.get_ms(max_task_idle_key, 0, -1);
    _shutdown_timeout = v.get_ms(shutdown_timeout_key, 30000, 0);
    _broker_wait_timeout = v.get_ms(broker_wait_timeout_key, 60000, 0);
    // Kafka Streams .properties files often carry topology.optimization=all; parse() refuses
    // what Brook does not make rather than give another layout than the file asks for.
    if (const std::optional<std::string> optimization = v.get(topology_optimization_key)) {
        try {
            _topology_optimization = topology_optimization::parse(*optimization);
        } catch (const std::invalid_argument& e) {
            v.fail(topology_optimization_key, e.what());
        }
    }
    _client_id = v.get_or(client_id_key, _application_id);
    if (_client_id.empty()) {
        _client_id = _application_id;
    }

    // Kafka's class names are accepted as they appear in Kafka Streams .properties files.
    const auto read_handler = [&](std::string_view key, std::string_view what,
                                  std::initializer_list<std::string_view> failing,
                                  std::initializer_list<std::string_view> continuing,
                                  error_handler fallback) {
        const std::optional<std::string> word = v.get(key);
        if (!word) {
            return fallback;
        }
        const std::string_view java_package = "org.apache.kafka.streams.errors.";
        std::string_view simple = *word;
        if (simple.starts_with(java_package)) {
            simple.remove_prefix(java_package.size());
        }
        const auto is = [&](std::initializer_list<std::string_view> names) {
            return std::find(names.begin(), names.end(), simple) != names.end();
        };
        if (*word == "fail" || is(failing)) {
            return error_handler::fail;
        }
        if (*word == "log_and_continue" || is(continuing)) {
            return error_handler::log_and_continue;
        }
        if (*word == "dead_letter") {
            return error_handler::dead_letter;
        }
        v.fail(key, fmt::format("is not a {} exception handler; write fail, log_and_continue or "
                                "dead_letter",
                                what));
        return fallback;
    };
    _on_deser_error =
        read_handler(deser_handler_key, "deserialization", {"LogAndFailExceptionHandler"},
                     {"LogAndContinueExceptionHandler"}, error_handler::fail);
    if (v.get(production_handler_key) && v.get(new_production_handler_key)) {
        v.fail(new_production_handler_key,
               fmt::format("and {} are the same setting: keep one", production_handler_key));
    }
    _on_production_error = read_handler(
        v.get(new_production_handler_key) ? new_production_handler_key : production_handler_key,
        "production", {"DefaultProductionExceptionHandler"}, {}, error_handler::fail);
    _on_processing_error =
        read_handler(processing_handler_key, "processing", {"LogAndFailProcessingExceptionHandler"},
                     {"LogAndContinueProcessingExceptionHandler"}, error_handler::fail);
    _max_event_time_future = v.get_ms(max_event_time_future_key, -1, -1);
    _stall_timeout = v.get_ms(stall_timeout_key, 60000, 1000);
    _group_instance_id = v.get_or(group_instance_id_key, "");
    if (_group_instance_id.size() > 200 ||
        !std::all_of(_group_instance_id.begin(), _group_instance_id.end(), is_valid_topic_char)) {
        v.fail(group_instance_id_key, "must be at most 200 letters, digits, '.', '_' and '-'");
    }
    _application_server = v.get_or(application_server_key, "");
    if (!_application_server.empty()) {
        const size_t colon = _application_server.rfind(':');
        const std::string_view host = std::string_view(_application_server).substr(0, colon);
        const std::string_view port_text =
            colon == std::string::npos ? std::string_view()
                                       : std::string_view(_application_server).substr(colon + 1);
        int port = 0;
        const auto [end, ec] =
            std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
        const bool host_ok =
            !host.empty() && host.size() <= 253 &&
            std::all_of(host.begin(), host.end(), [](char c) {
                return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '-';
            });
        if (colon == std::string::npos || !host_ok || ec != std::errc() ||
            end != port_text.data() + port_text.size() || port < 1 || port > 65535) {
            v.fail(application_server_key,
                   "must be host:port, the address other instances reach this one's HTTP "
                   "endpoint at (a host name or IPv4 address, and a port from 1 to 65535)");
        }
    }
    const bool any_dead_letter = _on_deser_error == error_handler::dead_letter ||
                                 _on_production_error == error_handler::dead_letter ||
                                 _on_processing_error == error_handler::dead_letter;

    const std::optional<std::string> dlq = v.get(dead_letter_topic_key);
    if (any_dead_letter) {
        if (dlq && dlq->empty()) {
            v.fail(dead_letter_topic_key,
                   fmt::format("is empty but an exception handler is dead_letter; name a topic "
                               "or remove the key to use '{}-dlq'",
                               _application_id));
        }
        _dead_letter_topic = dlq ? *dlq : _application_id + "-dlq";
    } else if (dlq && !dlq->empty()) {
        // Otherwise the setting would silently do nothing.
        v.fail(dead_letter_topic_key,
               fmt::format("is set but no exception handler is dead_letter, so no record would "
                           "go there; set {} (or {} or {}) to dead_letter, or remove the key",
                           deser_handler_key, production_handler_key, processing_handler_key));
    }
    if (!_dead_letter_topic.empty() &&
        (_dead_letter_topic.size() > 249 ||
         !std::all_of(_dead_letter_topic.begin(), _dead_letter_topic.end(), is_valid_topic_char))) {
        v.fail(dead_letter_topic_key, "is not a valid Kafka topic name; use at most 249 letters, "
                                      "digits, '.', '_' and '-'");
    }

    reject_alias_pairs(v, client_wide, [](std::string_view k) { return std::string(k); });

    // 3. The clients: Brook's defaults, then client-wide keys, then the prefixed keys.
    std::array<kafka::client_config*, client_prefixes.size()> targets{};
    for (std::size_t i = 0; i < client_prefixes.size(); ++i) {
        const client_kind kind = client_prefixes[i].kind;
        kafka::client_config& config = kind == client_kind::consumer   ? _consumer
                                       : kind == client_kind::producer ? _producer
                                       : kind == client_kind::admin    ? _admin
                                                                       : _restore_consumer;
        targets[i] = &config;
        config = brook_defaults(kind, _guarantee);
        config.set(std::string(bootstrap_servers_key), _bootstrap_servers);
        for (const auto& [key, value] : client_wide) {
            set_replacing_alias(config, key, value);
        }
        config.set(std::string(client_id_key), _client_id);
        reject_alias_pairs(v, per_client[i].props,
                           [&](std::string_view k) { return per_client[i].original_key(k); });
        for (const auto& [key, value] : per_client[i].props) {
            set_replacing_alias(config, key, value);
        }
    }
    // A user who shortens the transaction timeout gets a message timeout to match rather than
    // an error about Brook's own default.
    if (eos && per_client[producer_index].props.contains("transaction.timeout.ms") &&
        !per_client[producer_index].props.contains("message.timeout.ms") &&
        !per_client[producer_index].props.contains("delivery.timeout.ms")) {
        const std::int64_t transaction_timeout =
            std::stoll(effective_value(_producer, "transaction.timeout.ms"));
        _producer.set("message.timeout.ms", std::to_string(transaction_timeout * 11 / 12));
    }

    // 4. Keys Brook owns, and combinations that would break the processing guarantee.
    for (std::size_t i = 0; i < client_prefixes.size(); ++i) {
        const client_overrides& user = per_client[i];
        const client_kind kind = client_prefixes[i].kind;
        const bool consumer_like =
            kind == client_kind::consumer || kind == client_kind::restore_consumer;
        if (user.props.contains("group.id")) {
            v.fail(user.original_key("group.id"),
                   "is set by Brook: the consumer group is application.id; remove the key");
        }
        if (kind == client_kind::consumer && user.props.contains("partition.assignment.strategy") &&
            effective_value(*targets[i], "partition.assignment.strategy") != "range") {
            v.fail(user.original_key("partition.assignment.strategy"),
                   "must be range: it gives partition p of every input topic to the same "
                   "member, so that a task gets all of its co-partitioned inputs (librdkafka "
                   "lets no application plug in an assignor, and cooperative-sticky splits "
                   "them); remove the key");
        }
        if (kind == client_kind::consumer && user.props.contains("group.instance.id")) {
            v.fail(user.original_key("group.instance.id"),
                   "is made per stream thread by Brook; set group.instance.id instead (each "
                   "thread joins as \"<group.instance.id>-<thread>\")");
        }
        if (user.props.contains("transactional.id")) {
            v.fail(user.original_key("transactional.id"),
                   "is set by Brook from application.id under exactly_once_v2; remove the key");
        }
        if (consumer_like && user.props.contains("enable.auto.commit") &&
            effective_value(*targets[i], "enable.auto.commit") == "true") {
            v.fail(user.original_key("enable.auto.commit"),
                   "would commit offsets of records not yet processed; Brook commits offsets "
                   "itself, so remove the key");
        }
        if (consumer_like && user.props.contains("isolation.level") &&
            (eos || kind == client_kind::restore_consumer) &&
            effective_value(*targets[i], "isolation.level") != "read_committed") {
            v.fail(user.original_key("isolation.level"),
                   kind == client_kind::restore_consumer
                       ? "must be read_committed: restoring aborted changelog records would "
                         "corrupt the stores; remove the key"
                       : "must be read_committed under exactly_once_v2, or aborted records would "
                         "be processed; remove the key");
        }
        if (kind == client_kind::producer && eos && user.props.contains("enable.idempotence") &&
            effective_value(*targets[i], "enable.idempotence") != "true") {
            v.fail(user.original_key("enable.idempotence"),
                   "must be true under exactly_once_v2: transactions need an idempotent "
                   "producer; remove the key");
        }
    }
    if (eos) {
        check_transaction_timeouts(v, per_client[producer_index], _producer, _commit_interval);
    }

    // 5. The merged configs must still build; the per-key checks above make a failure here
    // unlikely, but the client would otherwise fail later, far from the cause.
    for (std::size_t i = 0; i < client_prefixes.size(); ++i) {
        try {
            (void)targets[i]->build();
        } catch (const config_error& e) {
            throw config_error(fmt::format("the {} configuration that Brook derived is not "
                                           "accepted by librdkafka: {}",
                                           client_prefixes[i].noun, e.what()));
        }
    }
}

streams_config streams_config::from_sources(const std::filesystem::path& file,
                                            const std::vector<std::string>& overrides,
                                            std::map<std::string, std::string> defaults) {
    std::map<std::string, std::string> props = std::move(defaults);
    std::map<std::string, std::string> origins;
    for (const auto& [key, unused] : props) {
        origins[key] = "the application's defaults";
    }
    if (!file.empty()) {
        for (property_entry& e : load_property_entries(file)) {
            origins[e.key] = fmt::format("{} line {}", file.string(), e.line);
            props[std::move(e.key)] = std::move(e.value);
        }
    }
    for (const std::string& text : overrides) {
        const std::size_t eq = text.find('=');
        const std::string key(trim(std::string_view(text).substr(0, eq)));
        if (eq == std::string::npos || key.empty()) {
            throw config_error(fmt::format("override '{}' is not of the form key=value; write "
                                           "e.g. num.stream.threads=4",
                                           text::safe(text, quoted_limit)));
        }
        std::string value(trim(std::string_view(text).substr(eq + 1)));
        origins[key] = fmt::format("override '{}={}'", shown_key(key), shown_value(key, value));
        props[key] = std::move(value);
    }
    return streams_config(std::move(props), origins);
}

std::string streams_config::to_string() const {
    std::map<std::string, std::string> lines;
    lines[std::string(application_id_key)] = _application_id;
    lines[std::string(bootstrap_servers_key)] = _bootstrap_servers;
    lines[std::string(num_stream_threads_key)] = std::to_string(_num_stream_threads);
    lines[std::string(num_standby_replicas_key)] = std::to_string(_num_standby_replicas);
    lines[std::string(acceptable_recovery_lag_key)] = std::to_string(_acceptable_recovery_lag);
    lines[std::string(warmup_timeout_key)] = std::to_string(_warmup_timeout.count());
    lines[std::string(commit_interval_key)] = std::to_string(_commit_interval.count());
    lines[std::string(repartition_purge_interval_key)] =
        std::to_string(_repartition_purge_interval.count());
    lines[std::string(processing_guarantee_key)] =
        _guarantee == processing_guarantee::exactly_once_v2 ? "exactly_once_v2" : "at_least_once";
    lines[std::string(state_dir_key)] = _state_dir.string();
    lines[std::string(poll_ms_key)] = std::to_string(_poll_timeout.count());
    lines[std::string(replication_factor_key)] = std::to_string(_replication_factor);
    lines[std::string(cache_max_bytes_key)] = std::to_string(_cache_max_bytes);
    lines[std::string(rocksdb_block_cache_key)] = std::to_string(_rocksdb_block_cache_bytes);
    lines[std::string(rocksdb_write_buffer_key)] = std::to_string(_rocksdb_write_buffer_bytes);
    lines[std::string(buffered_records_key)] = std::to_string(_buffered_records_per_partition);
    lines[std::string(max_task_idle_key)] = std::to_string(_max_task_idle.count());
    const auto handler_name = [](error_handler h) {
        return h == error_handler::fail               ? "fail"
               : h == error_handler::log_and_continue ? "log_and_continue"
                                                      : "dead_letter";
    };
    lines[std::string(deser_handler_key)] = handler_name(_on_deser_error);
    lines[std::string(production_handler_key)] = handler_name(_on_production_error);
    lines[std::string(processing_handler_key)] = handler_name(_on_processing_error);
    lines[std::string(max_event_time_future_key)] = std::to_string(_max_event_time_future.count());
    lines[std::string(stall_timeout_key)] = std::to_string(_stall_timeout.count());
    if (!_group_instance_id.empty()) {
        lines[std::string(group_instance_id_key)] = _group_instance_id;
    }
    if (!_application_server.empty()) {
        lines[std::string(application_server_key)] = _application_server;
    }
    lines[std::string(dead_letter_topic_key)] = _dead_letter_topic;
    lines[std::string(shutdown_timeout_key)] = std::to_string(_shutdown_timeout.count());
    lines[std::string(broker_wait_timeout_key)] = std::to_string(_broker_wait_timeout.count());
    lines[std::string(client_id_key)] = _client_id;
    const std::array<std::pair<std::string_view, const kafka::client_config*>, 4> clients{{
        {"consumer.", &_consumer},
        {"producer.", &_producer},
        {"admin.", &_admin},
        {"restore.consumer.", &_restore_consumer},
    }};
    for (const auto& [prefix, config] : clients) {
        for (const auto& [key, value] : config->properties()) {
            lines[fmt::format("{}{}", prefix, key)] = value;
        }
    }
    std::string out;
    for (const auto& [key, value] : lines) {
        out += fmt::format("{}={}\n", key, shown_value(key, value));
    }
    return out;
}

} // namespace brook
