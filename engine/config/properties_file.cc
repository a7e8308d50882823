#include "engine/config/properties_file.h"

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <optional>

#include <fmt/format.h>

#include "engine/errors.h"

namespace brook {
namespace {

// java.util.Properties counts only these three as whitespace; a vertical tab is data.
bool is_blank(char c) {
    return c == ' ' || c == '\t' || c == '\f';
}

// One logical line: natural lines joined at their continuation backslashes. Each byte
// remembers the natural line it came from, so an error deep in a continued value still
// names the line the user has to fix.
struct logical_line {
    std::string text;
    std::vector<int> line_of;
    int first_line = 0;
};

std::string size_text(std::size_t bytes) {
    return bytes >= (std::size_t{1} << 20) && bytes % (std::size_t{1} << 20) == 0
               ? fmt::format("{} MiB", bytes >> 20)
               : fmt::format("{} bytes", bytes);
}

// Splits text into natural lines (ended by \n, \r or \r\n) and joins continuations the
// way Properties.load() does: comment and blank lines are dropped only where a logical
// line starts, and a continued line's leading whitespace is not part of the value.
// Throws config_error past max_properties_lines or max_property_line_bytes.
std::vector<logical_line> split_logical_lines(std::string_view text, std::string_view source) {
    std::vector<logical_line> out;
    std::optional<logical_line> current;
    int line_number = 0;
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t end = text.find_first_of("\r\n", pos);
        std::size_t next = end;
        if (end == std::string_view::npos) {
            end = text.size();
            next = text.size();
        } else if (text[end] == '\r' && end + 1 < text.size() && text[end + 1] == '\n') {
            next = end + 2;
        } else {
            next = end + 1;
        }
        ++line_number;
        if (static_cast<std::size_t>(line_number) > max_properties_lines) {
            throw config_error(fmt::format("{}: more than {} lines; a configuration has a few "
                                           "dozen: is this the right file?",
                                           source, max_properties_lines));
        }
        std::string_view natural = text.substr(pos, end - pos);
        pos = next;

        std::size_t start = 0;
        while (start < natural.size() && is_blank(natural[start])) {
            ++start;
        }
        natural.remove_prefix(start);
        if (!current) {
            if (natural.empty() || natural.front() == '#' || natural.front() == '!') {
                continue;
            }
            current.emplace();
            current->first_line = line_number;
        }

        std::size_t trailing_backslashes = 0;
        while (trailing_backslashes < natural.size() &&
               natural[natural.size() - 1 - trailing_backslashes] == '\\') {
            ++trailing_backslashes;
        }
        const bool continues = trailing_backslashes % 2 == 1;
        if (continues) {
            natural.remove_suffix(1);
        }
        if (current->text.size() + natural.size() > max_property_line_bytes) {
            throw config_error(fmt::format("{}:{}: the entry starting here is longer than {} "
                                           "(with its continuation lines); keys are short and "
                                           "values at most a certificate bundle",
                                           source, current->first_line,
                                           size_text(max_property_line_bytes)));
        }
        current->text.append(natural);
        current->line_of.insert(current->line_of.end(), natural.size(), line_number);
        if (!continues) {
            out.push_back(std::move(*current));
            current.reset();
        }
    }
    if (current) { // the text ended inside a continuation; Java keeps what it has
        out.push_back(std::move(*current));
    }
    return out;
}

void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

// Decodes the escapes of line.text[begin, end).
class unescaper {
public:
    unescaper(const logical_line& line, std::string_view source) : _line(line), _source(source) {}

    std::string decode(std::size_t begin, std::size_t end) const {
        std::string out;
        out.reserve(end - begin);
        std::size_t i = begin;
        while (i < end) {
            const char c = _line.text[i];
            if (c != '\\') {
                out.push_back(c);
                ++i;
                continue;
            }
            if (i + 1 == end) { // a lone backslash at the very end: Java drops it
                ++i;
                continue;
            }
            const char e = _line.text[i + 1];
            switch (e) {
            case 't':
                out.push_back('\t');
                break;
            case 'n':
                out.push_back('\n');
                break;
            case 'r':
                out.push_back('\r');
                break;
            case 'f':
                out.push_back('\f');
                break;
            case 'u': {
                std::uint32_t unit = read_hex4(i, end);
                i += 6;
                if (unit >= 0xD800 && unit <= 0xDBFF) {
                    // UTF-16 high surrogate: Java writes astral characters as a pair.
                    if (i + 1 < end && _line.text[i] == '\\' && _line.text[i + 1] == 'u') {
                        const std::uint32_t low = read_hex4(i, end);
                        if (low >= 0xDC00 && low <= 0xDFFF) {
                            i += 6;
                            append_utf8(out, 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00));
                            continue;
                        }
                    }
                    fail(i - 6, fmt::format("\\u{:04X} is a UTF-16 high surrogate without the low "
                                            "surrogate (\\uDC00-\\uDFFF) that must follow it",
                                            unit));
                }
                if (unit >= 0xDC00 && unit <= 0xDFFF) {
                    fail(i - 6, fmt::format("\\u{:04X} is a UTF-16 low surrogate without the high "
                                            "surrogate (\\uD800-\\uDBFF) that must precede it",
                                            unit));
                }
                append_utf8(out, unit);
                continue;
            }
            default: // \\ \= \: \# \! \  and, as in Java, any other character stands for itself
                out.push_back(e);
                break;
            }
            i += 2;
        }
        return out;
    }

private:
    // Reads the four hex digits after the backslash-u that starts at pos.
    std::uint32_t read_hex4(std::size_t pos, std::size_t end) const {
        std::uint32_t value = 0;
        for (std::size_t k = pos + 2; k < pos + 6; ++k) {
            const int digit = k < end ? hex_value(_line.text[k]) : -1;
            if (digit < 0) {
                const std::size_t shown_end = std::min(end, pos + 6);
                fail(pos, fmt::format("malformed escape '{}': \\u must be followed by exactly "
                                      "4 hex digits; to write a backslash itself, double it (\\\\)",
                                      _line.text.substr(pos, shown_end - pos)));
            }
            value = value * 16 + static_cast<std::uint32_t>(digit);
        }
        return value;
    }

