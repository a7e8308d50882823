// The committer runs a commit on its own thread and hands its outcome back at finish();
// retries stop at errors that a retry cannot fix. (Real commits are exercised against the
// broker by the exactly-once integration tests.)

#include <chrono>
#include <stdexcept>

#include <gtest/gtest.h>

#include "engine/kafka/kafka_error.h"
#include "engine/runtime/kafka_clients.h"
#include "engine/runtime/transaction_committer.h"

namespace brook {
namespace {

using namespace std::chrono_literals;

kafka::client_config unreachable() {
    // Never contacted: creating a producer needs no broker.
    return kafka::client_config{{"bootstrap.servers", "127.0.0.1:1"}};
}

TEST(transaction_committer, hands_the_commits_error_back_at_finish_and_is_idle_after) {
    kafka_client_factory clients;
    auto owned = clients.producer(unreachable(), {}); // not transactional: the commit must fail
    producer_client& producer = *owned;
    transaction_committer committer(0);
    EXPECT_FALSE(committer.busy());
    committer.start(producer, {}, nullptr, 1s);
    EXPECT_TRUE(committer.busy());
    EXPECT_THROW(committer.start(producer, {}, nullptr, 1s), std::logic_error)
        << "one commit at a time";
    EXPECT_THROW(committer.finish(), kafka::kafka_error);
    EXPECT_FALSE(committer.busy());
    EXPECT_THROW(committer.finish(), std::logic_error) << "nothing left to finish";

    committer.start(producer, {}, nullptr, 1s); // usable again
    while (!committer.done()) {
        std::this_thread::sleep_for(1ms);
    }
    EXPECT_TRUE(committer.busy()) << "done, but not finished until finish() is called";
    EXPECT_THROW(committer.finish(), kafka::kafka_error);
}

TEST(transaction_committer, retries_retriable_errors_and_gives_up_on_the_others_at_once) {
    int calls = 0;
    transaction_committer::retry_retriable(0, [&] {
        if (++calls < 3) {
            throw kafka::kafka_error("coordinator busy", RD_KAFKA_RESP_ERR__TIMED_OUT, false, true,
                                     false);
        }
    });
    EXPECT_EQ(calls, 3);

    calls = 0;
    EXPECT_THROW(transaction_committer::retry_retriable(
                     0,
                     [&] {
                         ++calls;
                         throw kafka::kafka_error("abortable", RD_KAFKA_RESP_ERR__FAIL, false, true,
                                                  true);
                     }),
                 kafka::kafka_error);
    EXPECT_EQ(calls, 1) << "an error that requires an abort is not retried";

    calls = 0;
    EXPECT_THROW(transaction_committer::retry_retriable(0,
                                                        [&] {
                                                            ++calls;
                                                            throw kafka::kafka_error(
                                                                "fenced", RD_KAFKA_RESP_ERR__FENCED,
                                                                true, false, false);
                                                        }),
                 kafka::kafka_error);
    EXPECT_EQ(calls, 1);
}

} // namespace
} // namespace brook
