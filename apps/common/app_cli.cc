#include "apps/common/app_cli.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <iostream>
#include <limits>

#include <fmt/format.h>

#include "base/log.h"
#include "engine/errors.h"
#include "engine/kafka/embedded_cluster.h"
#include "ops/http_server.h"

namespace brook::apps {

using namespace std::chrono_literals;

namespace {

// An app_flag::check for a whole number (no sign) from `min` to `max`.
std::function<std::optional<std::string>(const std::string&)>
whole_number_check(std::string flag, uint64_t min, uint64_t max) {
    return
        [flag = std::move(flag), min, max](const std::string& value) -> std::optional<std::string> {
            uint64_t n = 0;
            const char* const end = value.data() + value.size();
            const auto [ptr, ec] = std::from_chars(value.data(), end, n);
            if (ec != std::errc() || ptr != end || value.empty() || n < min || n > max) {
                return fmt::format("--{} must be a whole number from {} to {}, got '{}'", flag, min,
                                   max, value);
            }
            return std::nullopt;
        };
}

} // namespace

app_cli::app_cli(std::string program, std::string summary, std::vector<app_flag> flags,
                 app_cli_options options)
    : _program(std::move(program)), _summary(std::move(summary)), _options(std::move(options)) {
    if (_options.common != common_flags::none) {
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
            {"set", "key=value, overrides any other setting", "", false, true, "VALUE",
             key_value_check("set", "key=value")},
            {"partitions", "partitions of the topics this app creates when missing", "3", false,
             false, "VALUE", whole_number_check("partitions", 1, max_partitions)},
        };
    }
    if (_options.common == common_flags::streams_and_http) {
        // Checked as they are parsed, so a bad one is refused before the app touches Kafka
        // (it used to be refused only after the topics were made and the group joined).
        _flags.push_back({"http-port",
                          "serve /metrics, /health, /ready, /topology and /stores on this port "
                          "(off unless given; 0 picks a free port)",
                          "", false, false, "VALUE", whole_number_check("http-port", 0, 65535)});
        _flags.push_back({"http-address",
                          "address the HTTP endpoint binds to: an IPv4 or IPv6 address, or "
                          "localhost",
                          "127.0.0.1", false, false, "VALUE",
                          [](const std::string& value) -> std::optional<std::string> {
                              if (is_http_address(value)) {
                                  return std::nullopt;
                              }
                              return fmt::format("--http-address must be an IPv4 or IPv6 "
                                                 "address (like 127.0.0.1, 0.0.0.0 or ::1) or "
                                                 "localhost, got '{}'",
                                                 value);
                          }});
    }
    for (auto& f : flags) {
        _flags.push_back(std::move(f));
    }
    // Every program logs through the library's log (base/log.h), so every one takes it.
    _flags.push_back(
        {"log-level", "error, warn, info or debug: the least severe message logged", "info", false,
         false, "LEVEL", [](const std::string& value) -> std::optional<std::string> {
             if (parse_log_level(value)) {
                 return std::nullopt;
             }
             return fmt::format("--log-level must be error, warn, info or debug, got '{}'", value);
         }});
    for (const auto& f : _flags) {
        _defaults.push_back(f.value);
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
            return fmt::format("unexpected argument '{}': flags start with --", arg);
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
            return fmt::format("flag '--{}' needs a value: {}", name, it->help);
        }
        if (it->check) {
            if (auto error = it->check(value)) {
                return error;
            }
        }
        if (it->repeatable) {
            _repeated[name].push_back(value);
        }
        it->value = value;
        _given[name] = true;
    }
    if (_given.contains("log-level")) {
        set_log_level(*parse_log_level(get("log-level")));
    }
    return std::nullopt;
}

