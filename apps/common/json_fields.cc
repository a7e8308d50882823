#include "apps/common/json_fields.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

namespace brook::apps {

namespace {

bool is_space(unsigned char c) {
    return std::isspace(c) != 0;
}

} // namespace

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_space(static_cast<unsigned char>(s.front()))) {
        s.remove_prefix(1);
    }
    while (!s.empty() && is_space(static_cast<unsigned char>(s.back()))) {
        s.remove_suffix(1);
    }
    return s;
}

std::string trim_lower(std::string_view s) {
    std::string out(trim(s));
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

bool blank(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](unsigned char c) { return is_space(c); });
}

namespace {

// The deepest nesting of brackets outside strings anywhere in `raw`. On a prefix that is
// valid JSON this is the parser's own depth, so when it is <= max_json_depth the parser
// cannot nest deeper either (to go deeper it would have to accept a longer valid prefix).
// A byte loop with no allocation: cheaper than a second, SAX, parse.
size_t max_depth(std::string_view raw) {
    size_t depth = 0;
    size_t deepest = 0;
    bool in_string = false;
    for (size_t i = 0; i < raw.size(); ++i) {
        const char c = raw[i];
        if (in_string) {
            if (c == '\\') {
                ++i; // the escaped character cannot end the string
            } else if (c == '"') {
                in_string = false;
            }
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            deepest = std::max(deepest, ++depth);
        } else if ((c == ']' || c == '}') && depth > 0) {
            --depth;
        }
    }
    return deepest;
}

} // namespace

bool check_json_text(std::string_view raw, std::string& error) {
    // A NUL is never valid in JSON text (inside a string it must be escaped), but
    // nlohmann's lexer reads one as the end of the input and would ignore what follows.
    if (const size_t nul = raw.find('\0'); nul != std::string_view::npos) {
        error = fmt::format("value is not valid JSON: byte {} of {} is a NUL, which JSON text "
                            "never holds",
                            nul, raw.size());
        return false;
    }
    if (max_depth(raw) > max_json_depth) {
        error = fmt::format("value is nested deeper than {} levels", max_json_depth);
        return false;
    }
    return true;
}

bool parse_json(std::string_view raw, nlohmann::json& doc, std::string& error) {
    if (!check_json_text(raw, error)) {
        return false;
    }
    try {
        // Explicit bounds: the whole of `raw` is the value, and strict parsing refuses
        // anything after it.
        doc = nlohmann::json::parse(raw.begin(), raw.end(), nullptr, true, false);
    } catch (const nlohmann::json::exception& e) { // parse_error, or out_of_range on overflow
        error = std::string("value is not valid JSON: ") + e.what();
        return false;
    }
    return true;
}

bool parse_json_object(std::string_view raw, nlohmann::json& doc, std::string& error) {
    if (!parse_json(raw, doc, error)) {
        return false;
    }
    if (!doc.is_object()) {
        error = "value is not a JSON object";
        return false;
    }
    return true;
}

bool read_non_empty_string(const nlohmann::json& doc, const char* field, std::string& out,
                           std::string& error) {
    const auto it = doc.find(field);
    if (it == doc.end()) {
        error = fmt::format("missing field '{}'", field);
        return false;
    }
    if (!it->is_string() || blank(it->get_ref<const std::string&>())) {
        error = fmt::format("'{}' must be a non-empty string", field);
        return false;
    }
    out = it->get<std::string>();
    return true;
}

bool read_event_time(const nlohmann::json& doc, int64_t record_ts, int64_t& out,
                     std::string& error) {
    const auto it = doc.find("ts");
    // nlohmann reads every integer >= 0 as unsigned, so only those count: negative
    // numbers, fractions and integers beyond int64 are refused.
    std::optional<uint64_t> ts;
    if (it != doc.end() && it->is_number_unsigned()) {
        ts = it->get<uint64_t>();
    }
    return read_event_time(it != doc.end(), ts, record_ts, out, error);
}

bool read_event_time(bool has_ts, std::optional<uint64_t> ts, int64_t record_ts, int64_t& out,
                     std::string& error) {
    if (has_ts) {
        if (!ts || *ts < 1 || *ts > static_cast<uint64_t>(max_event_time_ms)) {
            error = fmt::format("'ts' must be epoch milliseconds, an integer from 1 to {}",
                                max_event_time_ms);
            return false;
        }
        out = static_cast<int64_t>(*ts);
        return true;
    }
    if (record_ts < 1 || record_ts > max_event_time_ms) {
        error = fmt::format("no 'ts' field, and the record timestamp {} is not epoch "
                            "milliseconds from 1 to {}",
                            record_ts, max_event_time_ms);
        return false;
    }
    out = record_ts;
    return true;
}

} // namespace brook::apps
