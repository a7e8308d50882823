#include "apps/common/app_cli.h"

#include <algorithm>
#include <charconv>
#include <iostream>

#include <fmt/format.h>

#include "engine/errors.h"
#include "engine/kafka/admin_client.h"
#include "engine/kafka/embedded_cluster.h"

namespace brook::apps {

using namespace std::chrono_literals;

app_cli::app_cli(std::string program, std::string summary, std::vector<app_flag> flags)
    : _program(std::move(program)), _summary(std::move(summary)) {
    _flags = {
        {"bootstrap-servers",
         "Kafka bootstrap servers, or 'embedded' for the in-process demo "
         "cluster (not for production)",
         "embedded"},
        {"application-id", "application.id: consumer group and prefix of internal topics", ""},
        {"processing-guarantee", "at_least_once or exactly_once_v2", "at_least_once"},
        {"state-dir", "directory for local state", "/tmp/brook-streams"},
        {"config",
         "a Java .properties file with Kafka Streams keys (librdkafka keys under "
         "consumer./producer.)",
         ""},
        {"set", "key=value, overrides any other setting; repeatable", ""},
        {"partitions", "partitions of the topics this app creates when missing", "3"},
        {"http-port",
         "serve /metrics, /health, /ready, /topology and /stores on this port (off unless "
         "given; 0 picks a free port)",
         ""},
        {"http-address", "address the HTTP endpoint binds to", "127.0.0.1"},
    };
    for (auto& f : flags) {
        _flags.push_back(std::move(f));
    }
}

std::optional<std::string> app_cli::parse(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            _help = true;
            return std::nullopt;
        }
        if (!arg.starts_with("--")) {
            return fmt::format("unexpected argument '{}'", arg);
        }
        std::string name = arg.substr(2);
        std::optional<std::string> inline_value;
        if (auto eq = name.find('='); eq != std::string::npos) {
            inline_value = name.substr(eq + 1);
            name = name.substr(0, eq);
        }
        auto it = std::find_if(_flags.begin(), _flags.end(),
                               [&](const app_flag& f) { return f.name == name; });
        if (it == _flags.end()) {
            return fmt::format("unknown flag '--{}' (see --help)", name);
        }
        std::string value;
        if (it->is_switch) {
            if (inline_value) {
                return fmt::format("flag '--{}' takes no value", name);
            }
            value = "true";
        } else if (inline_value) {
            value = *inline_value;
        } else if (i + 1 < argc) {
            value = argv[++i];
        } else {
            return fmt::format("flag '--{}' needs a value", name);
        }
        if (name == "set") {
            if (value.find('=') == std::string::npos || value.front() == '=') {
                return fmt::format("--set needs key=value, got '{}'", value);
            }
            _sets.push_back(value);
        } else {
            if (it->repeatable) {
                _repeated[name].push_back(value);
            }
            it->value = value;
        }
        _given[name] = true;
    }
    return std::nullopt;
}

std::string app_cli::usage() const {
    std::string out = fmt::format("usage: {} [flags]\n\n{}\n\nflags:\n", _program, _summary);
    for (const auto& f : _flags) {
        out += fmt::format("  --{:<22} {}{}{}\n", f.name + (f.is_switch ? "" : " VALUE"), f.help,
                           f.repeatable ? "; repeatable" : "",
                           f.value.empty() || f.is_switch ? ""
                                                          : fmt::format(" (default: {})", f.value));
    }
    out += "  --help                   this text\n";
    return out;
}

const std::string& app_cli::get(const std::string& name) const {
    for (const auto& f : _flags) {
        if (f.name == name) {
            return f.value;
        }
    }
    throw std::logic_error("app_cli: no flag named " + name);
}

std::vector<std::string> app_cli::get_all(const std::string& name) const {
    const std::string& last = get(name); // a logic error for a flag that does not exist
    if (const auto it = _repeated.find(name); it != _repeated.end()) {
        return it->second;
    }
    return is_set(name) ? std::vector<std::string>{last} : std::vector<std::string>{};
}

bool app_cli::is_set(const std::string& name) const {
    return _given.contains(name);
}

