// The consumer client.id carries a stream thread's process id and endpoint to the other
// instances (member_identity.h); what one writes, another must read back, and a client.id
// no Brook thread wrote must not be taken for one.

#include <gtest/gtest.h>

#include "engine/runtime/member_identity.h"

namespace brook {
namespace {

constexpr const char* pid = "0123456789abcdef0123456789abcdef";

TEST(member_identity, what_a_thread_writes_reads_back_with_and_without_an_endpoint) {
    const std::string with = consumer_client_id("metrics", pid, 2, "10.0.0.7:8080");
    EXPECT_EQ(with, std::string("metrics-") + pid + "-StreamThread-2-consumer@10.0.0.7:8080");
    const auto a = parse_member_identity(with);
    ASSERT_TRUE(a);
    EXPECT_EQ(a->process_id, pid);
    EXPECT_EQ(a->application_server, "10.0.0.7:8080");

    const auto b = parse_member_identity(consumer_client_id("metrics", pid, 1, ""));
    ASSERT_TRUE(b);
    EXPECT_EQ(b->process_id, pid);
    EXPECT_EQ(b->application_server, "");
}

TEST(member_identity, a_client_id_with_dashes_and_at_signs_of_its_own_still_reads) {
    const auto a = parse_member_identity(consumer_client_id("a@b-c-StreamThread-x", pid, 3, "h:1"));
    ASSERT_TRUE(a);
    EXPECT_EQ(a->process_id, pid);
    EXPECT_EQ(a->application_server, "h:1");
}

TEST(member_identity, client_ids_no_brook_thread_wrote_are_refused) {
    for (const char* id : {"", "rdkafka", "metrics-StreamThread-1-consumer",
                           "metrics-0123456789abcdef0123456789abcdeX-StreamThread-1-consumer",
                           "metrics-0123456789abcdef0123456789abcdef-StreamThread-1-producer",
                           "0123456789abcdef0123456789abcdef-StreamThread-1-consumer"}) {
        EXPECT_FALSE(parse_member_identity(id)) << id;
    }
}

} // namespace
} // namespace brook
