#pragma once

// The topology of Kafka Streams' RelationalSmokeTest (apache/kafka,
// streams/src/test/java/org/apache/kafka/streams/tests/RelationalSmokeTest.java) in
// Brook's DSL, with its byte formats, so that Kafka's own driver can generate articles and
// comments and verify the joined results (scripts/kafka-smoke relational-driver):
//
//   in-article  (key: article id) --table--+--left_join(comment count per article)-->
//   out-augmented-article in-comment  (key: comment id) --table--+--group_by(article id).count()--^
//                                          +--join(articles, on comment.article_id)-->
//                                          out-augmented-comment
//
// The comment-to-article join is a foreign-key join: comments and articles are keyed
// differently. The topic names are the driver's and fixed.

#include <cstdint>
#include <string>

#include "engine/serde/serde.h"

namespace brook {
class stream_builder;
}

namespace brook::apps {

struct article {
    int32_t key = 0;
    int64_t timestamp = 0;
    std::string text;
};

struct comment {
    int32_t key = 0;
    int64_t timestamp = 0;
    std::string text;
    int32_t article_id = 0;
};

struct augmented_article {
    article a;
    int64_t comment_count = 0;
};

struct augmented_comment {
    comment c;
    std::string article_prefix; // the article's first 10 characters
};

// The Java test's formats, all big-endian: an article is key (i32), timestamp (i64), text
// length (i32), UTF-8 text; a comment the same then article id (i32); an augmented article
// is an article then the comment count (i64); an augmented comment is a comment then the
// prefix's length (i32) and bytes. Reading anything else throws serde_error.
struct article_serde {
    nullable_bytes serialize(const article& a, std::string& buffer) const;
    article deserialize(nullable_bytes in) const;
};
struct comment_serde {
    nullable_bytes serialize(const comment& c, std::string& buffer) const;
    comment deserialize(nullable_bytes in) const;
};
struct augmented_article_serde {
    nullable_bytes serialize(const augmented_article& a, std::string& buffer) const;
    augmented_article deserialize(nullable_bytes in) const;
};
struct augmented_comment_serde {
    nullable_bytes serialize(const augmented_comment& c, std::string& buffer) const;
    augmented_comment deserialize(nullable_bytes in) const;
};

void build_relational_topology(stream_builder& builder);

inline constexpr const char* relational_topics[] = {
    "in-article", "in-comment", "out-augmented-article", "out-augmented-comment"};

} // namespace brook::apps

namespace brook {
template <>
struct default_serde<apps::article> : apps::article_serde {};
template <>
struct default_serde<apps::comment> : apps::comment_serde {};
template <>
struct default_serde<apps::augmented_article> : apps::augmented_article_serde {};
template <>
struct default_serde<apps::augmented_comment> : apps::augmented_comment_serde {};
} // namespace brook
