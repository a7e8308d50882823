#pragma once

// safe_text: text made from what a user or a record gave, fit to put in a header, a log
// line or an HTTP answer: valid UTF-8 (every byte that does not start a well-formed
// sequence is written as "\xNN"), control characters escaped ("\n", "\t", "\u0000"), and
// no longer than a bound (cut at a character boundary, with "..." and the original size
// appended). A DLQ "error" header that quotes a 600 KB token or broken UTF-8 is a second
// failure; this keeps reasons readable and small.
//
// Pure functions; thread-safe.

#include <cstddef>
#include <string>
#include <string_view>

namespace brook::text {

// The default bound for reasons in DLQ headers (bytes).
inline constexpr size_t reason_limit = 512;

// `raw` made safe, at most about `limit` bytes (the cut note adds a few).
std::string safe(std::string_view raw, size_t limit = reason_limit);

// Whether `s` is valid UTF-8 (no overlong forms, no surrogates, nothing past U+10FFFF).
bool is_valid_utf8(std::string_view s);

} // namespace brook::text
