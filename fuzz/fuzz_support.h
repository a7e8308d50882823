#pragma once

// What the harnesses in fuzz/ share: a check that stops the run with the input saved, the
// switch that leaves out bugs already known and being fixed, and small input helpers.
//
// A broken invariant prints which one and what was seen, then aborts: libFuzzer reports
// the abort as a crash and writes the input to crash-<sha1> (see fuzz/README.md for how to
// reproduce one).
//
// Known bugs. A harness names each invariant or input class that a known, not yet fixed
// bug breaks (e.g. "deep-nesting"), and leaves it out when BROOK_FUZZ_SKIP_KNOWN lists
// the name ("a,b,c", or "all"). Run by hand, a harness checks everything; scripts/run-fuzz
// sets the list of bugs still open, so that its runs pass until the fixes land.
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

// Whether the known bug `name` is to be left out (BROOK_FUZZ_SKIP_KNOWN lists it).
inline bool skip_known(std::string_view name) {
    static const std::string list = [] {
        const char* value = std::getenv("BROOK_FUZZ_SKIP_KNOWN");
        return value == nullptr ? std::string() : std::string(value);
    }();
    std::string_view rest = list;
    while (!rest.empty()) {
        const size_t comma = rest.find(',');
        const std::string_view item = rest.substr(0, comma);
        if (item == name || item == "all") {
            return true;
        }
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    }
    return false;
}

inline std::string_view as_text(const uint8_t* data, size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

// The deepest nesting of '[' and '{' in `text`, counting brackets inside strings too (an
// over-estimate, which is what skipping deep inputs needs).
inline size_t bracket_depth(std::string_view text) {
    size_t depth = 0;
    size_t deepest = 0;
    for (const char c : text) {
        if (c == '[' || c == '{') {
            deepest = ++depth > deepest ? depth : deepest;
        } else if ((c == ']' || c == '}') && depth > 0) {
            --depth;
        }
    }
    return deepest;
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
