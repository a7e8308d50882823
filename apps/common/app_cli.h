#pragma once

// Command-line handling shared by Brook's example apps and tools: the flags, their
// values (numbers, durations), the common streams flags and turning them into a
// streams_config, creating the topics an app owns, and the pacing behind a --rate flag.
//
// Every flag value is user input: parse() returns an error message instead of throwing
// for anything malformed, the typed getters throw config_error naming the flag, and the
// program prints either with the usage text.

#include <chrono>
#include <concepts>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "engine/config/streams_config.h"

namespace brook::apps {

// The most partitions --partitions takes.
inline constexpr int64_t max_partitions = 10000;

struct app_flag {
    std::string name; // without the leading "--"
    std::string help;
    std::string value;                // default, replaced by the user's value
    bool is_switch = false;           // takes no value; "true" when given
    bool repeatable = false;          // may be given more than once: see app_cli::get_all
    std::string value_name = "VALUE"; // what usage() shows after the name, like "N" or "HOST:PORT"
    // Checks each value as parse() meets it: returns what is wrong with it, said in full
    // ("--set needs key=value, got 'x'"), or nullopt. Optional.
    std::function<std::optional<std::string>(const std::string& value)> check;
};

// Which common flags app_cli offers before an app's own.
enum class common_flags {
    // The streams flags (see `streams`) and --http-port and --http-address, the ops
    // endpoint app_runner serves: a streams application.
    streams_and_http,
    // --bootstrap-servers, --application-id, --processing-guarantee, --state-dir, --config,
    // --set and --partitions, which make_config() reads: a tool over a streams
    // application's state that serves no HTTP endpoint.
    streams,
    // None: a program that runs no streams application (a load generator, a publisher)
    // declares every flag it takes itself. make_config() is not for it.
    none,
};

// How an app_cli is set up beyond its flags; the defaults are a streams application's.
struct app_cli_options {
    common_flags common = common_flags::streams_and_http;
    // usage(): what follows the program name on the usage line ...
    std::string synopsis = "[flags]";
    // ... the columns a flag's name and value name take before its help ...
    size_t name_width = 22;
    // ... the width help texts wrap at, each line starting under the first (0: no
    // wrapping, one line a flag) ...
    size_t wrap_width = 0;
    // ... and text after the flags, like examples; ends with a newline when not empty.
    std::string epilogue;
};

class app_cli {
public:
    // `flags` are the app's own flags in addition to the common ones `options` asks for.
    app_cli(std::string program, std::string summary, std::vector<app_flag> flags,
            app_cli_options options = {});

    // Returns an error message, or nullopt on success. "--help" sets help_requested().
    std::optional<std::string> parse(int argc, char** argv);
    bool help_requested() const { return _help; }
    std::string usage() const;
    // For main(): parse(), then `read` (when given), which reads the values and throws
    // config_error for one that is wrong or flags that do not go together. On a parse error
    // or a config_error prints "<program>: <error>" and usage() on stderr and returns 2, the
    // exit code for bad flags; on --help prints usage() on stdout and returns 0, without
    // calling `read`; nullopt when the program goes on.
    std::optional<int> parse_or_exit(int argc, char** argv, const std::function<void()>& read = {});

