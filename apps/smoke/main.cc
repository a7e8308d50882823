// brook-smoke: the topology of Kafka Streams' SmokeTestClient as a program, so that
// Kafka's own StreamsSmokeTest driver can check Brook (scripts/kafka-smoke). See
// smoke_topology.h for what it computes.

#include "apps/common/fixed_topology_app.h"
#include "apps/smoke/smoke_topology.h"

int main(int argc, char** argv) {
    using namespace brook::apps;
    const std::vector<std::string> all = smoke_topics();
    return run_fixed_topology_app(
        argc, argv,
        {.program = "brook-smoke",
         .description = "Runs the topology of Kafka Streams' SmokeTestClient over the topic "
                        "data, writing echo, min, min-raw, min-suppressed, sws-raw, "
                        "sws-suppressed, max, sum, cnt, dif, avg and tagg (fixed names, as "
                        "Kafka's StreamsSmokeTest driver expects), under exactly_once_v2 "
                        "unless told otherwise. With --partitions N it creates missing topics "
                        "with N partitions.",
         .application_id = "SmokeTest",
         .build = build_smoke_topology,
         .topics = all,
         // The windowed aggregations of data write min, max, sum and cnt by the same key,
         // and the tables read back from them are joined: every topic in one partitioning.
         .copartitioned = {all}});
}
