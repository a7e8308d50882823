#pragma once

// Command-line handling shared by Brook's example apps: the common flags, turning them
// into a streams_config, and creating the topics an app owns.
//
// Every flag value is user input: parse() returns an error message instead of throwing
// for anything malformed, and the app prints it with the usage text.

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/config/streams_config.h"

namespace brook::apps {

struct app_flag {
    std::string name; // without the leading "--"
    std::string help;
    std::string value;       // default, replaced by the user's value
    bool is_switch = false;  // takes no value; "true" when given
    bool repeatable = false; // may be given more than once: see app_cli::get_all
};

class app_cli {
public:
    // `flags` are the app's own flags in addition to the common ones.
    app_cli(std::string program, std::string summary, std::vector<app_flag> flags);

    // Returns an error message, or nullopt on success. "--help" sets help_requested().
    std::optional<std::string> parse(int argc, char** argv);
    bool help_requested() const { return _help; }
    std::string usage() const;

    const std::string& get(const std::string& name) const;
    // Every value given to flag `name`, in order (empty when not given): several for a
    // repeatable flag, at most one for another; get() answers the last one.
    std::vector<std::string> get_all(const std::string& name) const;
    bool is_set(const std::string& name) const; // a switch given, or a flag given explicitly
    // Parses flag `name` as an integer in [min, max]; throws config_error naming the flag.
    int64_t get_int(const std::string& name, int64_t min, int64_t max) const;
    // Parses flag `name` as a duration with a unit: "500ms", "10s", "5m", "1h"; at least
    // `min`. Throws config_error naming the flag and the accepted forms.
    std::chrono::milliseconds get_duration(const std::string& name,
                                           std::chrono::milliseconds min) const;

    // The application's configuration: `defaults`, then --config FILE, then the common
    // flags, then each --set key=value. Throws config_error.
    streams_config make_config(std::map<std::string, std::string> defaults) const;

private:
    std::string _program;
    std::string _summary;
    std::vector<app_flag> _flags;
    std::map<std::string, bool> _given;
    std::vector<std::string> _sets;
    std::map<std::string, std::vector<std::string>> _repeated; // values of repeatable flags
    bool _help = false;
};

// Creates each topic that is missing, with `partitions` partitions (on the embedded
// cluster directly, elsewhere through the admin API). Throws on failure.
void ensure_topics(const streams_config& config, const std::vector<std::string>& topics,
                   int partitions);

// Throws config_error, naming the topics and what to do, when the topics of a group do
// not all exist with the same partition count (co-partitioned inputs, as Kafka Streams
// requires for joins and merged aggregations).
void check_copartitioned(const streams_config& config,
                         const std::vector<std::vector<std::string>>& groups);

// The notice printed when running on the embedded demo cluster.
void print_embedded_notice_if_needed(const streams_config& config);

} // namespace brook::apps
