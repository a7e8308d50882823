#pragma once

// The Kafka Streams smoke scenario: Apache Kafka's own smoke-test driver (StreamsSmokeTest,
// run by scripts/kafka-smoke) against 2 instances of brook-smoke, Brook's port of its
// SmokeTestClient topology, under exactly_once_v2 on the real broker. With `relational`,
// RelationalSmokeTest's driver against brook-relational-smoke instead (1,000 articles and
// 10,000 comments; it checks every comment joined with its article through the foreign-key
// join and every article's comment count). The driver is the
// oracle: it writes 20 keys x 1000 values to `data` and `fk` over about 90 s, then reads
// every output topic with read_committed and checks each value exactly, that every
// transaction finished, and that each input was echoed once. Brook passes only when its
// report says so (`scripts/kafka-smoke check`).
//
// The driver's topics have fixed names, so each run deletes and re-creates them (5
// partitions) first, and the broker must not be shared with another run of this scenario
// at the same time. The apps get a fresh application.id and state directories each run.
// `kills` times while the driver writes, instance 1 is SIGKILLed and started again at once
// on the same state directory, at times drawn from `seed`. Neither instance may exit by
// itself, and both must exit 0 on SIGTERM at the end. Failures are gtest assertions.
//
// StreamsSmokeTest's transaction check races with an app still committing (it reads the
// end offsets and the read_committed positions at two moments) and can give up before it
// verifies anything; a run that ends so is run once more, and that run must pass.

#include <cstdint>

namespace brook::testing {

struct smoke_scenario {
    // RelationalSmokeTest's driver (foreign-key joins) against brook-relational-smoke,
    // instead of StreamsSmokeTest's against brook-smoke.
    bool relational = false;
    int kills = 0;     // SIGKILLs of instance 1 while the driver writes its input
    uint64_t seed = 0; // when the kills come (chaos_seed() in the chaos suite)
};

void run_smoke_scenario(const smoke_scenario& scenario);

} // namespace brook::testing
