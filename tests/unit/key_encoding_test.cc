// Window and session key encodings (key_encoding.h) and the segment arithmetic
// (segment_policy.h) that both window/session bottoms share.

#include <string>

#include <gtest/gtest.h>

#include "state/key_encoding.h"
#include "state/segment_policy.h"
#include "state/store_context.h"

namespace brook::state {
namespace {

TEST(key_encoding, a_window_key_is_the_length_the_key_and_the_big_endian_start) {
    const std::string encoded = encode_window_key("ab", 0x0102);
    EXPECT_EQ(encoded, std::string("\0\0\0\2ab\0\0\0\0\0\0\1\2", 14));
    const auto decoded = decode_window_key(encoded);
    EXPECT_EQ(decoded.key, "ab");
    EXPECT_EQ(decoded.start, 0x0102);
}

TEST(key_encoding, a_session_key_puts_the_end_before_the_start) {
    const std::string encoded = encode_session_key("k", 5, 9);
    EXPECT_EQ(encoded, std::string("\0\0\0\1k\0\0\0\0\0\0\0\x09\0\0\0\0\0\0\0\x05", 21));
    const auto decoded = decode_session_key(encoded);
    EXPECT_EQ(decoded.key, "k");
    EXPECT_EQ(decoded.start, 5);
    EXPECT_EQ(decoded.end, 9);
}

TEST(key_encoding, binary_and_empty_keys_round_trip) {
    const std::string key("\0\xff\0", 3);
    EXPECT_EQ(decode_window_key(encode_window_key(key, 7)).key, key);
    EXPECT_EQ(decode_window_key(encode_window_key("", 7)).key, "");
    EXPECT_EQ(decode_session_key(encode_session_key(key, 1, 2)).key, key);
}

TEST(key_encoding, one_keys_windows_sort_by_start_and_never_interleave_with_a_longer_key) {
    EXPECT_LT(encode_window_key("a", 1), encode_window_key("a", 2));
    EXPECT_LT(encode_window_key("a", 255), encode_window_key("a", 256));
    // "a" at any time sorts before "ab" at any time: the length prefix keeps them apart.
    EXPECT_LT(encode_window_key("a", INT64_MAX), encode_window_key("ab", 0));
    EXPECT_LT(encode_session_key("a", 0, 10), encode_session_key("a", 5, 11));
    EXPECT_LT(encode_session_key("a", 0, 10), encode_session_key("a", 1, 10));
}

TEST(key_encoding, decoders_reject_truncated_inconsistent_or_negative_keys_with_state_error) {
    EXPECT_THROW(decode_window_key("short"), state_error);
    std::string wrong_length = encode_window_key("abc", 1);
    wrong_length[3] = 9;
    EXPECT_THROW(decode_window_key(wrong_length), state_error);
    EXPECT_THROW(decode_session_key(encode_window_key("k", 1)), state_error);
    std::string negative = encode_window_key("k", 1);
    negative[5] = static_cast<char>(0x80);
    EXPECT_THROW(decode_window_key(negative), state_error);
    // A session whose start is after its end was not written by a session store.
    std::string swapped = encode_key_prefix("k");
    append_u64_be(swapped, 1);
    append_u64_be(swapped, 2);
    EXPECT_THROW(decode_session_key(swapped), state_error);
    try {
        decode_window_key("xx");
        FAIL();
    } catch (const state_error& e) {
        EXPECT_NE(std::string(e.what()).find("malformed window key"), std::string::npos);
    }
}

TEST(key_encoding, encoders_reject_negative_times) {
    EXPECT_THROW(encode_window_key("k", -1), std::invalid_argument);
    EXPECT_THROW(encode_session_key("k", -1, 5), std::invalid_argument);
}

TEST(key_encoding, prefix_upper_bound_is_the_first_key_past_every_key_with_the_prefix) {
    EXPECT_EQ(prefix_upper_bound("ab"), "ac");
    EXPECT_EQ(prefix_upper_bound(std::string("a\xff\xff", 3)), "b");
    EXPECT_EQ(prefix_upper_bound(std::string("\x01\x7f", 2)), std::string("\x01\x80", 2));
    EXPECT_EQ(prefix_upper_bound(std::string("\xff\xff", 2)), "");
    EXPECT_EQ(prefix_upper_bound(""), "");
}

TEST(segment_policy,
     cuts_time_into_segments_and_keeps_those_ending_after_stream_time_minus_retention) {
    const segment_policy policy(/*retention_ms=*/1000, /*segment_interval_ms=*/500);
    EXPECT_EQ(policy.segment_id(0), 0);
    EXPECT_EQ(policy.segment_id(499), 0);
    EXPECT_EQ(policy.segment_id(500), 1);
    EXPECT_EQ(policy.min_live_segment(-1), -1); // nothing put yet
    EXPECT_EQ(policy.min_live_segment(999), -1);
    EXPECT_EQ(policy.min_live_segment(1499), 0);
    EXPECT_EQ(policy.min_live_segment(1500), 1); // segment 0 ends at 500 == 1500 - 1000
    EXPECT_FALSE(policy.is_live(0, 1500));
    EXPECT_TRUE(policy.is_live(1, 1500));
}

TEST(segment_policy, defaults_the_interval_to_half_the_retention_but_at_least_a_minute) {
    EXPECT_EQ(segment_policy(86'400'000, 0).segment_interval_ms(), 43'200'000);
    EXPECT_EQ(segment_policy(1000, 0).segment_interval_ms(), 60'000);
    EXPECT_EQ(segment_policy(0, 0).segment_interval_ms(), 60'000);
    EXPECT_THROW(segment_policy(-5, 0), std::invalid_argument);
    EXPECT_THROW(segment_policy(5, -1), std::invalid_argument);
}

} // namespace
} // namespace brook::state
