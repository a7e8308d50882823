#pragma once

// The few named exceptions Brook throws for runtime failures. Expected outcomes (a
// record that cannot be read, a retriable broker error) are values, not exceptions;
// these are for what the caller must stop and fix.

#include <stdexcept>
#include <string>

#include "state/infrastructure_failure.h"

namespace brook {

// A configuration key or value that Brook or librdkafka rejects. The message names the key.
class config_error : public std::invalid_argument, public infrastructure_failure {
public:
    using std::invalid_argument::invalid_argument;
};

// A topology that cannot run: a missing source topic, an unknown store, a cycle.
class topology_error : public std::logic_error, public infrastructure_failure {
public:
    using std::logic_error::logic_error;
};

// The application failed while running (broker unreachable past its bound, a fatal
// producer error); the stream threads have moved to ERROR with this reason.
class streams_error : public std::runtime_error, public infrastructure_failure {
public:
    using std::runtime_error::runtime_error;
};

// A record the producer accepted was not written (its delivery report failed). Under
// exactly-once the transaction holding it must abort; at least once, the offsets of the
// input that made it must not be committed.
class delivery_error : public streams_error {
public:
    using streams_error::streams_error;
};

// A record cannot be produced: larger than the producer accepts, to a topic name Kafka
// refuses, or a key or value its serde cannot write. The task hands it to the production
// exception handler (default.production.exception.handler).
class production_error : public streams_error {
public:
    using streams_error::streams_error;
};

// A long wait (for an unreachable broker during start-up) was given up because the
// application was asked to stop.
class operation_cancelled : public streams_error {
public:
    using streams_error::streams_error;
};

// An exception handler set to fail gave up on a record. Every node lets it through to the
// task, and the task's thread fails with it.
class handler_failure : public streams_error {
public:
    using streams_error::streams_error;
};

} // namespace brook