int64_t app_cli::get_int(const std::string& name, int64_t min, int64_t max) const {
    const std::string& v = get(name);
    int64_t out = 0;
    auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
    if (ec != std::errc() || ptr != v.data() + v.size() || out < min || out > max) {
        throw config_error(
            fmt::format("--{} must be an integer from {} to {}, got '{}'", name, min, max, v));
    }
    return out;
}

std::chrono::milliseconds app_cli::get_duration(const std::string& name,
                                                std::chrono::milliseconds min) const {
    const std::string& v = get(name);
    int64_t n = 0;
    auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    const std::string_view unit(ptr, static_cast<size_t>(v.data() + v.size() - ptr));
    int64_t scale = 0;
    if (unit == "ms") {
        scale = 1;
    } else if (unit == "s") {
        scale = 1000;
    } else if (unit == "m") {
        scale = 60'000;
    } else if (unit == "h") {
        scale = 3'600'000;
    }
    constexpr int64_t max_ms = int64_t{365} * 24 * 3'600'000; // a year: plenty, no overflow
    if (ec != std::errc() || ptr == v.data() || scale == 0 || n < 0 || n > max_ms / scale ||
        n * scale < min.count()) {
        throw config_error(fmt::format("--{} must be a duration of at least {} ms with a unit, "
                                       "like 500ms, 10s, 5m or 1h; got '{}'",
                                       name, min.count(), v));
    }
    return std::chrono::milliseconds(n * scale);
}

streams_config app_cli::make_config(std::map<std::string, std::string> defaults) const {
    std::vector<std::string> overrides;
    overrides.push_back("bootstrap.servers=" + get("bootstrap-servers"));
    if (!get("application-id").empty()) {
        overrides.push_back("application.id=" + get("application-id"));
    }
    if (is_set("processing-guarantee")) {
        overrides.push_back("processing.guarantee=" + get("processing-guarantee"));
    }
    if (is_set("state-dir")) {
        overrides.push_back("state.dir=" + get("state-dir"));
    }
    overrides.insert(overrides.end(), _sets.begin(), _sets.end());
    return streams_config::from_sources(get("config"), overrides, std::move(defaults));
}

void ensure_topics(const streams_config& config, const std::vector<std::string>& topics,
                   int partitions) {
    if (config.bootstrap_servers() == kafka::embedded_bootstrap) {
        auto cluster = kafka::embedded_cluster::shared();
        for (const auto& t : topics) {
            cluster->create_topic(t, partitions);
        }
        return;
    }
    kafka::client_config ac = config.admin_config();
    kafka::admin_client admin(ac);
    std::vector<kafka::topic_spec> missing;
    for (const auto& t : topics) {
        if (!admin.partition_count(t, config.broker_wait_timeout())) {
            missing.push_back({t, partitions, config.replication_factor(), {}});
        }
    }
    admin.create_topics(missing, config.broker_wait_timeout());
}

void check_copartitioned(const streams_config& config,
                         const std::vector<std::vector<std::string>>& groups) {
    kafka::client_config ac = config.admin_config();
    ac.set("bootstrap.servers", kafka::resolve_bootstrap(config.bootstrap_servers()));
    kafka::admin_client admin(ac);
    for (const auto& group : groups) {
        std::optional<std::pair<std::string, int>> first;
        for (const auto& topic : group) {
            const std::optional<int> count =
                admin.partition_count(topic, config.broker_wait_timeout());
            if (!count) {
                throw config_error(fmt::format("input topic '{}' does not exist: create it, or "
                                               "let the app create it with --partitions",
                                               topic));
            }
            if (!first) {
                first.emplace(topic, *count);
            } else if (*count != first->second) {
                throw config_error(fmt::format(
                    "input topics '{}' ({} partitions) and '{}' ({} partitions) must have the "
                    "same number of partitions: records with the same key must meet in one task. "
                    "Recreate one of them with {} partitions (or write it to a new topic that "
                    "has)",
                    first->first, first->second, topic, *count, first->second));
            }
        }
    }
}

void print_embedded_notice_if_needed(const streams_config& config) {
    if (config.bootstrap_servers() == kafka::embedded_bootstrap) {
        std::cerr << "brook: running on the embedded demo cluster (librdkafka's in-process mock): "
                     "no transactions, no compaction, data dropped past ~5 MB per partition. "
                     "Not for production; pass --bootstrap-servers host:port for a real "
                     "cluster.\n";
    }
}

} // namespace brook::apps
