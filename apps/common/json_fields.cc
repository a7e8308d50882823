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

bool parse_json_object(std::string_view raw, nlohmann::json& doc, std::string& error) {
    try {
        doc = nlohmann::json::parse(raw);
    } catch (const nlohmann::json::exception& e) { // parse_error, or out_of_range on overflow
        error = std::string("value is not valid JSON: ") + e.what();
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

} // namespace brook::apps
