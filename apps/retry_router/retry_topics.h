#pragma once

// retry_topics: the topics of one retry router, named from its input topic:
//
//   <input>                 records come in here
//   <input>.processed       handled records (or another output topic given)
//   <input>.retry.<n>       retry tier n, 1 to the number of tiers
//   <input>.dlq             dead letters (or another dead-letter topic given)
//
// Lifecycle: a value. Threading: const use from any thread.

#include <string>
#include <vector>

namespace brook::apps {

struct retry_topics {
    std::string input;
    std::string output;
    std::string dead_letter;
    std::vector<std::string> tiers; // tiers[n - 1] is tier n

    // The topics for `input` with `tiers` tiers; an empty output or dead_letter takes the
    // default name. Throws std::invalid_argument, saying what to change, for a name Kafka
    // refuses (empty, over 249 characters, a character outside [a-zA-Z0-9._-], "." or "..")
    // and for an output or dead-letter topic that is the input or a tier (records would
    // loop), or the same as each other.
    static retry_topics make(const std::string& input, const std::string& output,
                             const std::string& dead_letter, size_t tiers);
    // Every topic: input, tiers, output, dead letters.
    std::vector<std::string> all() const;
    // The tier number (1..) that `topic` is, or 0 when it is not a tier of this router.
    size_t tier_of(const std::string& topic) const;
};

// Throws std::invalid_argument when Kafka would refuse `name` as a topic name; `what` says
// which flag or role the name came from.
void check_topic_name(const std::string& name, const std::string& what);

} // namespace brook::apps
