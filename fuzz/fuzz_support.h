#pragma once

// What the harnesses in fuzz/ share: a check that stops the run with the input saved, and
// small input helpers.
//
// A broken invariant prints which one and what was seen, then aborts: libFuzzer reports
// the abort as a crash and writes the input to crash-<sha1> (see fuzz/README.md for how to
// reproduce one).
//
// Threading: libFuzzer runs a harness on one thread; nothing here is shared otherwise.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace brook::fuzz {

[[noreturn]] inline void fail(const char* check, const char* file, int line,
                              const std::string& detail) {
    std::fprintf(stderr, "\n==fuzz== invariant broken at %s:%d: %s\n==fuzz== %s\n", file, line,
                 check, detail.c_str());
    std::fflush(stderr);
    std::abort();
}

inline std::string_view as_text(const uint8_t* data, size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

// A printable excerpt of `text` for a failure message.
inline std::string excerpt(std::string_view text, size_t limit = 200) {
    std::string out;
    for (const char c : text.substr(0, limit)) {
        const auto u = static_cast<unsigned char>(c);
        if (u >= 0x20 && u < 0x7f && c != '\\') {
            out += c;
        } else {
            char hex[8];
            std::snprintf(hex, sizeof hex, "\\x%02X", u);
            out += hex;
        }
    }
    if (text.size() > limit) {
        out += "... (" + std::to_string(text.size()) + " bytes)";
    }
    return out;
}

} // namespace brook::fuzz

// Checks an invariant of the code under test; see fail() above.
#define FUZZ_CHECK(condition, detail)                                                              \
    do {                                                                                           \
        if (!(condition)) {                                                                        \
            ::brook::fuzz::fail(#condition, __FILE__, __LINE__, (detail));                         \
        }                                                                                          \
    } while (0)
