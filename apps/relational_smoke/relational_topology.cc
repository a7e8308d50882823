#include "apps/relational_smoke/relational_topology.h"

#include <optional>
#include <string>
#include <string_view>

#include "operators/stream_builder.h"

namespace brook::apps {
namespace {

void put_u32(std::string& out, uint32_t v) {
    for (int i = 0; i < 4; ++i) {
        out.push_back(static_cast<char>(static_cast<unsigned char>(v >> (24 - 8 * i))));
    }
}
void put_u64(std::string& out, uint64_t v) {
    for (int i = 0; i < 8; ++i) {
        out.push_back(static_cast<char>(static_cast<unsigned char>(v >> (56 - 8 * i))));
    }
}
void put_text(std::string& out, const std::string& text) {
    put_u32(out, static_cast<uint32_t>(text.size()));
    out.append(text);
}

// Reads the Java test's big-endian fields off the front of the bytes; any read past the
// end throws serde_error naming `what`.
class reader {
public:
    reader(std::string_view in, const char* what) : _in(in), _what(what) {}
    int32_t i32() { return static_cast<int32_t>(u(4)); }
    int64_t i64() { return static_cast<int64_t>(u(8)); }
    std::string text() {
        const int32_t n = i32();
        if (n < 0 || static_cast<size_t>(n) > _in.size()) {
            fail();
        }
        std::string s(_in.substr(0, static_cast<size_t>(n)));
        _in.remove_prefix(static_cast<size_t>(n));
        return s;
    }
    void done() const {
        if (!_in.empty()) {
            fail();
        }
    }

private:
    uint64_t u(size_t bytes) {
        if (_in.size() < bytes) {
            fail();
        }
        uint64_t v = 0;
        for (size_t i = 0; i < bytes; ++i) {
            v = (v << 8) | static_cast<unsigned char>(_in[i]);
        }
        _in.remove_prefix(bytes);
        return v;
    }
    [[noreturn]] void fail() const {
        throw serde_error(std::string("not a RelationalSmokeTest ") + _what +
                          " (big-endian fields of the Java test's format)");
    }

    std::string_view _in;
    const char* _what;
};

std::string_view require(nullable_bytes in, const char* what) {
    if (!in) {
        throw serde_error(std::string("a RelationalSmokeTest ") + what + " cannot be null");
    }
    return *in;
}

void write_article(std::string& out, const article& a) {
    put_u32(out, static_cast<uint32_t>(a.key));
    put_u64(out, static_cast<uint64_t>(a.timestamp));
    put_text(out, a.text);
}
article read_article(reader& r) {
    article a;
    a.key = r.i32();
    a.timestamp = r.i64();
    a.text = r.text();
    return a;
}
void write_comment(std::string& out, const comment& c) {
    put_u32(out, static_cast<uint32_t>(c.key));
    put_u64(out, static_cast<uint64_t>(c.timestamp));
    put_text(out, c.text);
    put_u32(out, static_cast<uint32_t>(c.article_id));
}
comment read_comment(reader& r) {
    comment c;
    c.key = r.i32();
    c.timestamp = r.i64();
    c.text = r.text();
    c.article_id = r.i32();
    return c;
}

} // namespace

nullable_bytes article_serde::serialize(const article& a, std::string& buffer) const {
    buffer.clear();
    write_article(buffer, a);
    return std::string_view(buffer);
}
article article_serde::deserialize(nullable_bytes in) const {
    reader r(require(in, "article"), "article");
    article a = read_article(r);
    r.done();
    return a;
}

nullable_bytes comment_serde::serialize(const comment& c, std::string& buffer) const {
    buffer.clear();
    write_comment(buffer, c);
    return std::string_view(buffer);
}
comment comment_serde::deserialize(nullable_bytes in) const {
    reader r(require(in, "comment"), "comment");
    comment c = read_comment(r);
    r.done();
    return c;
}

nullable_bytes augmented_article_serde::serialize(const augmented_article& a,
                                                  std::string& buffer) const {
    buffer.clear();
    write_article(buffer, a.a);
    put_u64(buffer, static_cast<uint64_t>(a.comment_count));
    return std::string_view(buffer);
}
augmented_article augmented_article_serde::deserialize(nullable_bytes in) const {
    reader r(require(in, "augmented article"), "augmented article");
    augmented_article a;
    a.a = read_article(r);
    a.comment_count = r.i64();
    r.done();
    return a;
}

nullable_bytes augmented_comment_serde::serialize(const augmented_comment& c,
                                                  std::string& buffer) const {
    buffer.clear();
    write_comment(buffer, c.c);
    put_text(buffer, c.article_prefix);
    return std::string_view(buffer);
}
augmented_comment augmented_comment_serde::deserialize(nullable_bytes in) const {
    reader r(require(in, "augmented comment"), "augmented comment");
    augmented_comment c;
    c.c = read_comment(r);
    c.article_prefix = r.text();
    r.done();
    return c;
}

void build_relational_topology(stream_builder& builder) {
    auto articles = builder.table<int32_t, article>("in-article");
    auto comments = builder.table<int32_t, comment>("in-comment");

    auto comment_counts = comments
                              .group_by([](int32_t, const comment& c) {
                                  return key_value<int32_t, int32_t>{c.article_id, 1};
                              })
                              .count();

    articles
        .left_join(comment_counts,
                   [](const article& a, const std::optional<int64_t>& count) {
                       return augmented_article{a, count.value_or(0)};
                   })
        .to_stream()
        .to("out-augmented-article");

    comments
        .join(
            articles, [](const comment& c) { return c.article_id; },
            [](const comment& c, const article& a) {
                return augmented_comment{c, a.text.substr(0, 10)};
            })
        .to_stream()
        .to("out-augmented-comment");
}

} // namespace brook::apps
