#pragma once

// The topology of Kafka Streams' SmokeTestClient (apache/kafka,
// streams/src/test/java/org/apache/kafka/streams/tests/SmokeTestClient.java), written in
// Brook's DSL with byte-identical serdes (UTF-8 strings, big-endian int32, int64 and
// double), so that Kafka's own driver, StreamsSmokeTest, can generate its input and verify
// every output topic: see scripts/kafka-smoke and tests/support/smoke_scenario.h.
//
// From topic "data" (key: a "min-max" range of values, value: int32; "flush" records move
// time forward):
//   echo                          every record but "flush";
//   min-raw / min-suppressed      per key and day (1 min grace): the minimum, on every
//                                 update / once the day has closed (suppress);
//   sws-raw / sws-suppressed      per key, 2 s windows advancing by 1 s (30 s grace): the sum;
//   min, max, sum, cnt            per key, over a day (min) and 2 days (the others);
//   dif                           table max joined with table min (read back from their
//                                 topics): max - min;
//   avg                           table sum joined with table cnt: sum / cnt;
//   tagg                          table cnt regrouped by its value: how many keys have each
//                                 count (an aggregation with a subtractor).
// The topic names are the driver's and fixed; they must exist with equal partition counts.

#include <string>
#include <vector>

namespace brook {
class stream_builder;
}

namespace brook::apps {

void build_smoke_topology(stream_builder& builder);

// The topics the topology reads and writes ("data" and the driver's output topics).
std::vector<std::string> smoke_topics();

} // namespace brook::apps
