#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "engine/serde/partitioner.h"

namespace brook {
namespace {

// One key and what Kafka computes for it.
struct java_case {
    const char* label;
    std::string key;
    int32_t murmur2;
    int32_t partition_of_1;
    int32_t partition_of_3;
    int32_t partition_of_8;
    int32_t partition_of_12;
};

std::string raw(std::initializer_list<unsigned char> octets) {
    return std::string(octets.begin(), octets.end());
}

std::string repeated(std::string_view part, int times) {
    std::string out;
    for (int i = 0; i < times; ++i) {
        out += part;
    }
    return out;
}

// These values came from Kafka 3.9.1's Utils.murmur2 and Utils.toPositive
// (kafka-clients 3.9.1.jar, run on OpenJDK 17), partition =
// toPositive(murmur2(key)) % n as in BuiltInPartitioner.partitionForKey. Keys
// are their UTF-8 bytes unless given as octets. The set covers every tail
// length (0-3 bytes after the last whole word) and bytes >= 0x80 both in whole
// words and in the tail, where Java's signed bytes would matter if unmasked.
const std::vector<java_case>& java_cases() {
    static const std::vector<java_case> cases = {
        {"empty", "", 275646681, 0, 0, 1, 9},
        {"a", "a", -1563381124, 0, 1, 4, 4},
        {"ab", "ab", 316155434, 0, 2, 2, 2},
        {"abc", "abc", 479470107, 0, 0, 3, 3},
        {"abcd", "abcd", -1323649548, 0, 2, 4, 8},
        {"key-1", "key-1", 193331640, 0, 0, 0, 0},
        {"key-2", "key-2", 852269702, 0, 2, 6, 2},
        {"user-42", "user-42", 1459644460, 0, 1, 4, 4},
        {"hello world", "hello world", 1221641059, 0, 1, 3, 7},
        {"0123456789 x100", repeated("0123456789", 100), 801794455, 0, 1, 7, 7},
        {"é日本 (c3 a9 e6 97 a5 e6 9c ac)", "\xc3\xa9\xe6\x97\xa5\xe6\x9c\xac", 93610804, 0, 1, 4,
         4},
        {"é日 (tail byte a5)", "\xc3\xa9\xe6\x97\xa5", 762848935, 0, 1, 7, 7},
        {"80 ff 7f", raw({0x80, 0xff, 0x7f}), -1765891516, 0, 1, 4, 4},
        {"ff ff ff ff 80", raw({0xff, 0xff, 0xff, 0xff, 0x80}), -1702406959, 0, 1, 1, 1},
        {"fe dc ba 98 76 54", raw({0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54}), -1760497198, 0, 1, 2, 10},
    };
    return cases;
}

TEST(murmur2, matches_kafka_java_utils_murmur2_for_every_known_key) {
    for (const java_case& c : java_cases()) {
        EXPECT_EQ(murmur2(c.key), c.murmur2) << c.label;
    }
}

TEST(murmur2, default_partition_matches_kafkas_built_in_partitioner) {
    for (const java_case& c : java_cases()) {
        EXPECT_EQ(default_partition(c.key, 1), c.partition_of_1) << c.label;
        EXPECT_EQ(default_partition(c.key, 3), c.partition_of_3) << c.label;
        EXPECT_EQ(default_partition(c.key, 8), c.partition_of_8) << c.label;
        EXPECT_EQ(default_partition(c.key, 12), c.partition_of_12) << c.label;
    }
}

TEST(murmur2, to_positive_clears_the_sign_bit_rather_than_negating) {
    // Values from Kafka 3.9.1's Utils.toPositive.
    EXPECT_EQ(to_positive(-1), 2147483647);
    EXPECT_EQ(to_positive(std::numeric_limits<int32_t>::min()), 0);
    EXPECT_EQ(to_positive(-1563381124), 584102524);
    EXPECT_EQ(to_positive(42), 42);
}

TEST(murmur2, hashes_only_the_viewed_bytes) {
    const std::string padded = "key-1 and more";
    EXPECT_EQ(murmur2(std::string_view(padded).substr(0, 5)), 193331640);
}

TEST(murmur2, default_partition_refuses_a_partition_count_below_one) {
    EXPECT_THROW(default_partition("k", 0), std::invalid_argument);
    EXPECT_THROW(default_partition("k", -3), std::invalid_argument);
}

} // namespace
} // namespace brook