    [[noreturn]] void fail(std::size_t pos, const std::string& what) const {
        throw config_error(fmt::format("{}:{}: {}", _source, _line.line_of[pos], what));
    }

    const logical_line& _line;
    std::string_view _source;
};

std::string read_whole_file(const std::filesystem::path& path) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
        throw config_error(fmt::format("cannot read properties file '{}': it is a directory; "
                                       "pass the path of a .properties file",
                                       path.string()));
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw config_error(fmt::format("cannot read properties file '{}': {}; check the path and "
                                       "its permissions",
                                       path.string(), std::strerror(errno)));
    }
    // Read at most one byte past the bound, whatever the file claims to be (a device or a
    // pipe has no size to check first).
    std::string text;
    std::array<char, 64 * 1024> buffer{};
    while (text.size() <= max_properties_bytes &&
           in.read(buffer.data(), static_cast<std::streamsize>(buffer.size())).gcount() > 0) {
        text.append(buffer.data(), static_cast<std::size_t>(in.gcount()));
    }
    if (text.size() > max_properties_bytes) {
        throw config_error(fmt::format("cannot read properties file '{}': it is larger than {}; "
                                       "a configuration is a few KB: is this the right file?",
                                       path.string(), size_text(max_properties_bytes)));
    }
    if (in.bad()) {
        throw config_error(
            fmt::format("cannot read properties file '{}': read failed", path.string()));
    }
    return text;
}

} // namespace

std::vector<property_entry> parse_property_entries(std::string_view text,
                                                   std::string_view source_name) {
    if (text.size() > max_properties_bytes) {
        throw config_error(fmt::format("{}: the properties text is larger than {}; a "
                                       "configuration is a few KB",
                                       source_name, size_text(max_properties_bytes)));
    }
    std::vector<property_entry> entries;
    for (const logical_line& line : split_logical_lines(text, source_name)) {
        // The key ends at the first unescaped '=', ':' or whitespace; then whitespace and at
        // most one '=' or ':' separate it from the value.
        const std::string& s = line.text;
        std::size_t key_end = 0;
        std::size_t value_start = s.size();
        bool has_separator = false;
        bool escaped = false;
        for (; key_end < s.size(); ++key_end) {
            const char c = s[key_end];
            if (!escaped && (c == '=' || c == ':')) {
                value_start = key_end + 1;
                has_separator = true;
                break;
            }
            if (!escaped && is_blank(c)) {
                value_start = key_end + 1;
                break;
            }
            escaped = c == '\\' && !escaped;
        }
        while (value_start < s.size()) {
            const char c = s[value_start];
            if (!is_blank(c)) {
                if (has_separator || (c != '=' && c != ':')) {
                    break;
                }
                has_separator = true;
            }
            ++value_start;
        }
        const unescaper decoder(line, source_name);
        entries.push_back(property_entry{decoder.decode(0, key_end),
                                         decoder.decode(value_start, s.size()), line.first_line});
    }
    return entries;
}

std::map<std::string, std::string> parse_properties(std::string_view text,
                                                    std::string_view source_name) {
    std::map<std::string, std::string> out;
    for (property_entry& e : parse_property_entries(text, source_name)) {
        out[std::move(e.key)] = std::move(e.value);
    }
    return out;
}

std::vector<property_entry> load_property_entries(const std::filesystem::path& path) {
    std::string text = read_whole_file(path);
    std::string_view view = text;
    if (view.starts_with("\xEF\xBB\xBF")) {
        view.remove_prefix(3);
    }
    return parse_property_entries(view, path.string());
}

std::map<std::string, std::string> load_properties_file(const std::filesystem::path& path) {
    std::map<std::string, std::string> out;
    for (property_entry& e : load_property_entries(path)) {
        out[std::move(e.key)] = std::move(e.value);
    }
    return out;
}

} // namespace brook
