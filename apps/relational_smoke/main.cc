// brook-relational-smoke: the topology of Kafka Streams' RelationalSmokeTest as a program,
// so that Kafka's own driver can check Brook's foreign-key join (scripts/kafka-smoke
// relational-driver). See relational_topology.h for what it computes.

#include <iterator>

#include "apps/common/fixed_topology_app.h"
#include "apps/relational_smoke/relational_topology.h"

int main(int argc, char** argv) {
    using namespace brook::apps;
    return run_fixed_topology_app(
        argc, argv,
        {.program = "brook-relational-smoke",
         .description = "Runs the topology of Kafka Streams' RelationalSmokeTest: articles "
                        "(in-article) with their comment counts into out-augmented-article, and "
                        "comments (in-comment) joined with their article on its id (a "
                        "foreign-key join) into out-augmented-comment; fixed topic names, as "
                        "Kafka's driver expects, under exactly_once_v2 unless told otherwise. "
                        "With --partitions N it creates missing topics with N partitions.",
         .application_id = "RelationalSmokeTest",
         .build = build_relational_topology,
         .topics = {std::begin(relational_topics), std::end(relational_topics)},
         // The foreign-key join needs no co-partitioning: its internal topics take each
         // side's partition count.
         .copartitioned = {}});
}