    const std::string& get(const std::string& name) const;
    // Every value given to flag `name`, in order (empty when not given): several for a
    // repeatable flag, at most one for another; get() answers the last one.
    std::vector<std::string> get_all(const std::string& name) const;
    bool is_set(const std::string& name) const; // a switch given, or a flag given explicitly
    // Parses flag `name` as an integer in [min, max]; throws config_error naming the flag.
    int64_t get_int(const std::string& name, int64_t min, int64_t max) const;
    // Parses flag `name` as a whole number (no sign) in [min, max], for any integer type up
    // to 64 bits: get_whole_number<uint16_t>("port", 1, 65535). Throws config_error naming
    // the flag and the range.
    template <std::integral T>
    T get_whole_number(const std::string& name, std::type_identity_t<T> min,
                       std::type_identity_t<T> max) const {
        static_assert(sizeof(T) <= sizeof(uint64_t));
        return static_cast<T>(
            get_whole_number_impl(name, static_cast<uint64_t>(min), static_cast<uint64_t>(max)));
    }
    // Parses flag `name` as a finite number in [min, max], like "0.25" or "1e6"; throws
    // config_error naming the flag and the range.
    double get_number(const std::string& name, double min, double max) const;
    // Parses flag `name` as a duration with a unit (see parse_duration): at least `min`, at
    // most a year. Throws config_error naming the flag and the accepted forms.
    std::chrono::milliseconds get_duration(const std::string& name,
                                           std::chrono::milliseconds min) const;

    // The application's configuration: `defaults`, then --config FILE, then the common
    // flags, then each --set key=value. Throws config_error. Needs the streams flags (not
    // for common_flags::none).
    streams_config make_config(std::map<std::string, std::string> defaults) const;

private:
    int bad_flags(std::string_view error) const;
    uint64_t get_whole_number_impl(const std::string& name, uint64_t min, uint64_t max) const;

    std::string _program;
    std::string _summary;
    app_cli_options _options;
    std::vector<app_flag> _flags;
    std::vector<std::string> _defaults; // each flag's value as declared, for usage()
    std::map<std::string, bool> _given;
    std::map<std::string, std::vector<std::string>> _repeated; // values of repeatable flags
    bool _help = false;
};

// Parses a duration written as a whole number and a unit, ms, s, m or h: "500ms", "10s",
// "5m", "1h". Returns nullopt for anything else (no unit, a sign, a fraction, spaces) and
// for a duration that does not fit in milliseconds; the range a flag allows is the
// caller's to check.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

// An app_flag::check for a flag whose every value is KEY=VALUE with a non-empty key;
// `form` is how the error names that shape ("key=value", "KEY=VALUE").
std::function<std::optional<std::string>(const std::string&)> key_value_check(std::string flag,
                                                                              std::string form);

// Keeps a run to `rate` records per second (0: no limit), the rule behind the --rate flag
// of brook-loadgen and brook-publisher: record i is due at start + i / rate. The schedule
// is absolute, not a sum of sleeps, so the long-run average is exact however long each
// sleep really took. Lifecycle: one per run, started with it. Threading: one thread.
class rate_pacer {
public:
    explicit rate_pacer(double rate);

    // How many of `total` records are due by now: all of them without a rate.
    uint64_t due(uint64_t total) const;
    // How long until record `next` is due: at least 1 ms, so waiting is coarse (records
    // go out in bursts of rate/1000 or more), and at most 100 ms, so the caller still
    // serves signals and progress.
    std::chrono::milliseconds wait_for(uint64_t next) const;
    // Seconds since the run started.
    double seconds() const;

private:
    double _rate;
    std::chrono::steady_clock::time_point _started;
};

// A topic an app reads or writes, and where its name comes from, for messages: a flag
// ("--dlq-topic") or a phrase ("the dead-letter topic of --user-events-topic").
struct named_topic {
    std::string topic;
    std::string origin;
};

// Throws config_error, naming both origins and saying what to change, when what an app
// writes could come back to it or mix: an output that is an input (with --dlq-topic equal
// to the input, one bad record of brook-metrics became thousands: each copy was read back
// and dead-lettered again), an output that is one of `internal` (the topology's repartition
// and changelog topics, which it both writes and reads), two outputs that are one topic, or
// two inputs that are one topic. Call it before anything touches Kafka.
void check_topics_do_not_feed_back(const std::vector<named_topic>& inputs,
                                   const std::vector<named_topic>& outputs,
                                   const std::vector<std::string>& internal = {});

// The notice printed when running on the embedded demo cluster.
void print_embedded_notice_if_needed(const streams_config& config);

} // namespace brook::apps
