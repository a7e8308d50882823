#pragma once

// run_fixed_topology_app: main() of a program that runs one topology over topics whose
// names are fixed by someone else (Kafka's smoke-test drivers): the common streams flags
// and no others, exactly_once_v2 unless told otherwise, the topics created with
// --partitions when missing, then app_runner's loop. brook-smoke and
// brook-relational-smoke are written with it.

#include <functional>
#include <string>
#include <vector>

namespace brook {
class stream_builder;
}

namespace brook::apps {

struct fixed_topology_app {
    std::string program;        // "brook-smoke"
    std::string description;    // --help's text
    std::string application_id; // the default --application-id
    std::function<void(stream_builder&)> build;
    std::vector<std::string> topics; // read and written; created when missing
    // Groups of topics that must have equal partition counts (checked at start).
    std::vector<std::vector<std::string>> copartitioned;
};

// Parses argv, builds, runs; returns the process's exit status (2: bad flags or
// configuration, said on stderr).
int run_fixed_topology_app(int argc, char** argv, const fixed_topology_app& app);

} // namespace brook::apps
