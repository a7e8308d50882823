#pragma once

// json_fields: the checks the example topologies run on a JSON input value before they
// accept it, each of which gives the reason a record goes to the dead-letter topic, and the
// text helpers those checks use. Tests and the DLQ's "error" header depend on the reasons
// word for word, so change them only together with both.
//
// Each reader sets its output and returns true, or sets `error` to the reason and returns
// false, so a parser can chain them with && and keep the first failure:
//
//   nlohmann::json doc;
//   std::string error;
//   const bool ok = parse_json_object(raw, doc, error) &&
//                   read_non_empty_string(doc, "user_id", user_id, error);
//
// Threading: none; pure functions.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace brook::apps {

// `s` without leading and trailing white space (as std::isspace says).
std::string_view trim(std::string_view s);
// `s` trimmed, and lower-cased byte by byte (ASCII letters only).
std::string trim_lower(std::string_view s);
// True when `s` is empty or white space only.
bool blank(std::string_view s);

// The deepest nesting of arrays and objects an input value may have. nlohmann parses
// without recursion, but copying, comparing and writing a document recurse once per level:
// a valid 200 KB value nested 100,000 deep overflowed the stack of brook-metrics when its
// "tags" were copied. No input the apps take needs more than a few levels.
inline constexpr size_t max_json_depth = 64;

// Parses all of `raw`, from its first byte to its last, into `doc`. Reasons:
//   "value is not valid JSON: <parser message>"  also for a number beyond a double, such as
//        1e999 (JSON cannot write a non-finite number otherwise, so every parsed number is
//        finite), and for anything after the value: nlohmann's lexer takes a NUL byte for
//        the end of the input, so `{...}\0garbage` is refused here, by the NUL
//   "value is nested deeper than 64 levels"      checked before a tree is built, so no
//        deep tree is ever made (max_json_depth)
// The parser message can quote the input; the caller bounds it (text::safe) where it writes
// it out.
bool parse_json(std::string_view raw, nlohmann::json& doc, std::string& error);
// parse_json's checks of the text before any parse: the NUL and the depth. For a reader
// that parses the text itself (with nlohmann's SAX parser, so its messages are the same).
bool check_json_text(std::string_view raw, std::string& error);

// parse_json, and the value must be an object: else "value is not a JSON object".
bool parse_json_object(std::string_view raw, nlohmann::json& doc, std::string& error);

// The last event time the apps accept, 9999-12-31T23:59:59.999Z in epoch ms. Bounding event
// times keeps every window, grace and retention sum far from overflow.
inline constexpr int64_t max_event_time_ms = 253402300799999;

// Reads the event time of the object `doc`: its "ts" field when it has one, which must be an
// integer from 1 to max_event_time_ms, else `record_ts`, which must be in that range too.
// 0 and negative times are refused: a producer that never set a time writes 0 (or -1),
// and taking that for 1970 would put the record in a window closed decades ago, or open
// windows that hold stream time back. Reasons: "'ts' must be epoch milliseconds, an integer
// from 1 to 253402300799999" or "no 'ts' field, and the record timestamp <t> is not epoch
// milliseconds from 1 to 253402300799999". (How far into the future an event may be is the
// engine's max.event.time.future.ms, checked against the wall clock, not a parser's rule.)
bool read_event_time(const nlohmann::json& doc, int64_t record_ts, int64_t& out,
                     std::string& error);
// The same rule for a reader that keeps no document: `ts` is the "ts" field's value when
// it was a non-negative integer (nlohmann's unsigned reading), `has_ts` whether the field
// was there at all.
bool read_event_time(bool has_ts, std::optional<uint64_t> ts, int64_t record_ts, int64_t& out,
                     std::string& error);

// Reads `field` of the object `doc`, which must be a string and not blank (it is kept as
// written, untrimmed). Reasons: "missing field '<field>'" or "'<field>' must be a non-empty
// string".
bool read_non_empty_string(const nlohmann::json& doc, const char* field, std::string& out,
                           std::string& error);

} // namespace brook::apps
