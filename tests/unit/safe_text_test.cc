// safe_text keeps reasons built from records readable: valid UTF-8, escaped controls, and
// bounded, whatever bytes they quote.

#include <string>

#include <gtest/gtest.h>

#include "engine/text/safe_text.h"

namespace brook::text {
namespace {

TEST(safe_text, leaves_plain_and_multibyte_text_as_it_is) {
    EXPECT_EQ(safe("value is not a number"), "value is not a number");
    EXPECT_EQ(safe("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"),
              "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
    EXPECT_TRUE(is_valid_utf8("caf\xC3\xA9"));
}

TEST(safe_text, escapes_broken_utf8_and_control_characters) {
    EXPECT_EQ(safe("a\xFF"
                   "b"),
              "a\\xFFb");
    EXPECT_EQ(safe("\xC3"), "\\xC3") << "a sequence cut short";
    EXPECT_EQ(safe("\xC0\xAF"), "\\xC0\\xAF") << "an overlong form";
    EXPECT_EQ(safe("\xED\xA0\x80"), "\\xED\\xA0\\x80") << "a surrogate";
    EXPECT_EQ(safe("\xF4\x90\x80\x80"), "\\xF4\\x90\\x80\\x80") << "past U+10FFFF";
    EXPECT_EQ(safe(std::string("a\0b\n\t\x7F", 6)), "a\\u0000b\\n\\t\\u007F");
    for (const char* bad : {"\xFF", "\xC3", "\xC0\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80"}) {
        EXPECT_FALSE(is_valid_utf8(bad));
        EXPECT_TRUE(is_valid_utf8(safe(bad)));
    }
}

TEST(safe_text, cuts_long_text_at_a_character_boundary_and_says_how_long_it_was) {
    const std::string long_token(600'000, 'x');
    const std::string s = safe(long_token, 100);
    EXPECT_LE(s.size(), 140U);
    EXPECT_NE(s.find("(600000 bytes in all)"), std::string::npos) << s;
    std::string euros;
    for (int i = 0; i < 100; ++i) {
        euros += "\xE2\x82\xAC";
    }
    EXPECT_TRUE(is_valid_utf8(safe(euros, 10))) << "never half a character";
}

} // namespace
} // namespace brook::text
