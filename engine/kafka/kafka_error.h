#pragma once

// kafka_error: a librdkafka failure with the triage flags that decide what to do next.
//
// The transactional producer classifies its errors (rd_kafka_error_t): fatal errors and
// fencing end the producer; abortable ones need abort_transaction() and a rewind;
// retriable ones may be retried as is. Plain response codes (rd_kafka_resp_err_t) carry
// no flags beyond what the code itself says, so only fencing codes count as fatal there.

#include <stdexcept>
#include <string>
#include <string_view>

#include "engine/kafka/handles.h"
#include "state/infrastructure_failure.h"

namespace brook::kafka {

class kafka_error : public std::runtime_error, public infrastructure_failure {
public:
    kafka_error(std::string message, rd_kafka_resp_err_t code, bool fatal, bool retriable,
                bool txn_requires_abort);

    // Takes ownership of `err` (which must not be null) and prefixes `context` to its text.
    static kafka_error from(error_ptr err, std::string_view context);
    static kafka_error from(rd_kafka_resp_err_t code, std::string_view context);

    rd_kafka_resp_err_t code() const noexcept { return _code; }
    // Symbolic name such as "_TRANSPORT" or "TOPIC_ALREADY_EXISTS".
    std::string_view code_name() const noexcept { return rd_kafka_err2name(_code); }
    bool is_fatal() const noexcept { return _fatal; }
    bool is_retriable() const noexcept { return _retriable; }
    bool txn_requires_abort() const noexcept { return _txn_requires_abort; }
    // The producer was fenced by a newer instance with the same transactional.id or
    // group generation: the thread's tasks must be closed without committing.
    bool is_fenced() const noexcept;

private:
    rd_kafka_resp_err_t _code;
    bool _fatal;
    bool _retriable;
    bool _txn_requires_abort;
};

// Throws kafka_error when `code` is an error; `context` says what was being done.
void throw_if_error(rd_kafka_resp_err_t code, std::string_view context);
// Takes ownership of `err`; throws kafka_error when it is not null.
void throw_if_error(rd_kafka_error_t* err, std::string_view context);

} // namespace brook::kafka
