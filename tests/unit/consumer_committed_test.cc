// kafka::consumer::committed() against librdkafka's mock cluster, whose OffsetFetch
// responses can be made to fail: a coordinator that moved or is still loading (a new
// group on a real broker answers NOT_COORDINATOR for its first requests) is asked again
// until the timeout, while an error no retry can fix is thrown at once. A stream thread
// reads committed offsets whenever it starts tasks, so a throw here ends the thread.

#include <array>
#include <chrono>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "engine/kafka/consumer.h"
#include "engine/kafka/handles.h"
#include "engine/kafka/kafka_error.h"
#include "engine/kafka/mock_cluster.h"
#include "tests/support/broker.h"

namespace brook::kafka {
namespace {

using namespace std::chrono_literals;

constexpr int16_t offset_commit_api = 8;
constexpr int16_t offset_fetch_api = 9;

class consumer_committed : public ::testing::Test {
protected:
    void SetUp() override {
        conf_ptr conf(rd_kafka_conf_new());
        std::array<char, 256> err{};
        rd_kafka_conf_set(conf.get(), "log_level", "0", err.data(), err.size());
        _owner.reset(rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), err.data(), err.size()));
        ASSERT_TRUE(_owner) << err.data();
        (void)conf.release();
        _cluster.reset(rd_kafka_mock_cluster_new(_owner.get(), 1));
        ASSERT_TRUE(_cluster);
        ASSERT_EQ(rd_kafka_mock_topic_create(_cluster.get(), "orders", 2, 1),
                  RD_KAFKA_RESP_ERR_NO_ERROR);
        _config =
            client_config{{"bootstrap.servers", rd_kafka_mock_cluster_bootstraps(_cluster.get())},
                          {"group.id", testing::unique_name("committed-test")},
                          {"enable.auto.commit", "false"},
                          {"log_level", "0"}};
    }

    // The next `n` requests of `api` (OffsetCommit or OffsetFetch) fail with `err`.
    void fail_requests(int16_t api, size_t n, rd_kafka_resp_err_t err) {
        std::vector<rd_kafka_resp_err_t> errors(n, err);
        rd_kafka_mock_push_request_errors_array(_cluster.get(), api, n, errors.data());
    }

    static partition_list_ptr both_partitions() {
        return make_partition_list({std::tuple<std::string, int32_t, int64_t>{"orders", 0, 17},
                                    std::tuple<std::string, int32_t, int64_t>{"orders", 1, 4}});
    }

    // The cluster is destroyed before the handle that owns it.
    kafka_ptr _owner;
    mock_cluster_ptr _cluster;
    client_config _config;
};

TEST_F(consumer_committed, a_moving_coordinator_is_asked_again_until_it_answers) {
    consumer c(_config);
    c.commit(*both_partitions());

    fail_requests(offset_fetch_api, 3, RD_KAFKA_RESP_ERR_NOT_COORDINATOR);
    partition_list_ptr asked = both_partitions();
    c.committed(*asked, 30s);
    EXPECT_EQ(asked->elems[0].offset, 17);
    EXPECT_EQ(asked->elems[1].offset, 4);
    EXPECT_EQ(asked->elems[0].err, RD_KAFKA_RESP_ERR_NO_ERROR);

    fail_requests(offset_fetch_api, 2, RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS);
    asked = both_partitions();
    c.committed(*asked, 30s);
    EXPECT_EQ(asked->elems[0].offset, 17);
    EXPECT_EQ(asked->elems[1].offset, 4);
}

TEST_F(consumer_committed, a_commit_to_a_moving_coordinator_is_sent_again_until_it_lands) {
    consumer c(_config);
    fail_requests(offset_commit_api, 3, RD_KAFKA_RESP_ERR_NOT_COORDINATOR);
    c.commit(*both_partitions());
    partition_list_ptr asked = both_partitions();
    c.committed(*asked, 30s);
    EXPECT_EQ(asked->elems[0].offset, 17);
    EXPECT_EQ(asked->elems[1].offset, 4);
}

TEST_F(consumer_committed, a_commit_the_group_refuses_is_thrown_at_once_for_the_committer) {
    consumer c(_config);
    fail_requests(offset_commit_api, 1, RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS);
    const auto start = std::chrono::steady_clock::now();
    try {
        c.commit(*both_partitions(), 30s);
        FAIL() << "a commit the group refused returned";
    } catch (const kafka_error& e) {
        EXPECT_EQ(e.code(), RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS) << e.what();
    }
    EXPECT_LT(std::chrono::steady_clock::now() - start, 20s) << "it waited for the timeout";
}

TEST_F(consumer_committed, an_error_no_retry_fixes_is_thrown_at_once_with_its_name) {
    consumer c(_config);
    fail_requests(offset_fetch_api, 1, RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED);
    partition_list_ptr asked = both_partitions();
    const auto start = std::chrono::steady_clock::now();
    try {
        c.committed(*asked, 30s);
        FAIL() << "an unauthorized group read its committed offsets";
    } catch (const kafka_error& e) {
        EXPECT_FALSE(e.is_retriable());
        EXPECT_NE(std::string(e.what()).find("GROUP_AUTHORIZATION_FAILED"), std::string::npos)
            << e.what();
    }
    EXPECT_LT(std::chrono::steady_clock::now() - start, 20s) << "it waited for the timeout";
}

TEST_F(consumer_committed, a_coordinator_that_never_answers_ends_in_an_error_at_the_timeout) {
    consumer c(_config);
    fail_requests(offset_fetch_api, 1000, RD_KAFKA_RESP_ERR_NOT_COORDINATOR);
    partition_list_ptr asked = both_partitions();
    try {
        c.committed(*asked, 1500ms);
        FAIL() << "committed() returned though every request failed";
    } catch (const kafka_error& e) {
        EXPECT_TRUE(e.is_retriable());
        EXPECT_NE(std::string(e.what()).find("NOT_COORDINATOR"), std::string::npos) << e.what();
    }
}

} // namespace
} // namespace brook::kafka