std::string app_cli::usage() const {
    std::string out =
        fmt::format("usage: {} {}\n\n{}\n\nflags:\n", _program, _options.synopsis, _summary);
    // One flag: its name and value name in their columns, then its help, wrapped under its
    // own start when asked to.
    const auto add_row = [&](const std::string& left, std::string_view help) {
        out += fmt::format("  --{:<{}} ", left, _options.name_width);
        if (_options.wrap_width == 0) {
            out += help;
            out += '\n';
            return;
        }
        const size_t indent = _options.name_width + 5; // "  --", the name, " "
        const size_t width = _options.wrap_width > indent ? _options.wrap_width - indent : 1;
        size_t column = 0;
        while (!help.empty()) {
            const size_t space = help.find(' ');
            const std::string_view word = help.substr(0, space);
            help = space == std::string_view::npos ? std::string_view() : help.substr(space + 1);
            if (column > 0 && column + 1 + word.size() > width) {
                out += '\n' + std::string(indent, ' ');
                column = 0;
            } else if (column > 0) {
                out += ' ';
                ++column;
            }
            out += word;
            column += word.size();
        }
        out += '\n';
    };
    for (size_t i = 0; i < _flags.size(); ++i) {
        const app_flag& f = _flags[i];
        const std::string& default_value = _defaults[i]; // f.value is the user's once given
        add_row(f.is_switch ? f.name : f.name + " " + f.value_name,
                fmt::format("{}{}{}", f.help, f.repeatable ? "; repeatable" : "",
                            default_value.empty() || f.is_switch
                                ? ""
                                : fmt::format(" (default: {})", default_value)));
    }
    add_row("help", "this text");
    out += _options.epilogue;
    return out;
}

std::optional<int> app_cli::parse_or_exit(int argc, char** argv,
                                          const std::function<void()>& read) {
    if (const auto error = parse(argc, argv)) {
        return bad_flags(*error);
    }
    if (_help) {
        std::cout << usage();
        return 0;
    }
    if (read) {
        try {
            read();
        } catch (const config_error& e) {
            return bad_flags(e.what());
        }
    }
    return std::nullopt;
}

// A bad command line: what is wrong, then the usage text. Returns its exit code.
int app_cli::bad_flags(std::string_view error) const {
    std::cerr << _program << ": " << error << "\n\n" << usage();
    return 2;
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

namespace {

// `value`, the value of flag --`name`, as a T in [min, max], all of it; throws config_error
// saying it must be `what` ("an integer") in that range. NaN and infinity are not numbers.
template <typename T>
T parse_in_range(const std::string& name, const std::string& value, T min, T max,
                 std::string_view what) {
    T out{};
    const char* const end = value.data() + value.size();
    const auto [ptr, ec] = std::from_chars(value.data(), end, out);
    bool ok = ec == std::errc() && ptr == end && out >= min && out <= max;
    if constexpr (std::is_floating_point_v<T>) {
        ok = ok && std::isfinite(out);
    }
    if (!ok) {
        throw config_error(
            fmt::format("--{} must be {} from {} to {}, got '{}'", name, what, min, max, value));
    }
    return out;
}

// Longer is a typo rather than a setting, and keeps now + duration far from overflow.
constexpr std::chrono::milliseconds max_flag_duration = std::chrono::hours(24 * 365);

} // namespace

int64_t app_cli::get_int(const std::string& name, int64_t min, int64_t max) const {
    return parse_in_range<int64_t>(name, get(name), min, max, "an integer");
}

uint64_t app_cli::get_whole_number_impl(const std::string& name, uint64_t min, uint64_t max) const {
    return parse_in_range<uint64_t>(name, get(name), min, max, "a whole number");
}

double app_cli::get_number(const std::string& name, double min, double max) const {
    return parse_in_range<double>(name, get(name), min, max, "a number");
}

std::chrono::milliseconds app_cli::get_duration(const std::string& name,
                                                std::chrono::milliseconds min) const {
    const std::string& v = get(name);
    const std::optional<std::chrono::milliseconds> d = parse_duration(v);
    if (!d || *d < min || *d > max_flag_duration) {
        throw config_error(fmt::format("--{} must be a duration of at least {} ms with a unit, "
                                       "like 500ms, 10s, 5m or 1h; got '{}'",
                                       name, min.count(), v));
    }
    return *d;
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
    for (auto& set : get_all("set")) {
        overrides.push_back(std::move(set));
    }
    // An app serving HTTP on a fixed port and a specific address advertises that endpoint
    // to the other instances (application.server) unless told otherwise: queries asked of
    // any instance are then passed on to the one that owns the key. A wildcard address or
    // port 0 says nothing others could use, so nothing is advertised then.
    if (is_set("http-port") && !defaults.contains("application.server")) {
        const std::string address = get("http-address");
        const std::string port = get("http-port");
        // (An IPv6 address is not advertised: application.server takes a name or IPv4.)
        if (port != "0" && !port.empty() && address != "0.0.0.0" && !address.empty() &&
            address.find(':') == std::string::npos) {
            defaults["application.server"] = address + ":" + port;
        }
    }
    return streams_config::from_sources(get("config"), overrides, std::move(defaults));
}

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
    int64_t n = 0;
    const char* const end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, n);
    if (ec != std::errc() || ptr == text.data() || n < 0) {
        return std::nullopt;
    }
    const std::string_view unit(ptr, static_cast<size_t>(end - ptr));
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
    if (scale == 0 || n > std::numeric_limits<int64_t>::max() / scale) {
        return std::nullopt;
    }
    return std::chrono::milliseconds(n * scale);
}

