#include <gtest/gtest.h>

#include "engine/errors.h"
#include "engine/kafka/client_config.h"
#include "engine/kafka/kafka_error.h"

namespace brook::kafka {
namespace {

TEST(kafka_error, fencing_codes_are_fatal_and_report_fenced) {
    const kafka_error e = kafka_error::from(RD_KAFKA_RESP_ERR_PRODUCER_FENCED, "committing");
    EXPECT_TRUE(e.is_fatal());
    EXPECT_TRUE(e.is_fenced());
    EXPECT_FALSE(e.is_retriable());
    EXPECT_NE(std::string(e.what()).find("committing"), std::string::npos);
}

TEST(kafka_error, transport_errors_are_retriable_not_fatal) {
    const kafka_error e = kafka_error::from(RD_KAFKA_RESP_ERR__TRANSPORT, "polling");
    EXPECT_TRUE(e.is_retriable());
    EXPECT_FALSE(e.is_fatal());
    EXPECT_EQ(e.code_name(), "_TRANSPORT");
}

TEST(kafka_error, a_coordinator_moving_or_unknown_is_retriable_a_lost_membership_is_not) {
    for (const rd_kafka_resp_err_t code :
         {RD_KAFKA_RESP_ERR_NOT_COORDINATOR, RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS,
          RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE, RD_KAFKA_RESP_ERR__WAIT_COORD}) {
        EXPECT_TRUE(kafka_error::from(code, "committing").is_retriable())
            << rd_kafka_err2name(code);
    }
    // The at-least-once committer must see these at once: the group moved on.
    for (const rd_kafka_resp_err_t code :
         {RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS, RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION,
          RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID}) {
        EXPECT_FALSE(kafka_error::from(code, "committing").is_retriable())
            << rd_kafka_err2name(code);
    }
}

TEST(kafka_error, rd_kafka_error_flags_are_carried_over) {
    error_ptr raw(rd_kafka_error_new(RD_KAFKA_RESP_ERR__STATE, "boom"));
    const kafka_error e = kafka_error::from(std::move(raw), "begin_transaction");
    EXPECT_EQ(e.code(), RD_KAFKA_RESP_ERR__STATE);
    EXPECT_FALSE(e.txn_requires_abort());
    EXPECT_NE(std::string(e.what()).find("boom"), std::string::npos);
}

TEST(kafka_error, throw_if_error_is_silent_on_success) {
    EXPECT_NO_THROW(throw_if_error(RD_KAFKA_RESP_ERR_NO_ERROR, "x"));
    EXPECT_NO_THROW(throw_if_error(static_cast<rd_kafka_error_t*>(nullptr), "x"));
    EXPECT_THROW(throw_if_error(RD_KAFKA_RESP_ERR__FAIL, "x"), kafka_error);
}

TEST(client_config, unknown_property_is_rejected_naming_the_key) {
    client_config c{{"bootstrap.servers", "127.0.0.1:1"}, {"linger.msx", "5"}};
    try {
        (void)c.build();
        FAIL() << "expected config_error";
    } catch (const config_error& e) {
        EXPECT_NE(std::string(e.what()).find("linger.msx"), std::string::npos) << e.what();
    }
}

TEST(client_config, bad_value_is_rejected_naming_the_key_and_value) {
    client_config c{{"linger.ms", "soon"}};
    try {
        (void)c.build();
        FAIL() << "expected config_error";
    } catch (const config_error& e) {
        EXPECT_NE(std::string(e.what()).find("linger.ms"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("soon"), std::string::npos) << e.what();
    }
}

TEST(client_config, later_set_overrides_earlier_value) {
    client_config c{{"linger.ms", "5"}};
    c.set("linger.ms", "7");
    EXPECT_EQ(c.get("linger.ms"), "7");
    EXPECT_FALSE(c.get("acks").has_value());
}

} // namespace
} // namespace brook::kafka
