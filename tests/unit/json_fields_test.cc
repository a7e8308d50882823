// The apps' JSON reader (apps/common/json_fields) on hostile input: nesting is bounded
// before any tree is built, and the whole value is parsed, NUL bytes and trailing bytes
// included.

#include <string>

#include <gtest/gtest.h>

#include "apps/common/json_fields.h"

namespace brook::apps {
namespace {

// `depth` arrays or objects, one inside the other, around 1.
std::string nested(size_t depth, bool objects) {
    std::string out;
    for (size_t i = 0; i < depth; ++i) {
        out += objects ? R"({"a":)" : "[";
    }
    out += "1";
    out.append(depth, objects ? '}' : ']');
    return out;
}

TEST(json_fields, a_value_nested_as_deep_as_the_limit_is_read_and_one_level_more_is_refused) {
    nlohmann::json doc;
    std::string error;
    for (const bool objects : {false, true}) {
        EXPECT_TRUE(parse_json(nested(max_json_depth, objects), doc, error)) << error;
        EXPECT_FALSE(parse_json(nested(max_json_depth + 1, objects), doc, error));
        EXPECT_EQ(error, "value is nested deeper than 64 levels");
    }
}

TEST(json_fields, a_valid_value_nested_100000_levels_deep_is_refused_without_building_it) {
    // About 200 KB, valid JSON: copying or printing its tree would recurse 100,000 times.
    const std::string deep =
        R"({"name":"n","host":"h","value":1,"tags":)" + nested(100'000, true) + "}";
    nlohmann::json doc;
    std::string error;
    EXPECT_FALSE(parse_json_object(deep, doc, error));
    EXPECT_EQ(error, "value is nested deeper than 64 levels");
    EXPECT_TRUE(doc.is_null()) << "no tree is built for a value that is refused";
}

TEST(json_fields, brackets_inside_strings_do_not_count_as_nesting) {
    const std::string text = R"({"s":")" + std::string(1000, '[') + R"(\"[{", "t":"\\"})";
    nlohmann::json doc;
    std::string error;
    ASSERT_TRUE(parse_json_object(text, doc, error)) << error;
    EXPECT_EQ(doc["s"].get<std::string>(), std::string(1000, '[') + "\"[{");
    EXPECT_EQ(doc["t"], "\\");
}

TEST(json_fields, a_nul_byte_and_what_follows_it_are_not_ignored) {
    nlohmann::json doc;
    std::string error;
    const std::string with_nul("{\"name\":\"n\"}\0garbage", 20);
    EXPECT_FALSE(parse_json_object(with_nul, doc, error));
    EXPECT_EQ(error, "value is not valid JSON: byte 12 of 20 is a NUL, which JSON text never "
                     "holds");
    EXPECT_FALSE(parse_json_object(std::string("{}\0", 3), doc, error)) << "a NUL at the end too";
    EXPECT_FALSE(parse_json_object(std::string("{\"a\":\"\0\"}", 9), doc, error));
}

TEST(json_fields, bytes_after_the_value_are_refused_and_white_space_is_not) {
    nlohmann::json doc;
    std::string error;
    EXPECT_FALSE(parse_json_object(R"({"a":1} {"b":2})", doc, error));
    EXPECT_TRUE(error.starts_with("value is not valid JSON: ")) << error;
    EXPECT_FALSE(parse_json_object(R"({"a":1}x)", doc, error));
    EXPECT_FALSE(parse_json_object("{\"a\":1}/* comment */", doc, error)) << "no comments";
    ASSERT_TRUE(parse_json_object(" \n{\"a\":1}\r\n\t ", doc, error)) << error;
    EXPECT_EQ(doc["a"], 1);
}

TEST(json_fields, a_number_beyond_a_double_and_a_value_that_is_not_an_object_are_refused) {
    nlohmann::json doc;
    std::string error;
    EXPECT_FALSE(parse_json_object(R"({"v":1e999})", doc, error));
    EXPECT_NE(error.find("number overflow"), std::string::npos) << error;
    EXPECT_FALSE(parse_json_object("[1]", doc, error));
    EXPECT_EQ(error, "value is not a JSON object");
    EXPECT_TRUE(parse_json("[1]", doc, error));
}

} // namespace
} // namespace brook::apps