std::function<std::optional<std::string>(const std::string&)> key_value_check(std::string flag,
                                                                              std::string form) {
    return [flag = std::move(flag),
            form = std::move(form)](const std::string& value) -> std::optional<std::string> {
        const size_t eq = value.find('=');
        if (eq == std::string::npos || eq == 0) {
            return fmt::format("--{} needs {}, got '{}'", flag, form, value);
        }
        return std::nullopt;
    };
}

rate_pacer::rate_pacer(double rate) : _rate(rate), _started(std::chrono::steady_clock::now()) {}

uint64_t rate_pacer::due(uint64_t total) const {
    if (_rate <= 0) {
        return total;
    }
    return std::min<uint64_t>(total, static_cast<uint64_t>(std::floor(seconds() * _rate)) + 1);
}

std::chrono::milliseconds rate_pacer::wait_for(uint64_t next) const {
    const double ahead = static_cast<double>(next) / _rate - seconds();
    return std::clamp<std::chrono::milliseconds>(
        std::chrono::milliseconds(static_cast<int64_t>(std::ceil(ahead * 1000))), 1ms, 100ms);
}

double rate_pacer::seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - _started).count();
}

void check_topics_do_not_feed_back(const std::vector<named_topic>& inputs,
                                   const std::vector<named_topic>& outputs,
                                   const std::vector<std::string>& internal) {
    for (size_t i = 0; i < inputs.size(); ++i) {
        for (size_t j = i + 1; j < inputs.size(); ++j) {
            if (inputs[i].topic == inputs[j].topic) {
                throw config_error(fmt::format(
                    "{} and {} are both '{}': each record would be read twice, once as each; "
                    "give them different names",
                    inputs[i].origin, inputs[j].origin, inputs[i].topic));
            }
        }
    }
    for (size_t i = 0; i < outputs.size(); ++i) {
        const named_topic& out = outputs[i];
        for (const named_topic& in : inputs) {
            if (out.topic == in.topic) {
                throw config_error(fmt::format(
                    "{} '{}' is also {}: the app would read back what it writes there, so "
                    "records would loop (a bad one dead-lettered over and over); give it "
                    "another name",
                    out.origin, out.topic, in.origin));
            }
        }
        if (std::find(internal.begin(), internal.end(), out.topic) != internal.end()) {
            throw config_error(fmt::format(
                "{} '{}' is one of the app's internal topics (a repartition or changelog "
                "topic, which it writes and reads itself); give it another name",
                out.origin, out.topic));
        }
        for (size_t j = i + 1; j < outputs.size(); ++j) {
            if (out.topic == outputs[j].topic) {
                throw config_error(fmt::format(
                    "{} and {} are both '{}': what the app writes to each would mix in one "
                    "topic; give them different names",
                    out.origin, outputs[j].origin, out.topic));
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
