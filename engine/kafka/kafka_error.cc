#include "engine/kafka/kafka_error.h"

#include <fmt/format.h>

namespace brook::kafka {

kafka_error::kafka_error(std::string message, rd_kafka_resp_err_t code, bool fatal, bool retriable,
                         bool txn_requires_abort)
    : std::runtime_error(std::move(message)), _code(code), _fatal(fatal), _retriable(retriable),
      _txn_requires_abort(txn_requires_abort) {}

kafka_error kafka_error::from(error_ptr err, std::string_view context) {
    const rd_kafka_resp_err_t code = rd_kafka_error_code(err.get());
    return kafka_error(fmt::format("{}: {} ({})", context, rd_kafka_error_string(err.get()),
                                   rd_kafka_error_name(err.get())),
                       code, rd_kafka_error_is_fatal(err.get()) != 0,
                       rd_kafka_error_is_retriable(err.get()) != 0,
                       rd_kafka_error_txn_requires_abort(err.get()) != 0);
}

kafka_error kafka_error::from(rd_kafka_resp_err_t code, std::string_view context) {
    const bool fenced = code == RD_KAFKA_RESP_ERR__FENCED ||
                        code == RD_KAFKA_RESP_ERR_PRODUCER_FENCED ||
                        code == RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH;
    const bool retriable =
        code == RD_KAFKA_RESP_ERR__TIMED_OUT || code == RD_KAFKA_RESP_ERR__TRANSPORT ||
        code == RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT || code == RD_KAFKA_RESP_ERR_NOT_COORDINATOR ||
        code == RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE ||
        code == RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS ||
        code == RD_KAFKA_RESP_ERR__WAIT_COORD || code == RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE ||
        code == RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION;
    return kafka_error(
        fmt::format("{}: {} ({})", context, rd_kafka_err2str(code), rd_kafka_err2name(code)), code,
        fenced, retriable, false);
}

bool kafka_error::is_fenced() const noexcept {
    return _code == RD_KAFKA_RESP_ERR__FENCED || _code == RD_KAFKA_RESP_ERR_PRODUCER_FENCED ||
           _code == RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH;
}

void throw_if_error(rd_kafka_resp_err_t code, std::string_view context) {
    if (code != RD_KAFKA_RESP_ERR_NO_ERROR) {
        throw kafka_error::from(code, context);
    }
}

void throw_if_error(rd_kafka_error_t* err, std::string_view context) {
    if (err != nullptr) {
        throw kafka_error::from(error_ptr(err), context);
    }
}

} // namespace brook::kafka
